#ifndef C_COFFER_NIOSSL_SHIM_H
#define C_COFFER_NIOSSL_SHIM_H

// Declarations of the BoringSSL functions Coffer's TLS listener needs that swift-nio-ssl does not expose: the
// context options, for SSL_OP_CIPHER_SERVER_PREFERENCE (the server picks the TLS 1.2 suite by its own order, not
// the client's). The implementation is swift-nio-ssl's own copy of BoringSSL (target CNIOBoringSSL, linked through
// the NIOSSL product), whose exported symbols carry the "CNIOBoringSSL_" prefix. The declarations match
// CNIOBoringSSL_ssl.h of swift-nio-ssl 2.37.6 exactly, after that prefix is applied.

#include <stddef.h>
#include <stdint.h>

#if defined(__cplusplus)
extern "C" {
#endif

typedef struct ssl_ctx_st COFFER_SSL_CTX;

// CNIOBoringSSL_ssl.h
#define COFFER_SSL_OP_CIPHER_SERVER_PREFERENCE 0x00400000L
uint32_t CNIOBoringSSL_SSL_CTX_set_options(COFFER_SSL_CTX *ctx, uint32_t options);
uint32_t CNIOBoringSSL_SSL_CTX_get_options(const COFFER_SSL_CTX *ctx);

// Sets SSL_OP_CIPHER_SERVER_PREFERENCE on `ctx`; returns 1 when the option is in effect afterwards.
int coffer_ssl_ctx_prefer_server_ciphers(COFFER_SSL_CTX *ctx);

#if defined(__cplusplus)
}
#endif

#endif
