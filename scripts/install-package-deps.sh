#!/usr/bin/env bash
# make package-deps (called by make deps): what scripts/package.sh, package-test.sh, abi-gate-selftest.sh and
# lint-template need on a Debian 12 builder. Root only (apt-get). Enables deb-src for `apt-get source curl
# postgresql-15` (scripts/build-deps.sh) in its own file, leaving debian.sources alone.
set -euo pipefail
[[ $(id -u) -eq 0 ]] || { echo "install-package-deps: run as root" >&2; exit 1; }
src=/etc/apt/sources.list.d/debian-src.sources
if ! grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    cat > "$src" <<'SOURCES'
# Added by scripts/install-package-deps.sh: `apt-get source curl postgresql-15` for the Lambda package.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
    echo "install-package-deps: wrote $src"
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    zip unzip advancecomp patchelf binutils gcc g++ make pkg-config dpkg-dev \
    libssl-dev libcurl4-openssl-dev libpq-dev libstdc++-12-dev \
    busybox-static openssl ca-certificates hyperfine >/dev/null
python3 -m pip install -q cfn-lint 'moto[server]' boto3
echo "install-package-deps: done"
