#!/usr/bin/env bash
# make package-test: runs dist/rotator-lambda.zip in a minimal root filesystem that looks like provided.al2023 from
# the binary's point of view, under chroot (root needed; no Docker).
#
# The root filesystem holds ONLY: glibc's libraries and loader (in /usr/lib64, /lib64 -> usr/lib64 as on Amazon
# Linux), libgcc_s, busybox-static as /bin/sh, and a CA bundle at the Amazon Linux path
# /etc/pki/tls/certs/ca-bundle.crt (Debian's CAs + a test CA made here). Nothing at the Debian CA path.
# The zip is unpacked into /var/task and started with Lambda's environment (LD_LIBRARY_PATH order of provided.al2023,
# LAMBDA_TASK_ROOT, AWS_LAMBDA_RUNTIME_API -> the test suite's fake Runtime API, FakeRuntimeAPIServer, on loopback).
#
# Checks
#   (a) the loader resolves every ELF in /var/task inside the chroot (ld.so --list), and bootstrap starts there
#       without loader errors (also the repository's #!/bin/sh bootstrap layout);
#   (b) the libcurl + OpenSSL inside the binary (same archives, linked by scripts/probe/curl_probe.c) does HTTPS
#       to a loopback server whose certificate comes from the test CA that only the Amazon Linux bundle holds;
#   (c) and refuses a server whose certificate is from a CA that is not in the bundle;
#   (d) moto serves Secrets Manager over HTTPS with a test-CA certificate, reachable from inside the chroot, and
#       the rotation fixture (PackageTestFixture setup) stages a secret;
#   (e) the rotation scenario: bootstrap runs a whole rotation (4 events) against moto over HTTPS, then the same
#       binary refuses an untrusted endpoint. Runs when the binary is a Lambda runtime (it called GET /next in
#       (a)); ROTATION_SCENARIO=require makes it mandatory, =skip skips it. See hooks marked HOOK below.
#   (f) with the rotation scenario: a zip built with RDS_CA_BUNDLE (a test CA standing in for the Amazon RDS CAs,
#       in no other bundle) rotates a PostgreSQL secret in the chroot against a real PostgreSQL 15 whose
#       certificate that CA signed, with ROTATOR_DB_CA_FILE=/var/task/rds-ca-bundle.pem (verify-full).
#   (g) then, with the same zip, a MariaDB single-user rotation against a real MariaDB 10.11 with that CA's
#       certificate: the static MariaDB Connector/C inside the binary, verify-full, the password set as its hash.
#   (h) a zip built with RECIPES_FILE (the SendGrid recipe pointed at a local API-keys server whose certificate only
#       the chroot's system bundle trusts) rotates an API-key secret: recipes.json found in /var/task by itself.
# Note: the chroot's glibc is this machine's (2.36); the 2.34 limit is enforced statically by scripts/abi_gate.py.
#
# Environment: ZIP (default dist/rotator-lambda.zip), ROTATION_SCENARIO=auto|require|skip, KEEP=1 keeps the temp dir.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
ZIP=${ZIP:-dist/rotator-lambda.zip}
ROTATION_SCENARIO=${ROTATION_SCENARIO:-auto}
LAMBDA_LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib

die() { echo "package-test: ERROR: $*" >&2; exit 1; }
step() { echo; echo "package-test: == $*"; }
ok() { echo "package-test: ok   $*"; }

[[ -f $ZIP ]] || die "$ZIP not found: run make package first"
[[ $(id -u) -eq 0 ]] || die "chroot needs root"
case $ROTATION_SCENARIO in auto|require|skip) ;; *) die "ROTATION_SCENARIO must be auto, require or skip" ;; esac
for tool in chroot unzip openssl python3 gcc readelf timeout dpkg; do
    command -v "$tool" >/dev/null || die "'$tool' not found"
done
busybox=/bin/busybox
# (Listings are captured before grep: under pipefail, `cmd | grep -q` fails when grep's early exit kills cmd.)
[[ -x $busybox ]] && ! grep -q NEEDED <<<"$(readelf -d "$busybox" 2>/dev/null)" \
    || die "static busybox not found at $busybox (apt-get install busybox-static)"
python3 -c 'import moto' 2>/dev/null || die "the python module moto[server] is needed (pip install 'moto[server]')"
chroot_bin=$(command -v chroot)
# The fake Runtime API of the Swift tests (Sources/TestSupport/FakeRuntimeAPI.swift), as a program.
flock /tmp/swift-build.lock swift build --product FakeRuntimeAPIServer >/dev/null || die "could not build FakeRuntimeAPIServer"
fake_runtime_api=$(swift build --show-bin-path)/FakeRuntimeAPIServer
# The rotation fixture (Sources/PackageTestFixture): stages rotations in moto and checks them with the drivers.
flock /tmp/swift-build.lock swift build --product PackageTestFixture >/dev/null || die "could not build PackageTestFixture"
fixture_bin=$(swift build --show-bin-path)/PackageTestFixture

work=$(mktemp -d /tmp/package-test.XXXXXX)
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [[ ${KEEP:-0} == 1 ]]; then echo "package-test: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
root=$work/root

# start_bg <name> <command...>: runs a helper in the background, remembers its PID for cleanup.
start_bg() {
    local name=$1; shift
    "$@" >"$work/$name.out" 2>&1 &
    pids+=($!)
}
wait_file() { # wait_file <file> <what>
    for _ in $(seq 1 100); do [[ -s $1 ]] && return 0; sleep 0.1; done
    die "$2 did not start"
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# ---------------------------------------------------------------------------------------------------------------------
step "root filesystem (glibc, libgcc_s, busybox sh, Amazon Linux CA path)"
multiarch=$(gcc -print-multiarch)
mkdir -p "$root"/{usr/lib64,usr/lib,usr/bin,etc/pki/tls/certs,var/task,var/runtime,var/lang/lib,opt,tmp}
chmod 1777 "$root/tmp"
ln -s usr/lib64 "$root/lib64"; ln -s usr/lib "$root/lib"; ln -s usr/bin "$root/bin"
while read -r file; do
    cp -L "$file" "$root/usr/lib64/"
done < <(dpkg -L "libc6:$(dpkg --print-architecture)" | grep -E "^(/usr)?/lib/$multiarch/[^/]+\.so(\.[0-9.]+)?$")
cp -L "/lib/$multiarch/libgcc_s.so.1" "$root/usr/lib64/"
interp=$(readelf -l /bin/true | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
[[ -e $root$interp ]] || cp -L "$interp" "$root$interp"
cp "$busybox" "$root/usr/bin/busybox"
ln -s busybox "$root/usr/bin/sh"

# TLS material: a test CA (in the bundle), an untrusted CA (not in the bundle), one server certificate from each.
tls=$work/tls
mkdir -p "$tls"
make_ca() { # make_ca <name> <CN>
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$2" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -keyout "$tls/$1.key" -out "$tls/$1.crt" 2>/dev/null
}
make_server() { # make_server <name> <ca>
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$tls/$1.key" -out "$tls/$1.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
        > "$tls/$1.ext"
    openssl x509 -req -in "$tls/$1.csr" -CA "$tls/$2.crt" -CAkey "$tls/$2.key" -CAcreateserial -days 2 \
        -extfile "$tls/$1.ext" -out "$tls/$1.crt" 2>/dev/null
}
make_ca test-ca "rotator package-test CA"
make_ca other-ca "rotator package-test UNTRUSTED CA"
make_ca rds-ca "rotator package-test stand-in for the Amazon RDS CAs"
make_server trusted test-ca
make_server untrusted other-ca
make_server database rds-ca
cat /etc/ssl/certs/ca-certificates.crt "$tls/test-ca.crt" > "$root/etc/pki/tls/certs/ca-bundle.crt"
[[ ! -e $root/etc/ssl ]] || die "the root filesystem must not have the Debian CA path"
echo "package-test: $(find "$root" -type f | wc -l) files, $(du -sh "$root" | cut -f1):" \
    "$(cd "$root" && find . -type f -o -type l | sed 's|^\./||' | sort | tr '\n' ' ')"

step "unzip $ZIP into /var/task"
unzip -q "$ZIP" -d "$root/var/task"
[[ -x $root/var/task/bootstrap ]] || die "bootstrap is missing or not executable in the zip"
ok "$(cd "$root/var/task" && find . -type f | sort | tr '\n' ' ')"

lambda_env=(
    PATH=/usr/local/bin:/usr/bin/:/bin:/opt/bin LANG=en_US.UTF-8 TZ=:/etc/localtime
    LD_LIBRARY_PATH=$LAMBDA_LD_LIBRARY_PATH LAMBDA_TASK_ROOT=/var/task LAMBDA_RUNTIME_DIR=/var/runtime
    _HANDLER=bootstrap AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
    AWS_LAMBDA_FUNCTION_NAME=rotator AWS_LAMBDA_FUNCTION_VERSION='$LATEST' AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128
    AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/rotator AWS_LAMBDA_LOG_STREAM_NAME=package-test
    AWS_LAMBDA_INITIALIZATION_TYPE=on-demand
)
in_root() { env -i "${lambda_env[@]}" "$@"; }          # in_root [VAR=value...] <chroot command line>

# ---------------------------------------------------------------------------------------------------------------------
step "(a) dynamic loading inside the chroot"
elfs=()
while IFS= read -r -d '' file; do
    [[ $(head -c4 "$file" | tr -d '\0') == $'\x7fELF' ]] && elfs+=("/var/task/${file#"$root/var/task/"}")
done < <(find "$root/var/task" -type f -print0 | sort -z)
((${#elfs[@]})) || die "no ELF in the zip"
for elf in "${elfs[@]}"; do
    out=$(in_root "$chroot_bin" "$root" "$interp" --list "$elf" 2>&1) || die "loader cannot resolve $elf:"$'\n'"$out"
    grep -qE 'not found|No such file' <<<"$out" && die "unresolved library for $elf:"$'\n'"$out"
    ok "ld.so --list $elf:"
    sed 's/^/package-test:        /' <<<"$out"
done

# run_bootstrap <name> <events json> <bootstrap path in root> [VAR=value...]: fake Runtime API + bootstrap in chroot.
# Leaves $work/<name>.calls.jsonl (Runtime API record), $work/<name>.stdout/.stderr, and sets $bootstrap_rc.
run_bootstrap() {
    local name=$1 events=$2 entry=$3; shift 3
    echo "$events" > "$work/$name.events.json"
    start_bg "$name-api" "$fake_runtime_api" --events "$work/$name.events.json" \
        --record "$work/$name.calls.jsonl" --port-file "$work/$name.port"
    local api_pid=${pids[-1]}
    wait_file "$work/$name.port" "fake Runtime API"
    bootstrap_rc=0
    in_root "AWS_LAMBDA_RUNTIME_API=127.0.0.1:$(cat "$work/$name.port")" "$@" \
        timeout 120 "$chroot_bin" "$root" "$entry" >"$work/$name.stdout" 2>"$work/$name.stderr" || bootstrap_rc=$?
    kill "$api_pid" 2>/dev/null || true
    wait "$api_pid" 2>/dev/null || true
}
check_started() { # check_started <name>: no loader error, no crash, no timeout
    local name=$1
    if grep -qE 'error while loading shared libraries|version .(GLIBC|GLIBCXX|CXXABI|CURL)[A-Z_]*[0-9.]*. not found|symbol lookup error|cannot open shared object' \
        "$work/$name.stderr"; then
        cat "$work/$name.stderr" >&2; die "$name: the dynamic loader failed inside the chroot"
    fi
    ((bootstrap_rc != 124)) || die "$name: bootstrap did not exit within 120 s"
    ((bootstrap_rc < 126)) || { cat "$work/$name.stderr" >&2; die "$name: bootstrap died (exit $bootstrap_rc)"; }
}

run_bootstrap start '[]' /var/task/bootstrap
check_started start
runtime_calls=$(grep -c '"kind": "next"' "$work/start.calls.jsonl" || true)
ok "bootstrap ran in the chroot: exit $bootstrap_rc, stdout '$(head -c 200 "$work/start.stdout" | tr '\n' ' ')'," \
   "GET /next calls: $runtime_calls"

# The repository's #!/bin/sh bootstrap (BOOTSTRAP_MODE=script layout) starts the same binary through busybox sh.
if [[ $(head -c2 "$root/var/task/bootstrap") != '#!' ]]; then
    mkdir -p "$root/var/task-script"
    cp "$root/var/task/bootstrap" "$root/var/task-script/rotator"
    [[ -d $root/var/task/lib ]] && cp -r "$root/var/task/lib" "$root/var/task-script/"
    install -m 755 bootstrap "$root/var/task-script/bootstrap"
    run_bootstrap script '[]' /var/task-script/bootstrap LAMBDA_TASK_ROOT=/var/task-script
    check_started script
    ok "script layout (./bootstrap -> exec rotator) ran through /bin/sh in the chroot: exit $bootstrap_rc"
    rm -rf "$root/var/task-script"
fi

# ---------------------------------------------------------------------------------------------------------------------
step "(b)(c) HTTPS with the bundled libcurl + OpenSSL and the Amazon Linux CA path"
deps=$repo/.build-deps
[[ -f $deps/stamp ]] || flock /tmp/swift-build.lock bash scripts/build-deps.sh
mkdir -p "$work/probe" "$root/var/probe"
gcc -O2 -fPIC -fno-math-errno -c scripts/compat/lambda_compat.c -o "$work/probe/lambda_compat.o"
gcc -O2 -pthread -I"$deps/prefix/include" scripts/probe/curl_probe.c "$work/probe/lambda_compat.o" \
    -L"$deps/lib" -lcurl -Wl,--disable-new-dtags,-rpath,'$ORIGIN/lib' -o "$work/probe/curl_probe"
python3 scripts/abi_gate.py --quiet "$work/probe" >/dev/null || die "the probe itself fails the ABI gate"
cp "$work/probe/curl_probe" "$root/var/probe/"

start_bg trusted-tls python3 scripts/tls_test_server.py --cert "$tls/trusted.crt" --key "$tls/trusted.key" \
    --text "package-test trusted server" --port-file "$work/trusted.port"
start_bg untrusted-tls python3 scripts/tls_test_server.py --cert "$tls/untrusted.crt" --key "$tls/untrusted.key" \
    --text "package-test UNTRUSTED server" --port-file "$work/untrusted.port"
wait_file "$work/trusted.port" "trusted TLS server"
wait_file "$work/untrusted.port" "untrusted TLS server"
trusted_url=https://127.0.0.1:$(cat "$work/trusted.port")/
untrusted_url=https://127.0.0.1:$(cat "$work/untrusted.port")/

probe() { in_root "$chroot_bin" "$root" /var/probe/curl_probe "$1"; }
out=$(probe "$trusted_url") || die "(b) HTTPS to the test-CA server failed inside the chroot: $out"
grep -q "status 200 body package-test trusted server" <<<"$out" || die "(b) unexpected answer: $out"
ok "(b) $trusted_url -> $out"
rc=0; out=$(probe "$untrusted_url") || rc=$?
((rc == 60)) || die "(c) expected CURLE_PEER_FAILED_VERIFICATION (60) from the untrusted server, got $rc: $out"
ok "(c) $untrusted_url refused -> $out"

# ---------------------------------------------------------------------------------------------------------------------
step "(d) moto as Secrets Manager over HTTPS (test-CA certificate)"
moto_port=$(free_port)
start_bg moto python3 -m moto.server -H 127.0.0.1 -p "$moto_port" --ssl-cert "$tls/trusted.crt" --ssl-key "$tls/trusted.key"
moto_url=https://127.0.0.1:$moto_port
for _ in $(seq 1 100); do
    python3 -c "import ssl,sys,urllib.request as u; u.urlopen('$moto_url/moto-api/', context=ssl.create_default_context(cafile='$tls/test-ca.crt'), timeout=1)" \
        2>/dev/null && break
    sleep 0.2
done
out=$(probe "$moto_url/moto-api/") || die "(d) moto is not reachable over HTTPS from the chroot: $out"
ok "(d) chroot -> $moto_url/moto-api/: ${out%% (CA*}"
# fixture <setup|verify|verify-refused> [options]: the fixture against this moto.
fixture() { local command=$1; shift; "$fixture_bin" "$command" --endpoint "$moto_url" --ca "$tls/test-ca.crt" "$@"; }
fixture setup --state "$work/rotation.state" --events "$work/rotation.events.json" \
    | sed 's/^/package-test: ok   (d) /'

# ---------------------------------------------------------------------------------------------------------------------
step "(e) a whole rotation through bootstrap, moto over HTTPS; then an untrusted endpoint"
# HOOK (rotation scenario): the environment the rotator gets inside the chroot. Secrets Manager is reached at moto's
# loopback URL through AWS_ENDPOINT_URL_SECRETS_MANAGER; no AWS_CA_BUNDLE, so the binary must find the test CA
# at /etc/pki/tls/certs/ca-bundle.crt by itself. Add target/password-policy variables here when they matter.
rotation_env=(
    AWS_ACCESS_KEY_ID=AKIAPACKAGETEST00001 AWS_SECRET_ACCESS_KEY=package-test-not-secret
    ROTATOR_TARGET=generic PASSWORD_LENGTH=32 EXCLUDE_CHARACTERS='/@"'"'"'\'
)
run_rotation_scenario() {
    # HOOK: 4 events from the fixture's setup -> fake Runtime API -> bootstrap -> moto; then verify.
    run_bootstrap rotation "$(cat "$work/rotation.events.json")" /var/task/bootstrap \
        "AWS_ENDPOINT_URL_SECRETS_MANAGER=$moto_url" "${rotation_env[@]}"
    check_started rotation
    fixture verify --state "$work/rotation.state" --record "$work/rotation.calls.jsonl" \
        --logs "$work/rotation.stdout" "$work/rotation.stderr" "$work/rotation.calls.jsonl" \
        || { tail -20 "$work/rotation.stderr" >&2; die "(e) the rotation did not complete"; }
    ok "(e) whole rotation in the chroot, moto over HTTPS with the test CA"

    # HOOK: the same binary against an endpoint whose certificate is not in the bundle: every event must fail.
    fixture setup --state "$work/refused.state" --events "$work/refused.events.json" >/dev/null
    run_bootstrap refused "$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))[:1]))' \
        "$work/refused.events.json")" /var/task/bootstrap "AWS_ENDPOINT_URL_SECRETS_MANAGER=$untrusted_url" \
        "${rotation_env[@]}"
    check_started refused
    fixture verify-refused --state "$work/refused.state" --record "$work/refused.calls.jsonl" \
        --logs "$work/refused.stdout" "$work/refused.stderr" "$work/refused.calls.jsonl" \
        || die "(e) the binary did not refuse the untrusted endpoint"
    ok "(e) the same binary refused $untrusted_url"
}
# rotate_database_secret <name> <what>: the 4 events of $work/<name>.events.json through bootstrap in the chroot,
# verify-full against the zip's RDS bundle, then the fixture's checks (labels, logins, no secret in any log) and TLS.
rotate_database_secret() {
    local name=$1 what=$2
    run_bootstrap "$name-rotation" "$(cat "$work/$name.events.json")" /var/task/bootstrap \
        "AWS_ENDPOINT_URL_SECRETS_MANAGER=$moto_url" "${rotation_env[@]}" ROTATOR_TARGET=auto \
        ROTATOR_DB_CA_FILE=/var/task/rds-ca-bundle.pem EXCLUDE_CHARACTERS=
    check_started "$name-rotation"
    fixture verify --state "$work/$name.state" --record "$work/$name-rotation.calls.jsonl" \
        --logs "$work/$name-rotation.stdout" "$work/$name-rotation.stderr" "$work/$name-rotation.calls.jsonl" \
        || { tail -20 "$work/$name-rotation.stdout" "$work/$name-rotation.stderr" >&2; die "$what did not complete"; }
    grep -q "Successfully established SSL/TLS connection as user 'pkg_app'" "$work/$name-rotation.stdout" \
        || die "$what did not use TLS"
}
run_postgres_scenario() {
    step "(f) a PostgreSQL rotation in the chroot with the RDS CA bundle shipped in the zip"
    local rds_zip=dist/rotator-lambda-rds-test.zip
    RDS_CA_BUNDLE=$tls/rds-ca.crt STAGE=dist/rotator-lambda-rds-test PACKAGE_ZIP=$rds_zip ZIP_RECOMPRESS=0 \
        bash scripts/package.sh >"$work/rds-package.log" 2>&1 || { tail -20 "$work/rds-package.log" >&2; die "(f) package.sh with RDS_CA_BUNDLE failed"; }
    grep -qx 'rds-ca-bundle.pem' <<<"$(unzip -Z1 "$rds_zip")" || die "(f) the zip has no rds-ca-bundle.pem"
    rm -rf "$root/var/task" && mkdir -p "$root/var/task" && unzip -q "$rds_zip" -d "$root/var/task"
    rm -rf dist/rotator-lambda-rds-test "$rds_zip"
    ok "(f) zip with the bundle: $(cd "$root/var/task" && find . -type f | sort | tr '\n' ' ')"

    # A throw-away PostgreSQL 15 on loopback, run as nobody, TLS from the stand-in RDS CA, SCRAM logins only.
    local pg=$work/pg pgbin=/usr/lib/postgresql/15/bin super_password app_password pg_port
    super_password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
    app_password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
    chmod 711 "$work"   # nobody (the server's user) may pass through to its own folder, and list nothing else
    mkdir -p "$pg" && cp "$tls/database.crt" "$tls/database.key" "$pg/" && echo "$super_password" > "$pg/pwfile"
    chown -R 65534:65534 "$pg" && chmod 600 "$pg/database.key"
    setpriv --reuid=65534 --regid=65534 --clear-groups -- "$pgbin/initdb" -D "$pg/data" -U postgres \
        --pwfile="$pg/pwfile" -A scram-sha-256 -E UTF8 --locale=C --no-sync >"$work/initdb.log" 2>&1 \
        || { cat "$work/initdb.log" >&2; die "(f) initdb failed"; }
    printf 'host all all 127.0.0.1/32 scram-sha-256\n' > "$pg/data/pg_hba.conf"
    pg_port=$(free_port)
    start_bg postgres setpriv --reuid=65534 --regid=65534 --clear-groups -- "$pgbin/postgres" -D "$pg/data" \
        -c listen_addresses=127.0.0.1 -c port="$pg_port" -c unix_socket_directories= -c fsync=off -c ssl=on \
        -c ssl_cert_file="$pg/database.crt" -c ssl_key_file="$pg/database.key" -c password_encryption=scram-sha-256
    for _ in $(seq 1 100); do grep -q 'ready to accept connections' "$work/postgres.out" 2>/dev/null && break; sleep 0.1; done
    grep -q 'ready to accept connections' "$work/postgres.out" || { cat "$work/postgres.out" >&2; die "(f) PostgreSQL did not start"; }
    # psql quotes the password itself (:'pw'), from standard input.
    printf '%s\n' "CREATE ROLE pkg_app LOGIN;" "ALTER ROLE pkg_app PASSWORD :'pw';" |
        PGPASSWORD=$super_password "$pgbin/psql" -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres \
            -v ON_ERROR_STOP=1 -v pw="$app_password" -f - >/dev/null 2>"$work/psql.err" \
        || { cat "$work/psql.err" >&2; die "(f) could not create the database user"; }

    echo "$app_password" | fixture setup --state "$work/pg.state" --events "$work/pg.events.json" \
        --postgres "127.0.0.1:$pg_port:pkg_app" --database-ca "$tls/rds-ca.crt" | sed 's/^/package-test: ok   (f) /'
    rotate_database_secret pg "(f) the PostgreSQL rotation"
    ok "(f) PostgreSQL rotation in the chroot: verify-full against the bundled CA, new password logs in, old does not"
}
run_mariadb_scenario() {
    step "(g) a MariaDB rotation in the chroot, the same zip and CA bundle"
    # A throw-away MariaDB on loopback, run as nobody, TLS from the stand-in RDS CA; root only on its Unix socket.
    local db=$work/mariadb app_password db_port hash
    app_password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
    mkdir -p "$db" && cp "$tls/database.crt" "$tls/database.key" "$tls/rds-ca.crt" "$db/"
    chown -R 65534:65534 "$db" && chmod 600 "$db/database.key"
    setpriv --reuid=65534 --regid=65534 --clear-groups -- mariadb-install-db --no-defaults --datadir="$db/data" \
        --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve >"$work/mariadb-install.log" 2>&1 \
        || { tail -20 "$work/mariadb-install.log" >&2; die "(g) mariadb-install-db failed"; }
    db_port=$(free_port)
    start_bg mariadb setpriv --reuid=65534 --regid=65534 --clear-groups -- mariadbd --no-defaults \
        --datadir="$db/data" --port="$db_port" --bind-address=127.0.0.1 --socket="$db/mysqld.sock" \
        --pid-file="$db/mysqld.pid" --log-error="$db/error.log" --skip-name-resolve --innodb-buffer-pool-size=16M \
        --ssl-ca="$db/rds-ca.crt" --ssl-cert="$db/database.crt" --ssl-key="$db/database.key"
    for _ in $(seq 1 100); do grep -q 'ready for connections' "$db/error.log" 2>/dev/null && break; sleep 0.1; done
    grep -q 'ready for connections' "$db/error.log" || { cat "$db/error.log" >&2; die "(g) MariaDB did not start"; }
    # mysql_native_password's stored form, so the password is in no statement the server logs.
    hash=$(python3 -c 'import hashlib, sys; print("*" + hashlib.sha1(hashlib.sha1(sys.argv[1].encode()).digest()).hexdigest().upper())' "$app_password")
    mariadb --no-defaults -S "$db/mysqld.sock" -uroot -e "CREATE USER 'pkg_app'@'%' IDENTIFIED BY PASSWORD '$hash'" \
        || die "(g) could not create the database user"

    echo "$app_password" | fixture setup --state "$work/mariadb.state" --events "$work/mariadb.events.json" \
        --mariadb "127.0.0.1:$db_port:pkg_app" --database-ca "$tls/rds-ca.crt" | sed 's/^/package-test: ok   (g) /'
    rotate_database_secret mariadb "(g) the MariaDB rotation"
    ok "(g) MariaDB rotation in the chroot: static Connector/C, verify-full against the bundled CA, new password logs in, old does not"
}
run_redis_scenario() {
    step "(i) a Redis rotation in the chroot: the driver's own RESP client over OpenSSL, the same zip and CA bundle"
    # A throw-away redis-server on loopback, run as nobody, TLS only (plain TCP off) from the stand-in RDS CA; the
    # default user only on its Unix socket, where redis-cli makes the ACL user.
    local rd=$work/redis app_password rd_port
    app_password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
    mkdir -p "$rd" && cp "$tls/database.crt" "$tls/database.key" "$tls/rds-ca.crt" "$rd/"
    rd_port=$(free_port)
    printf '%s\n' "bind 127.0.0.1" "port 0" "tls-port $rd_port" "tls-cert-file $rd/database.crt" \
        "tls-key-file $rd/database.key" "tls-ca-cert-file $rd/rds-ca.crt" "tls-auth-clients no" \
        "unixsocket $rd/redis.sock" "unixsocketperm 700" "dir $rd" "logfile $rd/redis.log" 'save ""' \
        > "$rd/redis.conf"
    chown -R 65534:65534 "$rd" && chmod 600 "$rd/database.key"
    # Started with no signal blocked: redis-server keeps the mask it is given, and cleanup's SIGTERM must reach it.
    start_bg redis python3 -c 'import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execvp(sys.argv[1], sys.argv[1:])' \
        setpriv --reuid=65534 --regid=65534 --clear-groups -- redis-server "$rd/redis.conf"
    for _ in $(seq 1 100); do grep -q 'Ready to accept connections' "$rd/redis.log" 2>/dev/null && break; sleep 0.1; done
    grep -q 'Ready to accept connections' "$rd/redis.log" || { cat "$rd/redis.log" >&2; die "(i) Redis did not start"; }
    # The password as its SHA-256 rule, so it is in no command MONITOR or SLOWLOG could show.
    redis-cli -s "$rd/redis.sock" ACL SETUSER pkg_app on "#$(printf '%s' "$app_password" | sha256sum | cut -d' ' -f1)" \
        resetchannels -@all +ping '+acl|setuser' >/dev/null || die "(i) could not create the ACL user"

    echo "$app_password" | fixture setup --state "$work/redis.state" --events "$work/redis.events.json" \
        --redis "127.0.0.1:$rd_port:pkg_app" --database-ca "$tls/rds-ca.crt" | sed 's/^/package-test: ok   (i) /'
    rotate_database_secret redis "(i) the Redis rotation"
    ok "(i) Redis rotation in the chroot: TLS verify-full against the bundled CA, new password logs in, old does not"
}
run_api_key_scenario() {
    step "(h) an API-key rotation in the chroot: the recipe shipped in the zip, the API over HTTPS"
    local api_url recipes=$work/recipes.json api_zip=dist/rotator-lambda-api-test.zip
    # The API's certificate is from the test CA, which only the chroot's system bundle (the Amazon Linux path) holds.
    start_bg api-keys python3 scripts/api_keys_server.py --cert "$tls/trusted.crt" --key "$tls/trusted.key" \
        --port-file "$work/api.port"
    wait_file "$work/api.port" "the API-keys server"
    api_url=https://127.0.0.1:$(cat "$work/api.port")
    sed "s|https://api.sendgrid.com|$api_url|" recipes/sendgrid.json > "$recipes"
    RECIPES_FILE=$recipes STAGE=dist/rotator-lambda-api-test PACKAGE_ZIP=$api_zip ZIP_RECOMPRESS=0 \
        bash scripts/package.sh >"$work/api-package.log" 2>&1 || { tail -20 "$work/api-package.log" >&2; die "(h) package.sh with RECIPES_FILE failed"; }
    grep -qx 'recipes.json' <<<"$(unzip -Z1 "$api_zip")" || die "(h) the zip has no recipes.json"
    rm -rf "$root/var/task" && mkdir -p "$root/var/task" && unzip -q "$api_zip" -d "$root/var/task"
    rm -rf dist/rotator-lambda-api-test "$api_zip"
    local api=(--api-key "$api_url" --api-ca "$tls/test-ca.crt")
    fixture setup "${api[@]}" --state "$work/api.state" --events "$work/api.events.json" \
        | sed 's/^/package-test: ok   (h) /'
    # No ROTATOR_RECIPES_FILE: the function finds /var/task/recipes.json itself (LAMBDA_TASK_ROOT).
    run_bootstrap api-rotation "$(cat "$work/api.events.json")" /var/task/bootstrap \
        "AWS_ENDPOINT_URL_SECRETS_MANAGER=$moto_url" "${rotation_env[@]}" ROTATOR_TARGET=auto
    check_started api-rotation
    fixture verify "${api[@]}" --state "$work/api.state" --record "$work/api-rotation.calls.jsonl" \
        --logs "$work/api-rotation.stdout" "$work/api-rotation.stderr" "$work/api-rotation.calls.jsonl" \
        || { tail -20 "$work/api-rotation.stdout" "$work/api-rotation.stderr" >&2; die "(h) the API-key rotation did not complete"; }
    ok "(h) API-key rotation in the chroot: recipes.json from the zip, the API verified against the system bundle"
}
if [[ $ROTATION_SCENARIO == require ]] || { [[ $ROTATION_SCENARIO == auto ]] && ((runtime_calls > 0)); }; then
    run_rotation_scenario
    run_postgres_scenario
    run_mariadb_scenario
    run_redis_scenario
    run_api_key_scenario
elif [[ $ROTATION_SCENARIO == skip ]]; then
    echo "package-test: SKIP (e): ROTATION_SCENARIO=skip"
else
    echo "package-test: SKIP (e): this rotator binary never called GET /next (not a Lambda runtime yet);" \
         "it runs automatically once it does, ROTATION_SCENARIO=require makes it mandatory"
fi

echo
echo "package-test: PASS ($ZIP)"
