#!/usr/bin/env bash
# make abi-gate-selftest: proves scripts/abi_gate.py rejects what would not load on provided.al2023 and accepts
# the layouts scripts/package.sh produces. Builds tiny C/C++ programs into a temporary folder; no Swift build.
#
# Must FAIL:  a GLIBC_2.35/2.36 symbol (hypotf, arc4random); GLIBCXX_3.4.30 (gcc 12 __glibcxx_assert_fail);
#             a library that is not bundled (libz); a bundled library reached only through DT_RUNPATH;
#             a #!/bin/bash script.
# Must PASS:  the same hypotf program linked with scripts/compat/lambda_compat.o; a program whose bundled
#             libraries (lib/, copied by scripts/bundle-libs.sh) are reached through DT_RPATH.
# Runtime proof of the RPATH rule: with a decoy library of the same soname first in LD_LIBRARY_PATH (Lambda's
# /lib64 situation), the DT_RPATH program still loads its bundled copy; the DT_RUNPATH one loads the decoy.
# Also checks compat hypotf against glibc's bit for bit.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
gate=(python3 "$repo/scripts/abi_gate.py")
work=$(mktemp -d /tmp/abi-gate-selftest.XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0
pass() { echo "selftest: ok   - $*"; }
bad() { echo "selftest: FAIL - $*" >&2; failures=$((failures + 1)); }

# expect_gate <pass|fail> <case> <folder> [text that must appear in the gate's output]
expect_gate() {
    local want=$1 name=$2 dir=$3 text=${4:-} out rc=0
    out=$("${gate[@]}" "$dir" 2>&1) || rc=$?
    if [[ $want == fail && $rc -eq 0 ]]; then
        bad "$name: gate passed, expected a rejection"; echo "$out" | sed 's/^/    /' >&2; return
    fi
    if [[ $want == pass && $rc -ne 0 ]]; then
        bad "$name: gate rejected, expected a pass"; echo "$out" | sed 's/^/    /' >&2; return
    fi
    if [[ -n $text ]] && ! grep -qF -- "$text" <<<"$out"; then
        bad "$name: gate output lacks '$text'"; echo "$out" | sed 's/^/    /' >&2; return
    fi
    pass "$name: gate ${want}ed as expected"
    grep -E 'FAIL|PASS' <<<"$out" | sed 's/^/    /'
}

cd "$work"
CFLAGS=(-O1 -fPIC -Wall)

# --- 1. GLIBC_2.35 / 2.36 symbols --------------------------------------------------------------------------------
cat > newglibc.c <<'EOF'
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    float x = argc > 1 ? strtof(argv[1], 0) : 3.0f;
    printf("%g %u\n", hypotf(x, 4.0f), arc4random() & 0u);
    return 0;
}
EOF
mkdir -p c1 && gcc "${CFLAGS[@]}" newglibc.c -lm -o c1/bootstrap
expect_gate fail "GLIBC_2.35 hypotf / GLIBC_2.36 arc4random" c1 "GLIBC_2.35 from libm.so.6 (symbols: hypotf)"
grep -q "GLIBC_2.36" < <("${gate[@]}" c1 2>&1) && pass "GLIBC_2.36 (arc4random) reported too" || bad "GLIBC_2.36 not reported"

# ... and the fix package.sh uses: the compat object
gcc -O2 -fPIC -fno-math-errno -Wall -Wextra -Werror -c "$repo/scripts/compat/lambda_compat.c" -o compat.o
mkdir -p c2 && gcc "${CFLAGS[@]}" newglibc.c compat.o -lm -o c2/bootstrap
expect_gate pass "same program + scripts/compat/lambda_compat.o" c2
[[ $(c2/bootstrap 3) == "5 0" ]] && pass "compat hypotf(3,4) = 5" || bad "compat hypotf(3,4) != 5"
if ! grep -qwE 'hypotf|arc4random' <<<"$(nm -D c2/bootstrap)"; then pass "compat symbols stay hidden (not exported)"
else bad "compat symbols are exported"; fi
gcc -O2 -c -Dhypotf=compat_hypotf -Darc4random=compat_arc4random "$repo/scripts/compat/lambda_compat.c" -o cmp.o
gcc -O2 "$repo/scripts/compat/hypotf_check.c" cmp.o -lm -o hypotf_check
if out=$(./hypotf_check 20000000); then pass "$out"; else bad "$out"; fi

# --- 2. GLIBCXX_3.4.30 -----------------------------------------------------------------------------------------------
cat > newcxx.cc <<'EOF'
#include <vector>
// _GLIBCXX_ASSERTIONS makes operator[] call std::__glibcxx_assert_fail, new in GCC 12 (GLIBCXX_3.4.30).
int main(int argc, char **) { std::vector<int> v(2); return v[argc]; }
EOF
mkdir -p c3/lib && g++ -O1 -D_GLIBCXX_ASSERTIONS newcxx.cc -o c3/bootstrap -Wl,--disable-new-dtags,-rpath,'$ORIGIN/lib'
cp -L "$(g++ -print-file-name=libstdc++.so.6)" c3/lib/
expect_gate fail "GLIBCXX_3.4.30 (and Debian's bundled libstdc++ needing GLIBC_2.36)" c3 "GLIBCXX_3.4.30"

# --- 3. unbundled library ----------------------------------------------------------------------------------------------
cat > usez.c <<'EOF'
#include <zlib.h>
#include <stdio.h>
int main(void) { printf("%s\n", zlibVersion()); return 0; }
EOF
mkdir -p c4 && gcc "${CFLAGS[@]}" usez.c -lz -o c4/bootstrap
expect_gate fail "libz.so.1 needed but not in the zip" c4 "needs libz.so.1, which is neither in the zip"

# --- 4. bundled libraries: DT_RPATH passes, DT_RUNPATH fails ------------------------------------------------------------
cat > inner.c <<'EOF'
const char *inner(void) { return "bundled"; }
EOF
cat > outer.c <<'EOF'
const char *inner(void);
const char *outer(void) { return inner(); }
EOF
cat > decoy.c <<'EOF'
const char *decoy(void) { return "decoy"; }
EOF
cat > prog.c <<'EOF'
#include <stdio.h>
const char *outer(void);
int main(void) { printf("%s\n", outer()); return 0; }
EOF
mkdir -p build decoy
gcc "${CFLAGS[@]}" -shared -Wl,-soname,libinner.so.1 inner.c -o build/libinner.so.1
gcc "${CFLAGS[@]}" -shared -Wl,-soname,libouter.so.1 outer.c -Lbuild -l:libinner.so.1 -o build/libouter.so.1
gcc "${CFLAGS[@]}" -shared -Wl,-soname,libouter.so.1 decoy.c -o decoy/libouter.so.1   # same soname, no outer()
for dtags in rpath runpath; do
    flag=--disable-new-dtags; [[ $dtags == runpath ]] && flag=--enable-new-dtags
    mkdir -p "$dtags"
    gcc "${CFLAGS[@]}" prog.c -Lbuild -l:libouter.so.1 -o "$dtags/bootstrap" -Wl,$flag,-rpath,'$ORIGIN/lib' \
        -Wl,-rpath-link,build
    LD_LIBRARY_PATH=$work/build bash "$repo/scripts/bundle-libs.sh" "$dtags/bootstrap" "$dtags/lib" >/dev/null
done
expect_gate pass "bundled lib/ reached through DT_RPATH (scripts/bundle-libs.sh copies)" rpath
expect_gate fail "bundled lib/ reached only through DT_RUNPATH" runpath "DT_RUNPATH"
# Runtime: a decoy with the same soname first in LD_LIBRARY_PATH, as /lib64 is on Lambda.
if [[ $(LD_LIBRARY_PATH=$work/decoy rpath/bootstrap 2>&1) == bundled ]]; then
    pass "DT_RPATH binary loads lib/libouter.so.1 although a decoy is first in LD_LIBRARY_PATH"
else bad "DT_RPATH binary did not load its bundled library"; fi
if out=$(LD_LIBRARY_PATH=$work/decoy runpath/bootstrap 2>&1); then
    bad "DT_RUNPATH binary unexpectedly ignored the decoy ($out)"
else pass "DT_RUNPATH binary picks the decoy and fails: ${out%%$'\n'*}"; fi

# --- 5. shell script interpreter ----------------------------------------------------------------------------------------
mkdir -p c5 && cp rpath/bootstrap c5/rotator && cp -r rpath/lib c5/ && printf '#!/bin/bash\nexec ./rotator\n' > c5/bootstrap
expect_gate fail "#!/bin/bash bootstrap script" c5 "script interpreter /bin/bash"
mkdir -p c6 && cp rpath/bootstrap c6/rotator && cp -r rpath/lib c6/ && cp "$repo/bootstrap" c6/bootstrap
expect_gate pass "the repository's #!/bin/sh bootstrap + binary" c6

if ((failures)); then
    echo "selftest: $failures check(s) failed" >&2
    exit 1
fi
echo "selftest: all checks passed: the gate rejects each bad input and accepts the packaged layouts"
