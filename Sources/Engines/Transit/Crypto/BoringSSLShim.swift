import CCofferBoringSSLShim
import Crypto
import Foundation

/// AES key wrap with padding (RFC 5649), RSA-OAEP with a chosen hash, RSA signatures over SHA-224, XChaCha20-Poly1305,
/// SHA-224 / HMAC-SHA-224 and SHA3-224: BoringSSL's (and for SHA3-224 XKCP's) implementations inside swift-crypto,
/// reached through the `CCofferBoringSSLShim` declarations since swift-crypto's Swift API lacks them.
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
        return try aesKeyWrap(wrap: true, kek: kek, input: plaintext, outCapacity: (plaintext.count + 7) / 8 * 8 + 8)
    }

    /// RFC 5649 unwrap of `wrapped` under `kek`; fails when the integrity check or the padding is wrong.
    static func aesUnwrapPadded(kek: [UInt8], wrapped: [UInt8]) throws(Failure) -> [UInt8] {
        guard wrapped.count >= 16, wrapped.count % 8 == 0 else { throw Failure() }
        return try aesKeyWrap(wrap: false, kek: kek, input: wrapped, outCapacity: wrapped.count - 8)
    }

    /// The output buffer is wiped when the operation fails (an unwrap may have written unchecked key bytes to it).
    private static func aesKeyWrap(wrap: Bool, kek: [UInt8], input: [UInt8], outCapacity: Int) throws(Failure) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: outCapacity)
        var outLen = 0
        let ok = kek.withUnsafeBufferPointer { k in
            input.withUnsafeBufferPointer { i in
                out.withUnsafeMutableBufferPointer { o in
                    coffer_aes_key_wrap_padded(wrap ? 1 : 0, k.baseAddress, k.count, o.baseAddress, &outLen, o.count, i.baseAddress, i.count)
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

    // MARK: SHA-224, HMAC-SHA-224, SHA3-224

    static func sha224(_ data: some DataProtocol) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(COFFER_SHA224_DIGEST_LENGTH))
        let input = Array(data)
        input.withUnsafeBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o in _ = CCryptoBoringSSL_SHA224(i.baseAddress, i.count, o.baseAddress) }
        }
        return out
    }

    static func hmacSHA224(key: SymmetricKey, data: some DataProtocol) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(COFFER_SHA224_DIGEST_LENGTH))
        let input = Array(data)
        let ok = key.withUnsafeBytes { k in
            input.withUnsafeBufferPointer { i in
                out.withUnsafeMutableBufferPointer { o in
                    coffer_hmac_sha224(k.bindMemory(to: UInt8.self).baseAddress, k.count, i.baseAddress, i.count, o.baseAddress)
                }
            }
        }
        precondition(ok == 1, "HMAC-SHA-224 failed")
        return out
    }

    /// Constant-time comparison (BoringSSL's `CRYPTO_memcmp`), false when the lengths differ.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in CCryptoBoringSSL_CRYPTO_memcmp(x.baseAddress, y.baseAddress, x.count) == 0 } }
    }

    static func sha3_224(_ data: some DataProtocol) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 28)
        let input = Array(data)
        let rc = input.withUnsafeBufferPointer { i in out.withUnsafeMutableBufferPointer { o in SHA3_224(o.baseAddress, i.baseAddress, i.count) } }
        precondition(rc == 0, "SHA3-224 failed")
        return out
    }

    // MARK: RSA signatures over SHA-224

    /// An RSA signature over the SHA-224 `digest`: PSS (MGF1-SHA-224, salt as long as the digest) or PKCS#1 v1.5.
    static func rsaSignSHA224(privateKeyDER der: [UInt8], pss: Bool, digest: [UInt8]) throws(Failure) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: max(der.count, 1024))
        var outLen = 0
        let ok = der.withUnsafeBufferPointer { d in
            digest.withUnsafeBufferPointer { h in
                out.withUnsafeMutableBufferPointer { o in
                    coffer_rsa_sign_sha224(d.baseAddress, d.count, pss ? 1 : 0, h.baseAddress, h.count, o.baseAddress, &outLen, o.count)
                }
            }
        }
        guard ok == 1 else { throw Failure() }
        return Array(out.prefix(outLen))
    }

    /// Checks an RSA signature over the SHA-224 `digest` with a PKCS#1 DER public key.
    static func rsaVerifySHA224(publicKeyPKCS1 der: [UInt8], pss: Bool, digest: [UInt8], signature: [UInt8]) -> Bool {
        der.withUnsafeBufferPointer { d in
            digest.withUnsafeBufferPointer { h in
                signature.withUnsafeBufferPointer { s in
                    coffer_rsa_verify_sha224(d.baseAddress, d.count, pss ? 1 : 0, h.baseAddress, h.count, s.baseAddress, s.count) == 1
                }
            }
        }
    }

    // MARK: XChaCha20-Poly1305

    static let xchachaNonceSize = 24
    static let xchachaTagSize = 16

    /// Seals `plaintext`; returns ciphertext followed by the 16-byte tag (without the nonce).
    static func xchachaSeal(key: SymmetricKey, nonce: [UInt8], plaintext: [UInt8], associatedData: [UInt8]) throws(Failure) -> [UInt8] {
        try xchacha(seal: true, key: key, nonce: nonce, input: plaintext, associatedData: associatedData, outCapacity: plaintext.count + xchachaTagSize)
    }

    /// Opens ciphertext-plus-tag `sealed`; fails when authentication fails.
    static func xchachaOpen(key: SymmetricKey, nonce: [UInt8], sealed: [UInt8], associatedData: [UInt8]) throws(Failure) -> [UInt8] {
        guard sealed.count >= xchachaTagSize else { throw Failure() }
        return try xchacha(seal: false, key: key, nonce: nonce, input: sealed, associatedData: associatedData, outCapacity: max(sealed.count, 1))
    }

    private static func xchacha(
        seal: Bool, key: SymmetricKey, nonce: [UInt8], input: [UInt8], associatedData: [UInt8], outCapacity: Int
    ) throws(Failure) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: outCapacity)
        var outLen = 0
        let ok = key.withUnsafeBytes { k in
            nonce.withUnsafeBufferPointer { n in
                input.withUnsafeBufferPointer { i in
                    associatedData.withUnsafeBufferPointer { a in
                        out.withUnsafeMutableBufferPointer { o in
                            coffer_xchacha20_poly1305(
                                seal ? 1 : 0, k.bindMemory(to: UInt8.self).baseAddress, k.count, n.baseAddress, n.count, i.baseAddress,
                                i.count, a.baseAddress, a.count, o.baseAddress, &outLen, o.count)
                        }
                    }
                }
            }
        }
        guard ok == 1 else { throw Failure() }
        return Array(out.prefix(outLen))
    }
}

/// SHA3-224 as a swift-crypto `HashFunction` (so `HMAC<SHA3_224Hash>` is swift-crypto's HMAC over XKCP's SHA3-224).
/// XKCP's streaming state is not declared in the shim, so the input is buffered and hashed at `finalize`.
struct SHA3_224Hash: HashFunction {
    static var blockByteCount: Int { 144 }
    typealias Digest = SHA3_224Digest
    private var buffer: [UInt8] = []

    init() {}

    mutating func update(bufferPointer: UnsafeRawBufferPointer) { buffer.append(contentsOf: bufferPointer) }

    func finalize() -> SHA3_224Digest { SHA3_224Digest(bytes: BoringSSLShim.sha3_224(buffer)) }
}

struct SHA3_224Digest: Digest {
    static var byteCount: Int { 28 }
    let bytes: [UInt8]

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try bytes.withUnsafeBytes(body) }
    func makeIterator() -> IndexingIterator<[UInt8]> { bytes.makeIterator() }
    var description: String { "SHA3_224 digest: \(bytes.map { String(format: "%02x", $0) }.joined())" }
}

/// An ML-DSA-44 (FIPS 204) private key: BoringSSL's `MLDSA44_*`, kept expanded for signing and stored as its seed,
/// like swift-crypto's `MLDSA65.PrivateKey` / `MLDSA87.PrivateKey`.
final class MLDSA44PrivateKey: @unchecked Sendable {
    struct Failure: Error {}
    static let seedSize = Int(COFFER_MLDSA_SEED_BYTES)
    static let signatureSize = Int(COFFER_MLDSA44_SIGNATURE_BYTES)

    /// The 32-byte seed (FIPS 204 xi).
    let seedRepresentation: [UInt8]
    let publicKey: MLDSA44PublicKey
    private let key: UnsafeMutablePointer<MLDSA44_private_key>
    private let size: Int

    /// A fresh key from BoringSSL's generator.
    convenience init() throws(Failure) {
        let size = coffer_mldsa44_private_key_size()
        let raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: coffer_mldsa44_key_alignment())
        defer {
            CCryptoBoringSSL_OPENSSL_cleanse(raw, size)
            raw.deallocate()
        }
        var pub = [UInt8](repeating: 0, count: Int(COFFER_MLDSA44_PUBLIC_KEY_BYTES))
        var seed = [UInt8](repeating: 0, count: Self.seedSize)
        let ok = pub.withUnsafeMutableBufferPointer { p in
            seed.withUnsafeMutableBufferPointer { s in
                CCryptoBoringSSL_MLDSA44_generate_key(p.baseAddress, s.baseAddress, raw.bindMemory(to: MLDSA44_private_key.self, capacity: 1))
            }
        }
        guard ok == 1 else { throw Failure() }
        try self.init(seedRepresentation: seed)
    }

    init(seedRepresentation seed: some DataProtocol) throws(Failure) {
        let seed = Array(seed)
        guard seed.count == Self.seedSize else { throw Failure() }
        let size = coffer_mldsa44_private_key_size()
        let key = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: coffer_mldsa44_key_alignment())
            .bindMemory(to: MLDSA44_private_key.self, capacity: 1)
        var pub = [UInt8](repeating: 0, count: Int(COFFER_MLDSA44_PUBLIC_KEY_BYTES))
        let ok =
            seed.withUnsafeBufferPointer { CCryptoBoringSSL_MLDSA44_private_key_from_seed(key, $0.baseAddress, $0.count) } == 1
            && pub.withUnsafeMutableBufferPointer { coffer_mldsa44_public_key_bytes(key, $0.baseAddress) } == 1
        guard ok, let publicKey = try? MLDSA44PublicKey(rawRepresentation: pub) else {
            CCryptoBoringSSL_OPENSSL_cleanse(key, size)
            key.deallocate()
            throw Failure()
        }
        self.size = size
        self.key = key
        self.seedRepresentation = seed
        self.publicKey = publicKey
    }

    deinit {
        CCryptoBoringSSL_OPENSSL_cleanse(key, size)
        key.deallocate()
    }

    /// A randomized ML-DSA-44 signature (empty context) of `message`.
    func signature(for message: some DataProtocol) throws(Failure) -> [UInt8] {
        let msg = Array(message)
        var sig = [UInt8](repeating: 0, count: Self.signatureSize)
        let ok = msg.withUnsafeBufferPointer { m in
            sig.withUnsafeMutableBufferPointer { s in CCryptoBoringSSL_MLDSA44_sign(s.baseAddress, key, m.baseAddress, m.count, nil, 0) }
        }
        guard ok == 1 else { throw Failure() }
        return sig
    }
}

/// An ML-DSA-44 public key (the 1312-byte FIPS 204 encoding).
final class MLDSA44PublicKey: @unchecked Sendable {
    let rawRepresentation: [UInt8]
    private let key: UnsafeMutablePointer<MLDSA44_public_key>

    init(rawRepresentation raw: some DataProtocol) throws(MLDSA44PrivateKey.Failure) {
        let raw = Array(raw)
        let key = UnsafeMutableRawPointer.allocate(byteCount: coffer_mldsa44_public_key_size(), alignment: coffer_mldsa44_key_alignment())
            .bindMemory(to: MLDSA44_public_key.self, capacity: 1)
        guard raw.withUnsafeBufferPointer({ coffer_mldsa44_parse_public_key(key, $0.baseAddress, $0.count) }) == 1 else {
            key.deallocate()
            throw MLDSA44PrivateKey.Failure()
        }
        self.key = key
        rawRepresentation = raw
    }

    deinit { key.deallocate() }

    /// Whether `signature` is a valid ML-DSA-44 signature (empty context) of `message`.
    func isValidSignature(_ signature: some DataProtocol, for message: some DataProtocol) -> Bool {
        let sig = Array(signature)
        let msg = Array(message)
        return sig.withUnsafeBufferPointer { s in
            msg.withUnsafeBufferPointer { m in
                CCryptoBoringSSL_MLDSA44_verify(key, s.baseAddress, s.count, m.baseAddress, m.count, nil, 0) == 1
            }
        }
    }
}
