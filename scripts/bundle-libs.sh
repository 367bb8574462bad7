#!/usr/bin/env bash
# usage: scripts/bundle-libs.sh <staged ELF> <lib folder>
# Copies every shared library the ELF needs (recursively, as resolved on this machine by ldd) that the target
# does not provide (anything but glibc and libgcc_s) into <lib folder>, named by soname, and gives each copy
# DT_RPATH '$ORIGIN' so its own dependencies are found beside it before Lambda's LD_LIBRARY_PATH (/lib64 first).
# The ELF itself must carry DT_RPATH '$ORIGIN/lib' (link flags in scripts/package.sh). Prints what it bundled.
# The ABI gate (scripts/abi_gate.py) then checks every copy: a library built for glibc > 2.34 fails there.
set -euo pipefail
elf=$1 libdir=$2
here=$(cd "$(dirname "$0")" && pwd)
system=$(python3 "$here/abi_gate.py" --print-system-sonames)
command -v patchelf >/dev/null || { echo "bundle-libs: ERROR: patchelf not found (apt-get install patchelf)" >&2; exit 1; }

out=$(ldd "$elf" 2>&1) || { echo "bundle-libs: ERROR: ldd $elf failed: $out" >&2; exit 1; }
if grep -q 'not found' <<<"$out"; then
    echo "bundle-libs: ERROR: $elf needs libraries this machine cannot resolve:" >&2
    grep 'not found' <<<"$out" >&2
    exit 1
fi
count=0
while read -r soname _ path _; do
    [[ -n $path && $path == /* ]] || continue
    grep -qxF "$soname" <<<"$system" && continue
    mkdir -p "$libdir"
    cp -L "$path" "$libdir/$soname"
    chmod 644 "$libdir/$soname"
    patchelf --force-rpath --set-rpath '$ORIGIN' "$libdir/$soname"
    echo "bundle-libs: $soname <- $path (DT_RPATH \$ORIGIN)"
    count=$((count + 1))
done < <(grep '=>' <<<"$out")
echo "bundle-libs: $count librar$( ((count == 1)) && echo y || echo ies) bundled for $(basename "$elf")"
