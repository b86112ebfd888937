import CCofferBoringSSLShim

/// AES key wrap with padding (RFC 5649) and RSA-OAEP with a chosen hash: BoringSSL's implementations, reached through
/// the `CCofferBoringSSLShim` declarations since swift-crypto only exposes RFC 3394 wrap and OAEP with SHA-1/SHA-256.
enum BoringSSLShim {
    struct Failure: Error {}

    /// The hash of OAEP (and of its MGF1), named as `hash_function` names it.
    enum OAEPHash: String, CaseIterable, Sendable {
        case sha1 = "SHA1"
        case sha224 = "SHA224"
        case sha256 = "SHA256"
        case sha384 = "SHA384"
        case sha512 = "SHA512"
    }

    /// RFC 5649 wrap of `plaintext` under `kek` (a 128-, 192- or 256-bit AES key).
    static func aesWrapPadded(kek: [UInt8], plaintext: [UInt8]) throws(Failure) -> [UInt8] {
        guard !plaintext.isEmpty else { throw Failure() }
        var out = [UInt8](repeating: 0, count: (plaintext.count + 7) / 8 * 8 + 8)
        var outLen = 0
        let ok = kek.withUnsafeBufferPointer { k in
            plaintext.withUnsafeBufferPointer { p in
                out.withUnsafeMutableBufferPointer { o in
                    coffer_aes_wrap_key_padded(k.baseAddress, k.count, o.baseAddress, &outLen, o.count, p.baseAddress, p.count)
                }
            }
        }
        guard ok == 1 else { throw Failure() }
        return Array(out.prefix(outLen))
    }

    /// RFC 5649 unwrap of `wrapped` under `kek`; fails when the integrity check or the padding is wrong.
    static func aesUnwrapPadded(kek: [UInt8], wrapped: [UInt8]) throws(Failure) -> [UInt8] {
        guard wrapped.count >= 16, wrapped.count % 8 == 0 else { throw Failure() }
        var out = [UInt8](repeating: 0, count: wrapped.count - 8)
        var outLen = 0
        let ok = kek.withUnsafeBufferPointer { k in
            wrapped.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { o in
                    coffer_aes_unwrap_key_padded(k.baseAddress, k.count, o.baseAddress, &outLen, o.count, w.baseAddress, w.count)
                }
            }
        }
        guard ok == 1 else {
            out.withUnsafeMutableBytes { CCryptoBoringSSL_OPENSSL_cleanse($0.baseAddress, $0.count) }
            throw Failure()
        }
        return Array(out.prefix(outLen))
    }

    /// RSA-OAEP decryption (MGF1 with the same hash, empty label) under a PKCS#1 DER private key.
    static func rsaOAEPDecrypt(privateKeyDER der: [UInt8], hash: OAEPHash, ciphertext: [UInt8]) throws(Failure) -> [UInt8] {
        let shimHash: coffer_oaep_hash
        switch hash {
        case .sha1: shimHash = COFFER_OAEP_SHA1
        case .sha224: shimHash = COFFER_OAEP_SHA224
        case .sha256: shimHash = COFFER_OAEP_SHA256
        case .sha384: shimHash = COFFER_OAEP_SHA384
        case .sha512: shimHash = COFFER_OAEP_SHA512
        }
        // BoringSSL wants room for a whole modulus, which is the ciphertext's length.
        var out = [UInt8](repeating: 0, count: max(ciphertext.count, 16))
        var outLen = 0
        let ok = der.withUnsafeBufferPointer { d in
            ciphertext.withUnsafeBufferPointer { c in
                out.withUnsafeMutableBufferPointer { o in
                    coffer_rsa_oaep_decrypt(d.baseAddress, d.count, shimHash, o.baseAddress, &outLen, o.count, c.baseAddress, c.count)
                }
            }
        }
        guard ok == 1 else { throw Failure() }
        return Array(out.prefix(outLen))
    }
}
