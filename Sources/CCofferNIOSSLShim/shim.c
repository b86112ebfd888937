#include "CCofferNIOSSLShim.h"

int coffer_ssl_ctx_prefer_server_ciphers(COFFER_SSL_CTX *ctx) {
  if (ctx == NULL) {
    return 0;
  }
  CNIOBoringSSL_SSL_CTX_set_options(ctx, COFFER_SSL_OP_CIPHER_SERVER_PREFERENCE);
  return (CNIOBoringSSL_SSL_CTX_get_options(ctx) & COFFER_SSL_OP_CIPHER_SERVER_PREFERENCE) != 0;
}
