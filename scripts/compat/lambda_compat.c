/*
 * Linked only into the Lambda release binary (scripts/package.sh passes this object to the linker).
 *
 * The binary is built on Debian 12 (glibc 2.36) but runs on provided.al2023 (glibc 2.34). Two symbols that the
 * static parts of the link pull in resolve to glibc versions newer than 2.34:
 *   hypotf     libswiftCore.a references it; glibc 2.35 added hypotf@@GLIBC_2.35 (error-wrapper-free hypotf).
 *   arc4random libstdc++.a(random.o) references it (std::random_device "arc4random" token); added in glibc 2.36.
 * Defining them here, with hidden visibility, resolves those references inside the executable: no versioned
 * import is left, nothing is exported, and shared libraries keep using glibc's own copies.
 * No <math.h> / <stdlib.h>: their declarations would clash with the hidden visibility below.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define HIDDEN __attribute__((visibility("hidden")))

static int is_signaling_nan(float v) {
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    return (bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu) != 0 && (bits & 0x00400000u) == 0;
}

/* The algorithm of glibc >= 2.35 (sysdeps/ieee754/flt-32/e_hypotf.c): squares of floats are exact in double,
 * so one double sqrt rounded to float gives the same result; C99 Annex F special cases; ERANGE on overflow. */
HIDDEN float hypotf(float x, float y) {
    if (!__builtin_isfinite(x) || !__builtin_isfinite(y)) {
        if ((__builtin_isinf(x) || __builtin_isinf(y)) && !is_signaling_nan(x) && !is_signaling_nan(y))
            return __builtin_inff();
        return x + y;
    }
    double dx = x, dy = y;
    float r = (float)__builtin_sqrt(dx * dx + dy * dy);
    if (__builtin_isinf(r))
        errno = ERANGE;
    return r;
}

/* Only reachable through std::random_device("arc4random"), which nothing in the binary constructs. */
HIDDEN uint32_t arc4random(void) {
    uint32_t value;
    while (getrandom(&value, sizeof value, 0) != (ssize_t)sizeof value) {
        if (errno != EINTR && errno != EAGAIN)
            _exit(127); /* no entropy source at all: nothing sensible to return */
    }
    return value;
}
