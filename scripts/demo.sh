#!/usr/bin/env bash
# `make demo`: a whole rotation against a local Secrets Manager.
# Starts moto on a free loopback port with IAM signature checking on, creates a demo secret, shows its labels,
# rotates it with `rotator rotate` (the same code Lambda runs), shows the labels again, and stops moto.
# Secret values are never printed.
set -euo pipefail
cd "$(dirname "$0")/.."
rotator=${ROTATOR:-.build/debug/rotator}
work=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
endpoint="http://127.0.0.1:$port"

python3 scripts/moto_admin.py serve --port "$port" --watch-parent >"$work/moto.log" 2>&1 &
moto_pid=$!
cleanup() { kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 1 100); do
  python3 -c "import urllib.request; urllib.request.urlopen('$endpoint/moto-api/', timeout=1)" 2>/dev/null && break
  sleep 0.1
done

echo "== Local Secrets Manager (moto) on $endpoint, signature checking on"
python3 scripts/moto_admin.py --endpoint "$endpoint" provision-auth >"$work/credentials.json"
read_credential() { python3 -c "import json, sys; print(json.load(open('$work/credentials.json'))$1)"; }
export MOTO_ADMIN_ACCESS_KEY_ID=$(read_credential "['admin']['accessKeyId']")
export MOTO_ADMIN_SECRET_ACCESS_KEY=$(read_credential "['admin']['secretAccessKey']")
# The rotator runs as the Lambda role would: temporary credentials from AssumeRole.
export AWS_ACCESS_KEY_ID=$(read_credential "['role']['accessKeyId']")
export AWS_SECRET_ACCESS_KEY=$(read_credential "['role']['secretAccessKey']")
export AWS_SESSION_TOKEN=$(read_credential "['role']['sessionToken']")
export AWS_REGION=us-east-1 SECRETS_MANAGER_ENDPOINT="$endpoint"

initial=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
printf '{"username":"demo_app","password":"%s","port":5432,"note":"kept as is"}' "$initial" |
  python3 scripts/moto_admin.py --endpoint "$endpoint" create-secret --name rotator-demo --secret-string - >/dev/null
echo "== Created secret rotator-demo"
echo
echo "== Before: rotator status --secret-id rotator-demo"
"$rotator" status --secret-id rotator-demo
echo
echo "== rotator rotate --secret-id rotator-demo"
"$rotator" rotate --secret-id rotator-demo
echo
echo "== After: rotator status --secret-id rotator-demo"
"$rotator" status --secret-id rotator-demo
echo
python3 scripts/moto_admin.py --endpoint "$endpoint" get-value --secret-id rotator-demo --stage AWSCURRENT |
  python3 -c "
import json, sys
value = json.loads(json.load(sys.stdin)['SecretString'])
print('== The new AWSCURRENT value keeps its keys, in order:', ', '.join(value))
print('   password changed:', value['password'] != '$initial', '| length', len(value['password']), '(values not shown)')"
