#!/usr/bin/env bash
# Builds the C libraries the Lambda binary links statically, from Debian's own source packages:
#   - libcurl: HTTP and HTTPS only, OpenSSL, default CA bundle at the Amazon Linux path.
#   - libpq:   OpenSSL only (no GSSAPI, no LDAP, no zlib, no readline).
# and copies Debian's static OpenSSL (libssl.a, libcrypto.a from libssl-dev) and libstdc++.a (gcc) beside them.
#
# Why: Debian's shared libcurl pulls in ~25 libraries (nghttp2, idn2, rtmp, ssh2, psl, krb5, ldap, gnutls, ...)
# and exports symbols versioned CURL_OPENSSL_4; Debian's libpq pulls krb5 and ldap; Debian's libstdc++ needs
# GLIBC_2.36 (arc4random). Bundling all of that makes an 11 MB zip. Linking these minimal builds statically
# leaves the binary needing only glibc and libgcc_s, which provided.al2023 has.
#
# Output (DEPS, default <repo>/.build-deps):
#   DEPS/lib/*.a              the archives
#   DEPS/lib/lib{curl,pq,crypto,stdc++}.so   GNU ld linker scripts: `-lcurl` (emitted by SwiftPM for the
#                             CCurl module) resolves to GROUP(libcurl.a libssl.a libcrypto.a), so archive
#                             order on the link line does not matter and no shared copy is picked up.
#   DEPS/pkgconfig/*.pc       libcurl, libpq, libcrypto pointing at DEPS: scripts/package.sh sets PKG_CONFIG_PATH
#   DEPS/VERSIONS             source package versions used
# Usage: build-deps.sh [--check]   (--check exits 1 when a build is needed, without building)
# Needs: deb-src lines for Debian (make deps writes /etc/apt/sources.list.d/debian-src.sources), dpkg-dev, gcc, make, libssl-dev.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
DEPS=${DEPS:-$repo/.build-deps}
STAMP_VERSION=4   # bump when the configure options below change

die() { echo "build-deps: ERROR: $*" >&2; exit 1; }
log() { echo "build-deps: $*" >&2; }

if [[ -f $DEPS/stamp && $(cat "$DEPS/stamp") == "$STAMP_VERSION" ]]; then
    log "up to date ($DEPS; $(tr '\n' ' ' < "$DEPS/VERSIONS"))"
    exit 0
fi
[[ ${1:-} != --check ]] || exit 1   # --check: only report whether a build is needed

for tool in dpkg-source apt-get gcc make pkg-config; do
    command -v "$tool" >/dev/null || die "'$tool' not found (apt-get install dpkg-dev gcc make pkg-config)"
done
openssl_libdir=$(pkg-config --variable=libdir libcrypto) || die "libssl-dev is not installed"
for a in libssl.a libcrypto.a; do [[ -f $openssl_libdir/$a ]] || die "$openssl_libdir/$a missing (apt-get install libssl-dev)"; done
libstdcxx_a=$(gcc -print-file-name=libstdc++.a)
[[ -f $libstdcxx_a ]] || die "libstdc++.a not found (apt-get install libstdc++-12-dev)"

rm -rf "$DEPS/src" "$DEPS/prefix" "$DEPS/lib" "$DEPS/pkgconfig" "$DEPS/stamp"
mkdir -p "$DEPS/src" "$DEPS/lib" "$DEPS/pkgconfig"
jobs=$(nproc)

# --- sources -------------------------------------------------------------------------------------------------
cd "$DEPS/src"
# Pin to the versions of the installed -dev packages (the same sources as the headers the debug build uses);
# a mirror may no longer serve an older security version, so fall back to the newest it has.
curl_ver=$(dpkg-query -W -f='${source:Version}' libcurl4-openssl-dev 2>/dev/null || true)
pg_ver=$(dpkg-query -W -f='${source:Version}' libpq-dev 2>/dev/null || true)
log "fetching Debian source packages curl${curl_ver:+=$curl_ver}, postgresql-15${pg_ver:+=$pg_ver} (apt-get source)"
if ! apt-get source --download-only "curl${curl_ver:+=$curl_ver}" "postgresql-15${pg_ver:+=$pg_ver}" >apt-source.log 2>&1 &&
   ! apt-get source --download-only curl postgresql-15 >>apt-source.log 2>&1; then
    cat apt-source.log >&2
    die "apt-get source failed: enable deb-src (make deps does: /etc/apt/sources.list.d/debian-src.sources) and run apt-get update"
fi
curl_dsc=$(ls curl_*.dsc | sort -V | tail -1)
pg_dsc=$(ls postgresql-15_*.dsc | sort -V | tail -1)
dpkg-source -x --no-check "$curl_dsc" curl >/dev/null
dpkg-source -x --no-check "$pg_dsc" postgresql >/dev/null
{
    echo "curl ${curl_dsc#curl_}"
    echo "postgresql-15 ${pg_dsc#postgresql-15_}"
    echo "openssl $(dpkg-query -W -f='${Version}' libssl-dev)"
    echo "libstdc++ $(gcc -dumpfullversion)"
} | sed 's/\.dsc$//' > "$DEPS/VERSIONS"

# --- libcurl -----------------------------------------------------------------------------------------------------
# ac_cv_func_arc4random=no: glibc 2.36 has arc4random, provided.al2023's glibc 2.34 does not.
log "building static libcurl (HTTP/HTTPS, OpenSSL)"
(
    set -e
    cd curl
    ./configure --prefix="$DEPS/prefix" --disable-shared --enable-static --with-pic --enable-symbol-hiding \
        --with-openssl --without-gnutls --without-nss \
        --without-zlib --without-brotli --without-zstd --without-libpsl --without-libidn2 --without-nghttp2 \
        --without-librtmp --without-libssh2 --without-libssh --without-gssapi --without-libgsasl \
        --without-hyper --without-quiche --without-ngtcp2 --without-nghttp3 --without-msh3 \
        --disable-ldap --disable-ldaps --disable-rtsp --disable-dict --disable-telnet --disable-tftp \
        --disable-pop3 --disable-imap --disable-smb --disable-smtp --disable-gopher --disable-mqtt \
        --disable-ftp --disable-file --disable-manual --disable-ntlm --disable-ntlm-wb --disable-cookies \
        --disable-doh --disable-mime --disable-netrc --disable-alt-svc --disable-hsts --disable-websockets \
        --disable-dependency-tracking --disable-openssl-auto-load-config \
        --with-ca-bundle=/etc/pki/tls/certs/ca-bundle.crt --without-ca-path --without-ca-fallback \
        ac_cv_func_arc4random=no
    make -j"$jobs" -C lib
    make -C lib install
    make -C include install
) >curl-build.log 2>&1 || { tail -40 curl-build.log >&2; die "libcurl build failed (full log: $DEPS/src/curl-build.log)"; }

# --- libpq -------------------------------------------------------------------------------------------------------
log "building static libpq (OpenSSL only)"
(
    set -e
    cd postgresql
    ./configure --prefix="$DEPS/prefix" --with-ssl=openssl --without-readline --without-zlib --without-icu \
        --without-gssapi --without-ldap --without-lz4 --without-zstd --disable-rpath
    # Headers such as utils/errcodes.h are generated by the backend's makefiles; with -j, libpgport can be
    # compiled before they exist unless they are made first.
    make -C src/backend generated-headers
    make -j"$jobs" -C src/interfaces/libpq
    make -C src/interfaces/libpq install
    make -C src/include install-interfaces 2>/dev/null || true
    install -m 644 src/include/postgres_ext.h src/include/pg_config_ext.h "$DEPS/prefix/include/"
) >pq-build.log 2>&1 || { tail -40 pq-build.log >&2; die "libpq build failed (full log: $DEPS/src/pq-build.log)"; }

# --- assemble ----------------------------------------------------------------------------------------------------
lib=$DEPS/lib
cp "$DEPS/prefix/lib/libcurl.a" "$DEPS/prefix/lib/libpq.a" "$lib/"
cp postgresql/src/common/libpgcommon_shlib.a postgresql/src/port/libpgport_shlib.a "$lib/"
cp "$openssl_libdir/libssl.a" "$openssl_libdir/libcrypto.a" "$lib/"
cp "$libstdcxx_a" "$lib/libstdc++.a"

echo "GROUP ( $lib/libcurl.a $lib/libssl.a $lib/libcrypto.a )" > "$lib/libcurl.so"
echo "GROUP ( $lib/libpq.a $lib/libpgcommon_shlib.a $lib/libpgport_shlib.a $lib/libssl.a $lib/libcrypto.a )" > "$lib/libpq.so"
echo "GROUP ( $lib/libssl.a $lib/libcrypto.a )" > "$lib/libssl.so"
echo "GROUP ( $lib/libcrypto.a )" > "$lib/libcrypto.so"
echo "INPUT ( $lib/libstdc++.a )" > "$lib/libstdc++.so"

pc() { # name version cflags-dir lib
    cat > "$DEPS/pkgconfig/$1.pc" <<PC
Name: $1
Description: $1 for the Lambda package (static, built by scripts/build-deps.sh)
Version: $2
Cflags:${3:+ -I$3}
Libs: -L$lib -l$4
PC
}
pc libcurl "$(grep '^curl ' "$DEPS/VERSIONS" | cut -d' ' -f2)" "$DEPS/prefix/include" curl
pc libpq "$(grep '^postgresql-15 ' "$DEPS/VERSIONS" | cut -d' ' -f2)" "$DEPS/prefix/include" pq
pc libcrypto "$(pkg-config --modversion libcrypto)" "" crypto
pc libssl "$(pkg-config --modversion libssl)" "" ssl

echo "$STAMP_VERSION" > "$DEPS/stamp"
log "done: $(tr '\n' ' ' < "$DEPS/VERSIONS")"
