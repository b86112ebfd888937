#ifndef C_COFFER_BORINGSSL_SHIM_H
#define C_COFFER_BORINGSSL_SHIM_H

// Declarations of the few BoringSSL functions Coffer needs that swift-crypto does not expose: AES key wrap with
// padding (RFC 5649), RSA-OAEP with a choice of hash, RSA signatures over SHA-224 digests, ML-DSA-44,
// XChaCha20-Poly1305 and SHA-224 / HMAC-SHA-224. The implementations are swift-crypto's own copy of BoringSSL
// (target CCryptoBoringSSL, linked through the Crypto product), whose exported symbols carry the
// "CCryptoBoringSSL_" prefix. The declarations below match CCryptoBoringSSL_aes.h, _rsa.h, _evp.h, _digest.h,
// _mem.h, _mldsa.h, _bytestring.h, _aead.h, _sha2.h and _hmac.h of swift-crypto 4.5.2 exactly, after that prefix
// is applied. SHA3-224 comes from the XKCP copy swift-crypto links on Linux (target CXKCP, unprefixed symbols).

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
int CCryptoBoringSSL_CRYPTO_memcmp(const void *a, const void *b, size_t len);

// CCryptoBoringSSL_rsa.h (signatures; SHA-224 is the only hash Coffer signs with here, the rest go through
// swift-crypto)
#define COFFER_NID_sha224 675
#define COFFER_RSA_PSS_SALTLEN_DIGEST (-1)
RSA *CCryptoBoringSSL_RSA_public_key_from_bytes(const uint8_t *in, size_t in_len);
unsigned CCryptoBoringSSL_RSA_size(const RSA *rsa);
int CCryptoBoringSSL_RSA_sign(int hash_nid, const uint8_t *digest, size_t digest_len, uint8_t *out, unsigned *out_len,
                              RSA *rsa);
int CCryptoBoringSSL_RSA_sign_pss_mgf1(RSA *rsa, size_t *out_len, uint8_t *out, size_t max_out, const uint8_t *digest,
                                       size_t digest_len, const EVP_MD *md, const EVP_MD *mgf1_md, int salt_len);
int CCryptoBoringSSL_RSA_verify(int hash_nid, const uint8_t *digest, size_t digest_len, const uint8_t *sig,
                                size_t sig_len, RSA *rsa);
int CCryptoBoringSSL_RSA_verify_pss_mgf1(RSA *rsa, const uint8_t *digest, size_t digest_len, const EVP_MD *md,
                                         const EVP_MD *mgf1_md, int salt_len, const uint8_t *sig, size_t sig_len);

// CCryptoBoringSSL_sha2.h, CCryptoBoringSSL_hmac.h
#define COFFER_SHA224_DIGEST_LENGTH 28
uint8_t *CCryptoBoringSSL_SHA224(const uint8_t *data, size_t len, uint8_t out[COFFER_SHA224_DIGEST_LENGTH]);
uint8_t *CCryptoBoringSSL_HMAC(const EVP_MD *evp_md, const void *key, size_t key_len, const uint8_t *data,
                               size_t data_len, uint8_t *out, unsigned int *out_len);

// CCryptoBoringSSL_aead.h (EVP_AEAD_CTX is used only through EVP_AEAD_CTX_new/_free, so its layout is not needed)
typedef struct evp_aead_st EVP_AEAD;
typedef struct evp_aead_ctx_st EVP_AEAD_CTX;
const EVP_AEAD *CCryptoBoringSSL_EVP_aead_xchacha20_poly1305(void);
EVP_AEAD_CTX *CCryptoBoringSSL_EVP_AEAD_CTX_new(const EVP_AEAD *aead, const uint8_t *key, size_t key_len,
                                                size_t tag_len);
void CCryptoBoringSSL_EVP_AEAD_CTX_free(EVP_AEAD_CTX *ctx);
int CCryptoBoringSSL_EVP_AEAD_CTX_seal(const EVP_AEAD_CTX *ctx, uint8_t *out, size_t *out_len, size_t max_out_len,
                                       const uint8_t *nonce, size_t nonce_len, const uint8_t *in, size_t in_len,
                                       const uint8_t *ad, size_t ad_len);
int CCryptoBoringSSL_EVP_AEAD_CTX_open(const EVP_AEAD_CTX *ctx, uint8_t *out, size_t *out_len, size_t max_out_len,
                                       const uint8_t *nonce, size_t nonce_len, const uint8_t *in, size_t in_len,
                                       const uint8_t *ad, size_t ad_len);

// CCryptoBoringSSL_bytestring.h (CBS and CBB, as MLDSA44_parse_public_key / _marshal_public_key take them)
typedef struct cbs_st CBS;
typedef struct cbb_st CBB;
struct cbs_st {
  const uint8_t *data;
  size_t len;
};
struct cbb_buffer_st {
  uint8_t *buf;
  size_t len;
  size_t cap;
  unsigned can_resize : 1;
  unsigned error : 1;
};
struct cbb_child_st {
  struct cbb_buffer_st *base;
  size_t offset;
  uint8_t pending_len_len;
  unsigned pending_is_asn1 : 1;
};
struct cbb_st {
  CBB *child;
  char is_child;
  union {
    struct cbb_buffer_st base;
    struct cbb_child_st child;
  } u;
};
int CCryptoBoringSSL_CBB_init_fixed(CBB *cbb, uint8_t *buf, size_t len);
int CCryptoBoringSSL_CBB_finish(CBB *cbb, uint8_t **out_data, size_t *out_len);
void CCryptoBoringSSL_CBB_cleanup(CBB *cbb);

// CCryptoBoringSSL_mldsa.h (ML-DSA-44; swift-crypto wraps only ML-DSA-65 and -87)
#define COFFER_MLDSA_SEED_BYTES 32
#define COFFER_MLDSA44_PRIVATE_KEY_BYTES 2560
#define COFFER_MLDSA44_PUBLIC_KEY_BYTES 1312
#define COFFER_MLDSA44_SIGNATURE_BYTES 2420
struct MLDSA44_private_key {
  union {
    uint8_t bytes[32 + 32 + 64 + 256 * 4 * (4 + 4 + 4)];
    uint32_t alignment;
  } opaque;
};
struct MLDSA44_public_key {
  union {
    uint8_t bytes[32 + 64 + 256 * 4 * 4];
    uint32_t alignment;
  } opaque;
};
int CCryptoBoringSSL_MLDSA44_generate_key(uint8_t out_encoded_public_key[COFFER_MLDSA44_PUBLIC_KEY_BYTES],
                                          uint8_t out_seed[COFFER_MLDSA_SEED_BYTES],
                                          struct MLDSA44_private_key *out_private_key);
int CCryptoBoringSSL_MLDSA44_private_key_from_seed(struct MLDSA44_private_key *out_private_key, const uint8_t *seed,
                                                   size_t seed_len);
int CCryptoBoringSSL_MLDSA44_public_from_private(struct MLDSA44_public_key *out_public_key,
                                                 const struct MLDSA44_private_key *private_key);
int CCryptoBoringSSL_MLDSA44_sign(uint8_t out_encoded_signature[COFFER_MLDSA44_SIGNATURE_BYTES],
                                  const struct MLDSA44_private_key *private_key, const uint8_t *msg, size_t msg_len,
                                  const uint8_t *context, size_t context_len);
int CCryptoBoringSSL_MLDSA44_verify(const struct MLDSA44_public_key *public_key, const uint8_t *signature,
                                    size_t signature_len, const uint8_t *msg, size_t msg_len, const uint8_t *context,
                                    size_t context_len);
int CCryptoBoringSSL_MLDSA44_marshal_public_key(CBB *out, const struct MLDSA44_public_key *public_key);
int CCryptoBoringSSL_MLDSA44_parse_public_key(struct MLDSA44_public_key *public_key, CBS *in);

// XKCP's SimpleFIPS202.h (swift-crypto's SHA-3 backend on Linux): one-shot SHA3-224, 0 on success.
int SHA3_224(unsigned char *output, const unsigned char *input, size_t inputByteLen);

// Coffer's helpers over the functions above (defined in shim.c). Each returns 1 on success and 0 on failure.

// RFC 5649 with the AES key `kek` (16, 24 or 32 bytes). With `wrap`, wraps `in` (`max_out` >= in_len rounded up to
// 8, plus 8); otherwise unwraps it, failing on a bad integrity check or padding (`max_out` >= in_len - 8).
int coffer_aes_key_wrap_padded(int wrap, const uint8_t *kek, size_t kek_len, uint8_t *out, size_t *out_len,
                               size_t max_out, const uint8_t *in, size_t in_len);

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

// RSA signature over a SHA-224 `digest` (28 bytes) with the PKCS#1 DER private key `der`: PSS (MGF1-SHA-224, salt
// as long as the digest) when `pss` is 1, else PKCS#1 v1.5. `max_out` >= the modulus size.
int coffer_rsa_sign_sha224(const uint8_t *der, size_t der_len, int pss, const uint8_t *digest, size_t digest_len,
                           uint8_t *out, size_t *out_len, size_t max_out);
// Verification of the above with the PKCS#1 DER public key `der`.
int coffer_rsa_verify_sha224(const uint8_t *der, size_t der_len, int pss, const uint8_t *digest, size_t digest_len,
                             const uint8_t *sig, size_t sig_len);

// XChaCha20-Poly1305 (32-byte key, 24-byte nonce, 16-byte tag). With `seal`, seals `in` into ciphertext followed by
// the tag (`max_out` >= in_len + 16); otherwise opens `in` (ciphertext followed by the tag), failing when
// authentication fails (`max_out` >= in_len).
int coffer_xchacha20_poly1305(int seal, const uint8_t *key, size_t key_len, const uint8_t *nonce, size_t nonce_len,
                              const uint8_t *in, size_t in_len, const uint8_t *ad, size_t ad_len, uint8_t *out,
                              size_t *out_len, size_t max_out);

// HMAC-SHA-224 of `data` under `key` into `out` (28 bytes).
int coffer_hmac_sha224(const uint8_t *key, size_t key_len, const uint8_t *data, size_t data_len,
                       uint8_t out[COFFER_SHA224_DIGEST_LENGTH]);

// sizeof and alignof of the ML-DSA-44 key structs, for allocating them from Swift (which need not import the
// large byte arrays inside them).
size_t coffer_mldsa44_private_key_size(void);
size_t coffer_mldsa44_public_key_size(void);
size_t coffer_mldsa44_key_alignment(void);
// The encoded ML-DSA-44 public key (1312 bytes) of `private_key`.
int coffer_mldsa44_public_key_bytes(const struct MLDSA44_private_key *private_key,
                                    uint8_t out[COFFER_MLDSA44_PUBLIC_KEY_BYTES]);
// Parses an encoded ML-DSA-44 public key (exactly 1312 bytes).
int coffer_mldsa44_parse_public_key(struct MLDSA44_public_key *out, const uint8_t *in, size_t in_len);

#if defined(__cplusplus)
}  // extern C
#endif

#endif  // C_COFFER_BORINGSSL_SHIM_H
