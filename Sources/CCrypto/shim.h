#ifndef ROTATOR_CCRYPTO_SHIM_H
#define ROTATOR_CCRYPTO_SHIM_H
// Only the one-shot digest and MAC entry points: SHA-256 and HMAC-SHA256 are all SigV4 needs.
#include <openssl/sha.h>
#include <openssl/hmac.h>
#include <openssl/evp.h>
#endif
