#ifndef ROTATOR_CSSL_SHIM_H
#define ROTATOR_CSSL_SHIM_H
// OpenSSL's TLS client, for the Redis driver: Redis serves TLS on a port of its own, so the driver opens the TLS
// session itself. The macros Swift cannot call get typed wrappers here.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/// SNI (https://www.openssl.org/docs/man3.0/man3/SSL_set_tlsext_host_name.html).
static inline long rotator_ssl_set_server_name(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}

/// TLS 1.2 or later (https://www.openssl.org/docs/man3.0/man3/SSL_CTX_set_min_proto_version.html).
static inline int rotator_ssl_ctx_require_tls12(SSL_CTX *ctx) {
    return (int)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}
#endif
