/* Compares lambda_compat.c's hypotf with the C library's (glibc >= 2.35 on the build machine): special values,
 * every exponent boundary, and N random bit patterns. Exit 0 when all results are bit-identical. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

float compat_hypotf(float x, float y);   /* lambda_compat.c compiled with -Dhypotf=compat_hypotf */

static float from_bits(uint32_t b) { float f; memcpy(&f, &b, 4); return f; }
static uint32_t to_bits(float f) { uint32_t b; memcpy(&b, &f, 4); return b; }

static long mismatches;
static void check(float x, float y) {
    float a = hypotf(x, y), b = compat_hypotf(x, y);
    if (isnan(a) && isnan(b)) return;
    if (to_bits(a) != to_bits(b) && mismatches++ < 10)
        fprintf(stderr, "hypotf(%a, %a): libm %a, compat %a\n", x, y, a, b);
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 20000000;
    const float specials[] = {0.0f, -0.0f, 1.0f, -1.0f, INFINITY, -INFINITY, NAN, -NAN, 128.0f, 1e-45f,
                              1.17549435e-38f, 3.40282347e38f, -3.40282347e38f, 2.0f, 3.0f, 4.0f, 1e19f, 1e-19f};
    size_t ns = sizeof specials / sizeof specials[0];
    for (size_t i = 0; i < ns; i++)
        for (size_t j = 0; j < ns; j++) check(specials[i], specials[j]);
    check(from_bits(0x7fa00000u), INFINITY);   /* signalling NaN with infinity: NaN, not infinity */
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (long i = 0; i < n; i++) {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        check(from_bits((uint32_t)s), from_bits((uint32_t)(s >> 32)));
    }
    printf("hypotf check: %ld random pairs + %zu special pairs, %ld mismatches\n", n, ns * ns, mismatches);
    return mismatches != 0;
}
