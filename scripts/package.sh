#!/usr/bin/env bash
# make package: builds the Lambda zip for provided.al2023 on this (Debian 12) machine, no Docker.
#
#   1. scripts/build-deps.sh: minimal static libcurl and libpq from Debian's sources (cached in .build-deps).
#   2. swift build -c release --product RotatorLambda (the Lambda-only build of the rotator) --static-swift-stdlib, linked against those archives, Debian's
#      static OpenSSL and libstdc++, scripts/compat/lambda_compat.c (hypotf, arc4random: glibc 2.35/2.36
#      symbols the static parts reference) and scripts/compat/release_relocations.c, with DT_RPATH $ORIGIN/lib for
#      anything bundled later. Linked by lld with every function in its own section, laid out in the order of the
#      committed layout/<PRODUCT>.order (the functions a profiled rotation ran, cold start first; symbols that no
#      longer exist are skipped), -z now (full RELRO), no exported symbols. `make layout-profile` (LAYOUT_PROFILE=1)
#      makes that file anew: it links once, runs scripts/layout-profile.sh (a rotation under callgrind against moto),
#      writes layout/<PRODUCT>.order and links again with it.
#   3. strip; stage dist/rotator-lambda/ (bootstrap [+ rotator] [+ lib/]); bundle any remaining non-glibc library.
#   4. ABI gate (scripts/abi_gate.py), zip to dist/rotator-lambda.zip, print the size, fail above MAX_ZIP_BYTES.
#
# Environment: BOOTSTRAP_MODE=binary (default: the ELF is /var/task/bootstrap) | script (./bootstrap + rotator);
#              SCRATCH (default .build-lambda), MAX_ZIP_BYTES (default 8000000), PRODUCT (default RotatorLambda, the Lambda-only build of the rotator),
#              STAGE and PACKAGE_ZIP (defaults dist/rotator-lambda[.zip]; `make bench` packages LambdaEcho too),
#              ZIP_RECOMPRESS=1 (default; 0 skips advzip), LAYOUT_PROFILE=1 (profile anew and update layout/;
#              default 0: use layout/<PRODUCT>.order as committed, or link order when there is none),
#              RDS_CA_BUNDLE=<file>: a PEM bundle of the Amazon RDS root CAs (downloaded by you from
#              https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem), shipped as
#              /var/task/rds-ca-bundle.pem; point ROTATOR_DB_CA_FILE (template.yaml: DbCaFile) at it.
#              RECIPES_FILE=<file>: API-key recipes (see recipes/), shipped as /var/task/recipes.json.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
PRODUCT=${PRODUCT:-RotatorLambda}
SCRATCH=${SCRATCH:-.build-lambda}
BOOTSTRAP_MODE=${BOOTSTRAP_MODE:-binary}
MAX_ZIP_BYTES=${MAX_ZIP_BYTES:-8000000}
STAGE=${STAGE:-dist/rotator-lambda}
# Not named ZIP: zip(1) reads $ZIP from the environment as extra options.
ZIP=${PACKAGE_ZIP:-dist/rotator-lambda.zip}
LOCK=/tmp/swift-build.lock

die() { echo "package: ERROR: $*" >&2; exit 1; }
log() { echo "package: $*" >&2; }

case $BOOTSTRAP_MODE in binary|script) ;; *) die "BOOTSTRAP_MODE must be binary or script, not '$BOOTSTRAP_MODE'" ;; esac
for tool in swift gcc strip zip unzip readelf nm python3 flock patchelf ldd awk; do
    command -v "$tool" >/dev/null || die "'$tool' not found (run make deps)"
done
# lld comes with the Swift toolchain (swiftc -use-ld=lld finds it beside swiftc).
[[ -x $(dirname "$(readlink -f "$(command -v swiftc)")")/ld.lld ]] || die "ld.lld not found beside swiftc (a Swift toolchain from swift.org has it)"

# 1. static C dependencies (serialised with the Swift builds: they share the same two cores)
bash scripts/build-deps.sh --check || flock "$LOCK" bash scripts/build-deps.sh
DEPS=$repo/.build-deps

# 2. compat objects + release build
compat=$repo/$SCRATCH/compat/lambda_compat.o
release_relocations=$repo/$SCRATCH/compat/release_relocations.o

# -function-sections: one section per Swift function, so lld can move each (the Swift runtime's archive is built
# that way too); the C archives move one object at a time. --no-export-dynamic undoes the -export-dynamic of
# swiftc's static-stdlib link: nothing loads symbols from this executable, and 2,700 exported names would only
# fill .dynsym. -z now binds every import before main (full RELRO), so no relocation is read after start-up.
# The checkout's folder must not reach the binary, so that a release is the same bytes wherever it is built:
# -disable-incremental-llvm-codegen, or every object carries a .swift_modhash section, an MD5 of its LLVM IR (kept to
# skip unchanged code generation) that depends on the source paths in the debug information; -gnone, or that debug
# information (paths, and the clang module cache's folder and file names, hashes of the paths) stays in the unstripped
# link, where lld computes the build-id, so the stripped binary's build-id would still differ though not one
# instruction did. (`strip` removes debug information from what ships anyway; -debug-prefix-map was not enough.)
swift_flags=(-c release --static-swift-stdlib --scratch-path "$SCRATCH" --disable-local-rpath
    -Xswiftc -Xfrontend -Xswiftc -function-sections -Xswiftc -Xfrontend -Xswiftc -disable-incremental-llvm-codegen
    -Xswiftc -gnone -Xswiftc -use-ld=lld
    -Xlinker --disable-new-dtags -Xlinker -rpath -Xlinker '$ORIGIN/lib' -Xlinker -z -Xlinker now
    -Xlinker --no-export-dynamic -Xlinker "$compat" -Xlinker "$release_relocations")
# SwiftPM reuses objects compiled with other -Xswiftc flags: a scratch folder built with different flags is emptied.
# (The product is not part of the flags: LambdaEcho and RotatorLambda share the scratch folder.)
if [[ -f $SCRATCH/swift-flags && $(cat "$SCRATCH/swift-flags") != "${swift_flags[*]}" ]]; then
    log "the Swift flags changed since $SCRATCH was built: building from scratch"
    rm -rf "$SCRATCH"
fi
mkdir -p "$SCRATCH/compat" "$SCRATCH/layout"
echo "${swift_flags[*]}" > "$SCRATCH/swift-flags"
gcc -O2 -fPIC -fno-math-errno -Wall -Wextra -Werror -c scripts/compat/lambda_compat.c -o "$compat"
gcc -O2 -fPIC -Wall -Wextra -Werror -c scripts/compat/release_relocations.c -o "$release_relocations"
export PKG_CONFIG_PATH=$DEPS/pkgconfig
bin=$(swift build "${swift_flags[@]}" --show-bin-path)/$PRODUCT
link() { # link <extra swift build flags...>
    log "swift build --product $PRODUCT ${swift_flags[*]} $*"
    # SwiftPM does not track the static archives in .build-deps: remove the binary so it is always relinked.
    rm -f "$bin"
    if ! flock "$LOCK" swift build --product "$PRODUCT" "${swift_flags[@]}" "$@" >"$SCRATCH/build.log" 2>&1; then
        tail -60 "$SCRATCH/build.log" >&2
        die "swift build failed (full log: $SCRATCH/build.log)"
    fi
    tail -1 "$SCRATCH/build.log" >&2
    [[ -x $bin ]] || die "no binary at $bin"
}
order=layout/$PRODUCT.order
if [[ ${LAYOUT_PROFILE:-0} == 1 ]]; then
    link
    cp "$bin" "$SCRATCH/layout/$PRODUCT.profiled"
    bash scripts/layout-profile.sh "$SCRATCH/layout/$PRODUCT.profiled" "$order"
    log "wrote $order (commit it)"
fi
if [[ -f $order ]]; then
    link -Xlinker "--symbol-ordering-file=$repo/$order" -Xlinker --no-warn-symbol-ordering
else
    log "no $order: linked in link order (make layout-profile makes one)"
    link
fi

# The binary must use at most FoundationEssentials: no full Foundation, no FoundationInternationalization / ICU.
if heavy=$(nm "$bin" | grep -E '\$s10Foundation|\$s30FoundationInternationalization|\$s14_FoundationICU|\$s19FoundationNetworking|\$s13FoundationXML|_ZN6icu_[0-9]' | head -3) && [[ -n $heavy ]]; then
    die "the $PRODUCT binary links full Foundation / ICU (import FoundationEssentials instead):"$'\n'"$heavy"
fi

# 3. stage
rm -rf "$STAGE" "$ZIP"
mkdir -p "$STAGE"
if [[ $BOOTSTRAP_MODE == binary ]]; then
    elf=$STAGE/bootstrap
else
    elf=$STAGE/rotator
    install -m 755 bootstrap "$STAGE/bootstrap"
fi
strip --strip-all -o "$elf" "$bin"
chmod 755 "$elf"
bash scripts/bundle-libs.sh "$elf" "$STAGE/lib" >&2
# With nothing bundled, DT_RPATH $ORIGIN/lib only makes the loader probe /var/task/lib (and its glibc-hwcaps
# subfolders) for libc, libm and libgcc_s at every start: drop it.
if [[ ! -d $STAGE/lib ]]; then
    patchelf --remove-rpath "$elf"
fi

# RDS server certificates chain to the Amazon RDS root CAs, which Lambda's system CA bundle does not always hold
# (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html): AWS's advice is to ship the bundle.
if [[ -n ${RDS_CA_BUNDLE:-} ]]; then
    [[ -f $RDS_CA_BUNDLE ]] || die "RDS_CA_BUNDLE names $RDS_CA_BUNDLE, which does not exist"
    certificates=$(grep -c -- '-----BEGIN CERTIFICATE-----' "$RDS_CA_BUNDLE" || true)
    ((certificates > 0)) && openssl storeutl -noout -certs "$RDS_CA_BUNDLE" >/dev/null 2>&1 \
        || die "RDS_CA_BUNDLE ($RDS_CA_BUNDLE) is not a PEM file of certificates"
    install -m 644 "$RDS_CA_BUNDLE" "$STAGE/rds-ca-bundle.pem"
    log "RDS CA bundle: $certificates certificate(s) -> /var/task/rds-ca-bundle.pem (set DbCaFile / ROTATOR_DB_CA_FILE)"
fi

# API-key recipes live in the function's configuration, not in secrets: shipped as /var/task/recipes.json, which the
# function reads at start-up when ROTATOR_RECIPES_FILE is unset (a broken file fails the init, not a rotation).
if [[ -n ${RECIPES_FILE:-} ]]; then
    [[ -f $RECIPES_FILE ]] || die "RECIPES_FILE names $RECIPES_FILE, which does not exist"
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert isinstance(d.get("recipes"), dict)' \
        "$RECIPES_FILE" 2>/dev/null || die "RECIPES_FILE ($RECIPES_FILE) is not JSON with a \"recipes\" object"
    install -m 644 "$RECIPES_FILE" "$STAGE/recipes.json"
    log "recipes: $RECIPES_FILE -> /var/task/recipes.json"
fi

# Lambda runs the code as an unprivileged user: every file must be world-readable (executables world-executable).
if unreadable=$(find "$STAGE" -type f ! -perm -o+r) && [[ -n $unreadable ]]; then
    die "not world-readable (Lambda could not load them): $unreadable"
fi

# 4. gate, zip (fixed timestamps: the same staged files give the same zip, so `sam deploy` skips unchanged code)
python3 scripts/abi_gate.py "$STAGE" || die "ABI gate failed: the zip would not load on provided.al2023"
find "$STAGE" -exec touch -h -d '2000-01-01 00:00:00 UTC' {} +
(cd "$STAGE" && zip -q -X -9 -r "$repo/$ZIP" .)
# advzip re-deflates with a stronger (7-Zip) encoder: about 4% smaller, still plain deflate, about 20 s.
if [[ ${ZIP_RECOMPRESS:-1} == 1 ]]; then
    command -v advzip >/dev/null || die "advzip not found (apt-get install advancecomp), or set ZIP_RECOMPRESS=0"
    advzip -q -z -3 "$ZIP"
    unzip -tq "$ZIP" >/dev/null || die "advzip produced a broken zip"
fi
mode=$(unzip -Z "$ZIP" bootstrap | awk '{print $1}')
[[ $mode == -rwx* ]] || die "bootstrap in the zip is not executable ($mode)"

size=$(stat -c %s "$ZIP")
printf 'package: %s  %d bytes (%.2f MB); limit %d bytes; binary %d bytes stripped\n' \
    "$ZIP" "$size" "$(awk -v s="$size" 'BEGIN{print s/1000000}')" "$MAX_ZIP_BYTES" "$(stat -c %s "$elf")"
unzip -Z -l "$ZIP" | sed 's/^/package:   /'
(( size <= MAX_ZIP_BYTES )) || die "zip is $size bytes, above the $MAX_ZIP_BYTES-byte budget"
