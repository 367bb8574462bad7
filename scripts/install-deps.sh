#!/usr/bin/env bash
# make deps: installs what the build, the tests, the demo and the Lambda package need on Debian 12, and is a
# fast no-op when everything is there. Debian packages need root (apt-get); CI and the dev machines are root.
#   - libcurl4-openssl-dev, libssl-dev, libpq-dev, libmariadb-dev: the C libraries the Swift package links
#   - postgresql, mariadb-server, mariadb-client, redis-server (with redis-cli): the real servers the database
#     targets' tests start
#   - cmake: builds MariaDB Connector/C for the Lambda package
#   - zip, unzip, advancecomp, patchelf, binutils, gcc, g++, make, pkg-config, dpkg-dev, libstdc++-12-dev,
#     busybox-static, openssl, ca-certificates, valgrind (the code-layout profile): make package / package-test
#     (static libcurl and libpq are built from Debian's own source packages, hence the deb-src entry below)
#   - moto[server], boto3 (PyPI): the local Secrets Manager; cfn-lint and aws-sam-cli (PyPI): the SAM template
#     checks (`sam validate --lint`); in .venv when the Python is Debian's own
set -euo pipefail

apt_packages=(libcurl4-openssl-dev libssl-dev libpq-dev libmariadb-dev postgresql mariadb-server mariadb-client redis-server cmake zip unzip advancecomp patchelf binutils gcc g++ valgrind
    make pkg-config dpkg-dev libstdc++-12-dev busybox-static openssl ca-certificates)
missing=()
for package in "${apt_packages[@]}"; do
    [[ $(dpkg-query -W -f='${Status}' "$package" 2>/dev/null) == "install ok installed" ]] || missing+=("$package")
done

sources=/etc/apt/sources.list.d/debian-src.sources
need_update=0
if ! grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo "deps: enabling Debian source packages in $sources (apt-get source curl postgresql-15)"
    cat > "$sources" <<'SOURCES'
# Added by rotator's scripts/install-deps.sh: `apt-get source curl postgresql-15 mariadb` for the Lambda package.
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
    need_update=1
fi

if ((${#missing[@]})); then
    echo "deps: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    need_update=0
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    # Where no policy-rc.d holds it back, the package starts its own daemon on port 6379; the tests start theirs.
    if [[ -s /run/redis/redis-server.pid ]]; then kill "$(cat /run/redis/redis-server.pid)" 2>/dev/null || true; fi
fi
((need_update)) && apt-get update -qq

# PyPI packages. Debian's own Python is "externally managed" (PEP 668, https://peps.python.org/pep-0668/): pip
# refuses to install into it, so there they go into .venv, which the Makefile puts first on PATH. A Python of one's
# own (pyenv, an active venv) takes them directly.
# SAM CLI 1.160 is the first whose commands read a template with Fn::ForEach (older ones stop on "'list' object has
# no attribute 'get'"), which template.yaml's AttachSecretArns uses.
pypi=('moto[server]' boto3 cfn-lint 'aws-sam-cli>=1.160')
sam_new_enough() {
    local version
    version=$(sam --version 2>/dev/null | sed -n 's/.*version \([0-9][0-9.]*\).*/\1/p')
    [[ -n $version ]] && printf '%s\n%s\n' 1.160.0 "$version" | sort -V -C
}
if ! python3 -c 'import moto.server, boto3, flask, flask_cors, cfnlint' 2>/dev/null || ! sam_new_enough; then
    externally_managed='import sys, sysconfig, pathlib
sys.exit(sys.prefix == sys.base_prefix and pathlib.Path(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED").exists())'
    if python3 -c "$externally_managed" && python3 -m pip --version >/dev/null 2>&1; then
        echo "deps: installing PyPI packages: ${pypi[*]}"
        python3 -m pip install -q "${pypi[@]}"
    else
        venv=$(cd "$(dirname "$0")/.." && pwd)/.venv
        echo "deps: installing PyPI packages into $venv (Debian manages this Python): ${pypi[*]}"
        if [[ ! -x $venv/bin/python3 ]]; then
            [[ $(dpkg-query -W -f='${Status}' python3-venv 2>/dev/null) == "install ok installed" ]] \
                || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; }
            python3 -m venv "$venv"
        fi
        "$venv/bin/python3" -m pip install -q "${pypi[@]}"
    fi
fi
