#ifndef C_COFFER_BORINGSSL_SHIM_H
#define C_COFFER_BORINGSSL_SHIM_H

// Declarations of the few BoringSSL functions Coffer needs that swift-crypto does not expose: AES key wrap with
// padding (RFC 5649) and RSA-OAEP with a choice of hash. The implementations are swift-crypto's own copy of
// BoringSSL (target CCryptoBoringSSL, linked through the Crypto product), whose exported symbols carry the
// "CCryptoBoringSSL_" prefix. The declarations below match CCryptoBoringSSL_aes.h, _rsa.h, _evp.h, _digest.h and
// _mem.h of swift-crypto 4.x exactly, after that prefix is applied.

#include <stddef.h>
#include <stdint.h>

#if defined(__cplusplus)
extern "C" {
#endif

// CCryptoBoringSSL_aes.h
#define COFFER_AES_MAXNR 14
struct aes_key_st {
  uint32_t rd_key[4 * (COFFER_AES_MAXNR + 1)];
  unsigned rounds;
};
typedef struct aes_key_st AES_KEY;

int CCryptoBoringSSL_AES_set_encrypt_key(const uint8_t *key, unsigned bits, AES_KEY *aeskey);
int CCryptoBoringSSL_AES_set_decrypt_key(const uint8_t *key, unsigned bits, AES_KEY *aeskey);
int CCryptoBoringSSL_AES_wrap_key_padded(const AES_KEY *key, uint8_t *out, size_t *out_len, size_t max_out,
                                         const uint8_t *in, size_t in_len);
int CCryptoBoringSSL_AES_unwrap_key_padded(const AES_KEY *key, uint8_t *out, size_t *out_len, size_t max_out,
                                           const uint8_t *in, size_t in_len);

// CCryptoBoringSSL_base.h (opaque types)
typedef struct rsa_st RSA;
typedef struct evp_pkey_st EVP_PKEY;
typedef struct evp_pkey_ctx_st EVP_PKEY_CTX;
typedef struct env_md_st EVP_MD;
typedef struct engine_st ENGINE;

// CCryptoBoringSSL_rsa.h
#define COFFER_RSA_PKCS1_OAEP_PADDING 4
RSA *CCryptoBoringSSL_RSA_private_key_from_bytes(const uint8_t *in, size_t in_len);
void CCryptoBoringSSL_RSA_free(RSA *rsa);

// CCryptoBoringSSL_evp.h
EVP_PKEY *CCryptoBoringSSL_EVP_PKEY_new(void);
void CCryptoBoringSSL_EVP_PKEY_free(EVP_PKEY *pkey);
int CCryptoBoringSSL_EVP_PKEY_set1_RSA(EVP_PKEY *pkey, RSA *key);
EVP_PKEY_CTX *CCryptoBoringSSL_EVP_PKEY_CTX_new(EVP_PKEY *pkey, ENGINE *e);
void CCryptoBoringSSL_EVP_PKEY_CTX_free(EVP_PKEY_CTX *ctx);
int CCryptoBoringSSL_EVP_PKEY_decrypt_init(EVP_PKEY_CTX *ctx);
int CCryptoBoringSSL_EVP_PKEY_decrypt(EVP_PKEY_CTX *ctx, uint8_t *out, size_t *out_len, const uint8_t *in,
                                      size_t in_len);
int CCryptoBoringSSL_EVP_PKEY_CTX_set_rsa_padding(EVP_PKEY_CTX *ctx, int padding);
int CCryptoBoringSSL_EVP_PKEY_CTX_set_rsa_oaep_md(EVP_PKEY_CTX *ctx, const EVP_MD *md);
int CCryptoBoringSSL_EVP_PKEY_CTX_set_rsa_mgf1_md(EVP_PKEY_CTX *ctx, const EVP_MD *md);

// CCryptoBoringSSL_digest.h
const EVP_MD *CCryptoBoringSSL_EVP_sha1(void);
const EVP_MD *CCryptoBoringSSL_EVP_sha224(void);
const EVP_MD *CCryptoBoringSSL_EVP_sha256(void);
const EVP_MD *CCryptoBoringSSL_EVP_sha384(void);
const EVP_MD *CCryptoBoringSSL_EVP_sha512(void);

// CCryptoBoringSSL_mem.h
void CCryptoBoringSSL_OPENSSL_cleanse(void *ptr, size_t len);

// Coffer's helpers over the functions above (defined in shim.c). Each returns 1 on success and 0 on failure.

// RFC 5649 wrap of `in` under the AES key `kek` (16, 24 or 32 bytes). `max_out` >= in_len rounded up to 8, plus 8.
int coffer_aes_wrap_key_padded(const uint8_t *kek, size_t kek_len, uint8_t *out, size_t *out_len, size_t max_out,
                               const uint8_t *in, size_t in_len);
// RFC 5649 unwrap; fails on a bad integrity check or padding. `max_out` >= in_len - 8.
int coffer_aes_unwrap_key_padded(const uint8_t *kek, size_t kek_len, uint8_t *out, size_t *out_len, size_t max_out,
                                 const uint8_t *in, size_t in_len);

// The OAEP hash (also the MGF1 hash) of coffer_rsa_oaep_decrypt.
typedef enum {
  COFFER_OAEP_SHA1 = 1,
  COFFER_OAEP_SHA224 = 2,
  COFFER_OAEP_SHA256 = 3,
  COFFER_OAEP_SHA384 = 4,
  COFFER_OAEP_SHA512 = 5,
} coffer_oaep_hash;

// RSA-OAEP decryption (empty label) with the PKCS#1 DER private key `der`.
int coffer_rsa_oaep_decrypt(const uint8_t *der, size_t der_len, coffer_oaep_hash hash, uint8_t *out, size_t *out_len,
                            size_t max_out, const uint8_t *in, size_t in_len);

#if defined(__cplusplus)
}  // extern C
#endif

#endif  // C_COFFER_BORINGSSL_SHIM_H
