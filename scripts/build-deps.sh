#!/usr/bin/env bash
# Builds the C libraries the Lambda binary links statically, from Debian's own source packages:
#   - libcurl: HTTP and HTTPS only, OpenSSL, default CA bundle at the Amazon Linux path.
#   - libpq:   OpenSSL only (no GSSAPI, no LDAP, no zlib, no readline).
#   - libmariadb (MariaDB Connector/C, from Debian's `mariadb` source): OpenSSL, the password plugins built in
#     (mysql_native_password, caching_sha2_password, sha256_password, client_ed25519), no plugin ever loaded
#     from disk. Debian's own libmariadb.a loads caching_sha2_password with dlopen, so it cannot be used.
# and copies Debian's static OpenSSL (libssl.a, libcrypto.a from libssl-dev) and libstdc++.a (gcc) beside them.
#
# Why: Debian's shared libcurl pulls in ~25 libraries (nghttp2, idn2, rtmp, ssh2, psl, krb5, ldap, gnutls, ...)
# and exports symbols versioned CURL_OPENSSL_4; Debian's libpq pulls krb5 and ldap; Debian's libstdc++ needs
# GLIBC_2.36 (arc4random). Bundling all of that makes an 11 MB zip. Linking these minimal builds statically
# leaves the binary needing only glibc and libgcc_s, which provided.al2023 has.
#
# Output (DEPS, default <repo>/.build-deps):
#   DEPS/lib/*.a              the archives
#   DEPS/lib/lib{curl,pq,mariadb,crypto,stdc++}.so   GNU ld linker scripts: `-lcurl` (emitted by SwiftPM for the
#                             CCurl module) resolves to GROUP(libcurl.a libssl.a libcrypto.a), so archive
#                             order on the link line does not matter and no shared copy is picked up.
#   DEPS/pkgconfig/*.pc       libcurl, libpq, libmariadb, libcrypto pointing at DEPS: scripts/package.sh sets PKG_CONFIG_PATH
#   DEPS/VERSIONS             source package versions used
# Usage: build-deps.sh [--check]   (--check exits 1 when a build is needed, without building)
# Needs: deb-src lines for Debian (make deps writes /etc/apt/sources.list.d/debian-src.sources), dpkg-dev, gcc, make, libssl-dev.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
DEPS=${DEPS:-$repo/.build-deps}
STAMP_VERSION=7   # bump when the configure options below change

die() { echo "build-deps: ERROR: $*" >&2; exit 1; }
log() { echo "build-deps: $*" >&2; }

if [[ -f $DEPS/stamp && $(cat "$DEPS/stamp") == "$STAMP_VERSION" ]]; then
    log "up to date ($DEPS; $(tr '\n' ' ' < "$DEPS/VERSIONS"))"
    exit 0
fi
[[ ${1:-} != --check ]] || exit 1   # --check: only report whether a build is needed

for tool in dpkg-source apt-get gcc make pkg-config cmake; do
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
mariadb_ver=$(dpkg-query -W -f='${source:Version}' libmariadb-dev 2>/dev/null || true)
fetch() { # package pinned-version: the pinned version, else each version the mirror lists, newest first
    local version
    log "fetching Debian source package $1${2:+=$2} (apt-get source)"
    apt-get source --download-only "$1${2:+=$2}" >>apt-source.log 2>&1 && return 0
    for version in $(apt-cache showsrc "$1" 2>/dev/null | sed -n 's/^Version: //p' | sort -rV | uniq); do
        log "  $1=$version instead"
        apt-get source --download-only "$1=$version" >>apt-source.log 2>&1 && return 0
    done
    cat apt-source.log >&2
    die "apt-get source $1 failed: enable deb-src (make deps does: /etc/apt/sources.list.d/debian-src.sources) and run apt-get update"
}
fetch curl "$curl_ver"
fetch postgresql-15 "$pg_ver"
fetch mariadb "$mariadb_ver"
curl_dsc=$(ls curl_*.dsc | sort -V | tail -1)
pg_dsc=$(ls postgresql-15_*.dsc | sort -V | tail -1)
mariadb_dsc=$(ls mariadb_*.dsc | sort -V | tail -1)
dpkg-source -x --no-check "$curl_dsc" curl >/dev/null
dpkg-source -x --no-check "$pg_dsc" postgresql >/dev/null
# The server's source is 600 MB unpacked; Connector/C is its libmariadb/ folder (7 MB), which none of Debian's
# patches touch, so only that is taken from the upstream tarball.
mariadb_orig=$(ls mariadb_*.orig.tar.* | grep -v '\.asc$' | sort -V | tail -1)
mkdir mariadb-orig
tar -xf "$mariadb_orig" -C mariadb-orig --wildcards '*/libmariadb/*'
mv mariadb-orig/*/libmariadb libmariadb
rm -rf mariadb-orig "$mariadb_orig"
{
    echo "curl ${curl_dsc#curl_}"
    echo "postgresql-15 ${pg_dsc#postgresql-15_}"
    echo "mariadb ${mariadb_dsc#mariadb_}"
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
    # --sysconfdir: libpq compiles it in (where pg_service.conf would be); Debian's own path rather than one under
    # this checkout, so the zip's bytes do not depend on where it was built.
    ./configure --prefix="$DEPS/prefix" --sysconfdir=/etc/postgresql-common --with-ssl=openssl --without-readline \
        --without-zlib --without-icu --without-gssapi --without-ldap --without-lz4 --without-zstd --disable-rpath
    # Headers such as utils/errcodes.h are generated by the backend's makefiles; with -j, libpgport can be
    # compiled before they exist unless they are made first.
    make -C src/backend generated-headers
    make -j"$jobs" -C src/interfaces/libpq
    make -C src/interfaces/libpq install
    make -C src/include install-interfaces 2>/dev/null || true
    install -m 644 src/include/postgres_ext.h src/include/pg_config_ext.h "$DEPS/prefix/include/"
) >pq-build.log 2>&1 || { tail -40 pq-build.log >&2; die "libpq build failed (full log: $DEPS/src/pq-build.log)"; }

# --- libmariadb --------------------------------------------------------------------------------------------------
# Options: https://mariadb.com/kb/en/mariadb-connector-c-build-options/ . The plugin folder (prefix + INSTALL_PLUGINDIR,
# compiled in as MARIADB_PLUGINDIR) points nowhere, so that no plugin can be loaded from disk (the rotator also restricts the server's choice with MARIADB_OPT_RESTRICTED_AUTH).
# COMPILE_WARNING_AS_ERROR=OFF: a standalone build adds -Werror, and gcc 12 warns in mariadb_rpl.c.
log "building static libmariadb (OpenSSL, password plugins built in)"
(
    set -e
    cmake -S libmariadb -B libmariadb-build -DCMAKE_BUILD_TYPE=MinSizeRel -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
        -DCMAKE_C_FLAGS="-ffunction-sections -fdata-sections" -DCMAKE_COMPILE_WARNING_AS_ERROR=OFF \
        -DWITH_SSL=OPENSSL -DWITH_UNIT_TESTS=OFF -DWITH_CURL=OFF -DWITH_EXTERNAL_ZLIB=OFF -DWITH_DYNCOL=OFF \
        -DWITH_ICONV=OFF -DWITH_MYSQLCOMPAT=OFF -DDEFAULT_CHARSET=utf8mb4 -DENABLED_LOCAL_INFILE=OFF \
        -DCMAKE_INSTALL_PREFIX=/nonexistent -DINSTALL_PLUGINDIR=mariadb-plugins \
        -DCLIENT_PLUGIN_MYSQL_NATIVE_PASSWORD=STATIC -DCLIENT_PLUGIN_CACHING_SHA2_PASSWORD=STATIC \
        -DCLIENT_PLUGIN_SHA256_PASSWORD=STATIC -DCLIENT_PLUGIN_CLIENT_ED25519=STATIC \
        -DCLIENT_PLUGIN_DIALOG=OFF -DCLIENT_PLUGIN_MYSQL_CLEAR_PASSWORD=OFF -DCLIENT_PLUGIN_MYSQL_OLD_PASSWORD=OFF \
        -DCLIENT_PLUGIN_AUTH_GSSAPI_CLIENT=OFF -DCLIENT_PLUGIN_ZSTD=OFF -DCLIENT_PLUGIN_REMOTE_IO=OFF \
        -DCLIENT_PLUGIN_PVIO_SOCKET=STATIC -DCLIENT_PLUGIN_ZLIB=STATIC
    make -C libmariadb-build -j"$jobs" mariadbclient
    include=$DEPS/prefix/include/mariadb
    mkdir -p "$include/mysql" "$include/mariadb"
    (cd libmariadb/include && cp mariadb_com.h mysql.h mariadb_stmt.h ma_pvio.h ma_tls.h ma_list.h errmsg.h \
        mariadb_dyncol.h mariadb_ctype.h mariadb_rpl.h mysqld_error.h "$include/" &&
        cp mysql/client_plugin.h mysql/plugin_auth.h "$include/mysql/" && cp mariadb/ma_io.h "$include/mariadb/")
    cp libmariadb-build/include/mariadb_version.h "$include/"
    cp libmariadb-build/libmariadb/libmariadbclient.a "$DEPS/prefix/lib/libmariadb.a"
) >mariadb-build.log 2>&1 || { tail -40 mariadb-build.log >&2; die "libmariadb build failed (full log: $DEPS/src/mariadb-build.log)"; }

# --- assemble ----------------------------------------------------------------------------------------------------
lib=$DEPS/lib
cp "$DEPS/prefix/lib/libcurl.a" "$DEPS/prefix/lib/libpq.a" "$DEPS/prefix/lib/libmariadb.a" "$lib/"
cp postgresql/src/common/libpgcommon_shlib.a postgresql/src/port/libpgport_shlib.a "$lib/"
cp "$openssl_libdir/libssl.a" "$openssl_libdir/libcrypto.a" "$lib/"
cp "$libstdcxx_a" "$lib/libstdc++.a"

echo "GROUP ( $lib/libcurl.a $lib/libssl.a $lib/libcrypto.a )" > "$lib/libcurl.so"
echo "GROUP ( $lib/libpq.a $lib/libpgcommon_shlib.a $lib/libpgport_shlib.a $lib/libssl.a $lib/libcrypto.a )" > "$lib/libpq.so"
echo "GROUP ( $lib/libmariadb.a $lib/libssl.a $lib/libcrypto.a )" > "$lib/libmariadb.so"
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
pc libmariadb "$(grep '^mariadb ' "$DEPS/VERSIONS" | cut -d' ' -f2)" "$DEPS/prefix/include/mariadb" mariadb
pc libcrypto "$(pkg-config --modversion libcrypto)" "" crypto
pc libssl "$(pkg-config --modversion libssl)" "" ssl

echo "$STAMP_VERSION" > "$DEPS/stamp"
log "done: $(tr '\n' ' ' < "$DEPS/VERSIONS")"
