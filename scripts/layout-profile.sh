#!/usr/bin/env bash
# layout-profile.sh <binary> <ordering file>: the functions a real rotation runs, in the order lld should lay them out.
#
# scripts/package.sh links the Lambda binary twice. The first link (every function in its own section) runs here
# under valgrind's callgrind: a cold start, a whole generic rotation against moto over HTTPS (as Secrets Manager is
# reached on Lambda), and a rejected event. The functions it ran are written one per line: those of the cold start
# first, then the rest, each group sorted by name, so the same binary and workload give the same file. The second
# link passes that file to lld (--symbol-ordering-file), which puts the code that runs next to each other.
#
# Why: the kernel maps a binary's code in 64 KB fault-around windows and reads ahead 128 KB around each miss
# (https://docs.kernel.org/admin-guide/mm/concepts.html), so live functions scattered over the 9 MB of code make
# most of it resident. Laid out together they fill a few hundred KB.
#
# Needs: valgrind, python3 with moto[server], openssl, and the test suite's FakeRuntimeAPIServer and
# PackageTestFixture (built here).
set -euo pipefail
export LC_ALL=C   # one collation for sort and comm

repo=$(cd "$(dirname "$0")/.." && pwd)
binary=$1 out=$2
die() { echo "layout-profile: ERROR: $*" >&2; exit 1; }
log() { echo "layout-profile: $*" >&2; }

for tool in valgrind openssl python3 nm; do command -v "$tool" >/dev/null || die "'$tool' not found (run make deps)"; done
python3 -c 'import moto' 2>/dev/null || die "the python module moto[server] is needed (run make deps)"
for product in FakeRuntimeAPIServer PackageTestFixture; do
    flock /tmp/swift-build.lock swift build --package-path "$repo" --product "$product" >/dev/null \
        || die "could not build $product"
done
fake_runtime_api=$(swift build --package-path "$repo" --show-bin-path)/FakeRuntimeAPIServer
fixture_bin=$(swift build --package-path "$repo" --show-bin-path)/PackageTestFixture

work=$(mktemp -d /tmp/layout-profile.XXXXXX)
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
wait_file() { for _ in $(seq 1 100); do [[ -s $1 ]] && return 0; sleep 0.1; done; die "$2 did not start"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# A throw-away CA and a certificate for 127.0.0.1: moto over HTTPS, trusted through AWS_CA_BUNDLE.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=rotator layout-profile CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$work/server.ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial -days 1 \
    -extfile "$work/server.ext" -out "$work/server.crt" 2>/dev/null

moto_port=$(free_port)
python3 -m moto.server -H 127.0.0.1 -p "$moto_port" --ssl-cert "$work/server.crt" --ssl-key "$work/server.key" \
    >"$work/moto.log" 2>&1 &
pids+=($!)
moto_url=https://127.0.0.1:$moto_port
for _ in $(seq 1 100); do
    python3 -c "import ssl, urllib.request as u; u.urlopen('$moto_url/moto-api/', timeout=1,
        context=ssl.create_default_context(cafile='$work/ca.crt'))" 2>/dev/null && break
    sleep 0.2
done
"$fixture_bin" setup --endpoint "$moto_url" --ca "$work/ca.crt" \
    --state "$work/rotation.state" --events "$work/rotation.events.json" >/dev/null \
    || die "could not stage a rotation in moto ($(tail -3 "$work/moto.log"))"
# The rotation's four steps, then an event that is refused (the error path every operator meets).
python3 -c 'import json, sys; events = json.load(open(sys.argv[1])); events.append({"Step": "profile"})
json.dump(events, open(sys.argv[2], "w"))' "$work/rotation.events.json" "$work/events.json"
echo '[]' > "$work/none.json"

# profile <name> <events>: the binary under callgrind behind the fake Runtime API; leaves $work/<name>.functions.
profile() {
    local name=$1 events=$2 api_pid
    rm -f "$work/$name.port"
    "$fake_runtime_api" --events "$events" --record "$work/$name.calls.jsonl" --port-file "$work/$name.port" \
        >"$work/$name.api.log" 2>&1 &
    api_pid=$!
    pids+=("$api_pid")
    wait_file "$work/$name.port" "the fake Runtime API"
    env -i PATH=/usr/bin:/bin AWS_LAMBDA_RUNTIME_API="127.0.0.1:$(cat "$work/$name.port")" AWS_REGION=us-east-1 \
        AWS_ACCESS_KEY_ID=AKIAPACKAGETEST00001 AWS_SECRET_ACCESS_KEY=layout-profile-not-secret \
        AWS_ENDPOINT_URL_SECRETS_MANAGER="$moto_url" AWS_CA_BUNDLE="$work/ca.crt" ROTATOR_TARGET=generic \
        valgrind --tool=callgrind --demangle=no --compress-strings=no --dump-line=no \
        --callgrind-out-file="$work/$name.callgrind" --log-file="$work/$name.valgrind.log" "$binary" \
        >"$work/$name.out" 2>&1 || true
    kill "$api_pid" 2>/dev/null || true
    wait "$api_pid" 2>/dev/null || true
    [[ -s $work/$name.callgrind ]] || die "callgrind wrote no profile for $name: $(tail -5 "$work/$name.valgrind.log")"
    sed -n 's/^fn=\(([0-9]*) \)\{0,1\}//p' "$work/$name.callgrind" | sort -u > "$work/$name.functions"
}
profile cold "$work/none.json"
profile rotation "$work/events.json"
responses=$(grep -c "\"kind\":\"response\"" "$work/rotation.calls.jsonl" || true)
((responses >= 4)) || die "the profiled rotation did not complete ($responses of its 4 steps answered): $(tail -5 "$work/rotation.out")"

# Only functions of this binary (not libc's), and only names defined once: lld moves every section that defines a
# listed name, and a local helper copied into many objects (`__swift_memcpy1_1`) would drag along the whole code of
# each object that was not compiled with one section per function (the C archives, part of the Swift runtime).
# The cold start's functions first, then the rest.
nm --defined-only "$binary" | awk '$2 ~ /^[tTwW]$/ {print $3}' | sort | uniq -u > "$work/defined"
comm -12 "$work/cold.functions" "$work/defined" > "$work/cold.ordered"
comm -12 "$work/rotation.functions" "$work/defined" | comm -23 - "$work/cold.ordered" > "$work/rest.ordered"
cat "$work/cold.ordered" "$work/rest.ordered" > "$out"
log "$(wc -l < "$work/cold.ordered") functions in the cold start, $(wc -l < "$work/rest.ordered") more in a rotation -> $out"
