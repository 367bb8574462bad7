#!/usr/bin/env bash
# make release-reproducibility: builds the committed HEAD a second time, from a clone in another folder (a longer path,
# its own .build-deps and scratch folders, nothing shared but the toolchain and Debian's packages), and compares every
# file of its dist/release/ with this checkout's, byte for byte. Run `make release` here first, on a clean tree.
# Slow (a full release build: about half an hour on 2 cores); not part of `make test`.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
die() { echo "release-reproducibility: ERROR: $*" >&2; exit 1; }

[[ -f dist/release/SHA256SUMS ]] || die "no dist/release/SHA256SUMS: run make release first"
[[ -z $(git status --porcelain --untracked-files=no) ]] || die "the tree has uncommitted changes: the clone builds HEAD"
(( $(stat -c %Y dist/release/SHA256SUMS) >= $(git log -1 --format=%ct) )) \
    || die "dist/release is older than HEAD's commit: run make release again"

work=$(mktemp -d /tmp/rotator-reproducibility.XXXXXX)
trap 'rm -rf "$work"' EXIT
clone=$work/a/longer/path/to/another/checkout
git clone --quiet --no-hardlinks "$repo" "$clone"
echo "release-reproducibility: building $(git rev-parse --short HEAD) again in $clone"
make -C "$clone" release >"$work/release.log" 2>&1 || { tail -40 "$work/release.log" >&2; die "make release failed in the clone"; }

if diff -u dist/release/SHA256SUMS "$clone/dist/release/SHA256SUMS"; then
    echo "release-reproducibility: PASS: the same bytes from both folders:"
    sed 's/^/release-reproducibility:   /' dist/release/SHA256SUMS
    exit 0
fi
for file in $(cd dist/release && ls); do
    [[ $file == SHA256SUMS ]] || cmp -s "dist/release/$file" "$clone/dist/release/$file" && continue
    echo "release-reproducibility: $file differs:"
    { cmp -l "dist/release/$file" "$clone/dist/release/$file" || true; } | wc -l | sed 's/^/  bytes: /'
    if [[ $file == rotator-*-linux-* ]]; then
        for section in $(readelf -SW "dist/release/$file" | sed -n 's/^ *\[ *[0-9]*\] *\([^ ]*\).*/\1/p'); do
            cmp -s <(readelf -x "$section" "dist/release/$file" 2>/dev/null) \
                <(readelf -x "$section" "$clone/dist/release/$file" 2>/dev/null) || echo "  section $section"
        done
    fi
done
die "the release is not reproducible across checkout folders"
