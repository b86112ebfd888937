#include "CCofferBoringSSLShim.h"

int coffer_aes_key_wrap_padded(int wrap, const uint8_t *kek, size_t kek_len, uint8_t *out, size_t *out_len,
                               size_t max_out, const uint8_t *in, size_t in_len) {
  if (kek_len != 16 && kek_len != 24 && kek_len != 32) {
    return 0;
  }
  AES_KEY key;
  int ok = wrap ? CCryptoBoringSSL_AES_set_encrypt_key(kek, (unsigned)(kek_len * 8), &key) == 0 &&
                      CCryptoBoringSSL_AES_wrap_key_padded(&key, out, out_len, max_out, in, in_len) == 1
                : CCryptoBoringSSL_AES_set_decrypt_key(kek, (unsigned)(kek_len * 8), &key) == 0 &&
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

int coffer_rsa_sign_sha224(const uint8_t *der, size_t der_len, int pss, const uint8_t *digest, size_t digest_len,
                           uint8_t *out, size_t *out_len, size_t max_out) {
  if (digest_len != COFFER_SHA224_DIGEST_LENGTH) {
    return 0;
  }
  RSA *rsa = CCryptoBoringSSL_RSA_private_key_from_bytes(der, der_len);
  if (rsa == NULL) {
    return 0;
  }
  int ok = 0;
  if (max_out >= CCryptoBoringSSL_RSA_size(rsa)) {
    if (pss) {
      const EVP_MD *md = CCryptoBoringSSL_EVP_sha224();
      ok = CCryptoBoringSSL_RSA_sign_pss_mgf1(rsa, out_len, out, max_out, digest, digest_len, md, md,
                                              COFFER_RSA_PSS_SALTLEN_DIGEST) == 1;
    } else {
      unsigned len = 0;
      ok = CCryptoBoringSSL_RSA_sign(COFFER_NID_sha224, digest, digest_len, out, &len, rsa) == 1;
      *out_len = len;
    }
  }
  CCryptoBoringSSL_RSA_free(rsa);
  return ok;
}

int coffer_rsa_verify_sha224(const uint8_t *der, size_t der_len, int pss, const uint8_t *digest, size_t digest_len,
                             const uint8_t *sig, size_t sig_len) {
  if (digest_len != COFFER_SHA224_DIGEST_LENGTH) {
    return 0;
  }
  RSA *rsa = CCryptoBoringSSL_RSA_public_key_from_bytes(der, der_len);
  if (rsa == NULL) {
    return 0;
  }
  int ok;
  if (pss) {
    const EVP_MD *md = CCryptoBoringSSL_EVP_sha224();
    ok = CCryptoBoringSSL_RSA_verify_pss_mgf1(rsa, digest, digest_len, md, md, COFFER_RSA_PSS_SALTLEN_DIGEST, sig,
                                              sig_len) == 1;
  } else {
    ok = CCryptoBoringSSL_RSA_verify(COFFER_NID_sha224, digest, digest_len, sig, sig_len, rsa) == 1;
  }
  CCryptoBoringSSL_RSA_free(rsa);
  return ok;
}

#define COFFER_XCHACHA_KEY_LEN 32
#define COFFER_XCHACHA_NONCE_LEN 24
#define COFFER_XCHACHA_TAG_LEN 16

int coffer_xchacha20_poly1305(int seal, const uint8_t *key, size_t key_len, const uint8_t *nonce, size_t nonce_len,
                              const uint8_t *in, size_t in_len, const uint8_t *ad, size_t ad_len, uint8_t *out,
                              size_t *out_len, size_t max_out) {
  if (key_len != COFFER_XCHACHA_KEY_LEN || nonce_len != COFFER_XCHACHA_NONCE_LEN) {
    return 0;
  }
  EVP_AEAD_CTX *ctx = CCryptoBoringSSL_EVP_AEAD_CTX_new(CCryptoBoringSSL_EVP_aead_xchacha20_poly1305(), key, key_len,
                                                        COFFER_XCHACHA_TAG_LEN);
  if (ctx == NULL) {
    return 0;
  }
  int ok = seal ? CCryptoBoringSSL_EVP_AEAD_CTX_seal(ctx, out, out_len, max_out, nonce, nonce_len, in, in_len, ad, ad_len)
                : CCryptoBoringSSL_EVP_AEAD_CTX_open(ctx, out, out_len, max_out, nonce, nonce_len, in, in_len, ad, ad_len);
  CCryptoBoringSSL_EVP_AEAD_CTX_free(ctx);
  return ok == 1;
}

int coffer_hmac_sha224(const uint8_t *key, size_t key_len, const uint8_t *data, size_t data_len,
                       uint8_t out[COFFER_SHA224_DIGEST_LENGTH]) {
  unsigned int len = 0;
  return CCryptoBoringSSL_HMAC(CCryptoBoringSSL_EVP_sha224(), key, key_len, data, data_len, out, &len) != NULL &&
         len == COFFER_SHA224_DIGEST_LENGTH;
}

int coffer_mldsa44_public_key_bytes(const struct MLDSA44_private_key *private_key,
                                    uint8_t out[COFFER_MLDSA44_PUBLIC_KEY_BYTES]) {
  struct MLDSA44_public_key pub;
  if (CCryptoBoringSSL_MLDSA44_public_from_private(&pub, private_key) != 1) {
    return 0;
  }
  CBB cbb;
  uint8_t *data = NULL;
  size_t len = 0;
  CCryptoBoringSSL_CBB_init_fixed(&cbb, out, COFFER_MLDSA44_PUBLIC_KEY_BYTES);
  if (CCryptoBoringSSL_MLDSA44_marshal_public_key(&cbb, &pub) != 1 ||
      CCryptoBoringSSL_CBB_finish(&cbb, &data, &len) != 1) {
    CCryptoBoringSSL_CBB_cleanup(&cbb);
    return 0;
  }
  return len == COFFER_MLDSA44_PUBLIC_KEY_BYTES;
}

int coffer_mldsa44_parse_public_key(struct MLDSA44_public_key *out, const uint8_t *in, size_t in_len) {
  if (in_len != COFFER_MLDSA44_PUBLIC_KEY_BYTES) {
    return 0;
  }
  CBS cbs;
  cbs.data = in;
  cbs.len = in_len;
  return CCryptoBoringSSL_MLDSA44_parse_public_key(out, &cbs) == 1 && cbs.len == 0;
}

size_t coffer_mldsa44_private_key_size(void) { return sizeof(struct MLDSA44_private_key); }
size_t coffer_mldsa44_public_key_size(void) { return sizeof(struct MLDSA44_public_key); }
size_t coffer_mldsa44_key_alignment(void) {
  size_t a = _Alignof(struct MLDSA44_private_key);
  size_t b = _Alignof(struct MLDSA44_public_key);
  return a > b ? a : b;
}
