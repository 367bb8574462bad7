#!/usr/bin/env bash
# make valgrind-test: one whole rotation per target through the zip's binary (dist/rotator-lambda/bootstrap, the
# static libcurl, libpq and Connector/C it ships) under valgrind memcheck, driven by the Swift tests that rotate each
# target through RotatorLambda: generic, PostgreSQL, MariaDB single and alternating users, an API key. The tests find
# "RotatorLambda" in ROTATOR_BIN_DIR, here a wrapper that starts the zip's binary under valgrind; every process's
# report must say "ERROR SUMMARY: 0 errors". Leaks are not errors here (a Lambda process ends by being frozen).
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$PWD/dist/rotator-lambda/bootstrap
[[ -x $binary ]] || { echo "valgrind-test: $binary not found (make package)" >&2; exit 1; }
work=$(mktemp -d /tmp/rotator-valgrind.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/logs"
cat > "$work/bin/RotatorLambda" <<WRAPPER
#!/bin/sh
exec valgrind --tool=memcheck --error-exitcode=99 --track-origins=yes --leak-check=no \\
    --log-file=$work/logs/memcheck.%p.log "$binary" "\$@"
WRAPPER
chmod +x "$work/bin/RotatorLambda"

tests='RotationLambdaServerTests/wholeRotation|LambdaEndToEndServerTests/singleUser'
tests+='|MariaDBLambdaServerTests/singleUser|MariaDBConnectMemoryServerTests/keepAliveSecretsManager'
tests+='|APIKeyLambdaServerTests/sendgridNextRotation'
ROTATOR_BIN_DIR=$work/bin flock /tmp/swift-build.lock swift test --skip-build --filter "$tests"

logs=("$work"/logs/memcheck.*.log)
[[ -e ${logs[0]} ]] || { echo "valgrind-test: no process ran under valgrind" >&2; exit 1; }
failed=0
for log in "${logs[@]}"; do
    summary=$(grep -h 'ERROR SUMMARY' "$log" || echo "no summary")
    if [[ $summary != *"ERROR SUMMARY: 0 errors"* ]]; then
        failed=$((failed + 1))
        echo "valgrind-test: $log: $summary"
        grep -v '^==[0-9]*== *$' "$log" | head -60 | sed 's/^/    /'
    fi
done
echo "valgrind-test: ${#logs[@]} processes under memcheck, $(( ${#logs[@]} - failed )) clean"
(( failed == 0 )) || { echo "valgrind-test: memcheck found errors" >&2; exit 1; }
