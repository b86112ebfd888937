#include "CCofferBoringSSLShim.h"

int coffer_aes_wrap_key_padded(const uint8_t *kek, size_t kek_len, uint8_t *out, size_t *out_len, size_t max_out,
                               const uint8_t *in, size_t in_len) {
  if (kek_len != 16 && kek_len != 24 && kek_len != 32) {
    return 0;
  }
  AES_KEY key;
  int ok = CCryptoBoringSSL_AES_set_encrypt_key(kek, (unsigned)(kek_len * 8), &key) == 0 &&
           CCryptoBoringSSL_AES_wrap_key_padded(&key, out, out_len, max_out, in, in_len) == 1;
  CCryptoBoringSSL_OPENSSL_cleanse(&key, sizeof(key));
  return ok;
}

int coffer_aes_unwrap_key_padded(const uint8_t *kek, size_t kek_len, uint8_t *out, size_t *out_len, size_t max_out,
                                 const uint8_t *in, size_t in_len) {
  if (kek_len != 16 && kek_len != 24 && kek_len != 32) {
    return 0;
  }
  AES_KEY key;
  int ok = CCryptoBoringSSL_AES_set_decrypt_key(kek, (unsigned)(kek_len * 8), &key) == 0 &&
           CCryptoBoringSSL_AES_unwrap_key_padded(&key, out, out_len, max_out, in, in_len) == 1;
  CCryptoBoringSSL_OPENSSL_cleanse(&key, sizeof(key));
  return ok;
}

static const EVP_MD *coffer_oaep_md(coffer_oaep_hash hash) {
  switch (hash) {
    case COFFER_OAEP_SHA1: return CCryptoBoringSSL_EVP_sha1();
    case COFFER_OAEP_SHA224: return CCryptoBoringSSL_EVP_sha224();
    case COFFER_OAEP_SHA256: return CCryptoBoringSSL_EVP_sha256();
    case COFFER_OAEP_SHA384: return CCryptoBoringSSL_EVP_sha384();
    case COFFER_OAEP_SHA512: return CCryptoBoringSSL_EVP_sha512();
  }
  return NULL;
}

int coffer_rsa_oaep_decrypt(const uint8_t *der, size_t der_len, coffer_oaep_hash hash, uint8_t *out, size_t *out_len,
                            size_t max_out, const uint8_t *in, size_t in_len) {
  const EVP_MD *md = coffer_oaep_md(hash);
  if (md == NULL) {
    return 0;
  }
  RSA *rsa = CCryptoBoringSSL_RSA_private_key_from_bytes(der, der_len);
  if (rsa == NULL) {
    return 0;
  }
  int ok = 0;
  EVP_PKEY *pkey = CCryptoBoringSSL_EVP_PKEY_new();
  EVP_PKEY_CTX *ctx = NULL;
  if (pkey != NULL && CCryptoBoringSSL_EVP_PKEY_set1_RSA(pkey, rsa) == 1) {
    ctx = CCryptoBoringSSL_EVP_PKEY_CTX_new(pkey, NULL);
  }
  if (ctx != NULL && CCryptoBoringSSL_EVP_PKEY_decrypt_init(ctx) == 1 &&
      CCryptoBoringSSL_EVP_PKEY_CTX_set_rsa_padding(ctx, COFFER_RSA_PKCS1_OAEP_PADDING) == 1 &&
      CCryptoBoringSSL_EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) == 1 &&
      CCryptoBoringSSL_EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) == 1) {
    *out_len = max_out;
    ok = CCryptoBoringSSL_EVP_PKEY_decrypt(ctx, out, out_len, in, in_len) == 1;
  }
  CCryptoBoringSSL_EVP_PKEY_CTX_free(ctx);
  CCryptoBoringSSL_EVP_PKEY_free(pkey);
  CCryptoBoringSSL_RSA_free(rsa);
  return ok;
}
