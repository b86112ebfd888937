import Crypto
import CofferSDK
import Foundation
import _CryptoExtras

/// The usable form of one key version: parsed once from storage and cached, so operations cost only the crypto.
enum Material: @unchecked Sendable {
    case symmetric(SymmetricKey)
    case ed25519(Curve25519.Signing.PrivateKey)
    case p256(P256.Signing.PrivateKey)
    case p384(P384.Signing.PrivateKey)
    case p521(P521.Signing.PrivateKey)
    case rsa(_RSA.Signing.PrivateKey, _RSA.Encryption.PrivateKey)
    case mldsa44(MLDSA44PrivateKey)
    case mldsa65(MLDSA65.PrivateKey)
    case mldsa87(MLDSA87.PrivateKey)
    case xwing(XWingMLKEM768X25519.PrivateKey)
    /// A version imported as a public key only: verifies (and RSA-encrypts) but cannot sign or decrypt.
    case publicOnly(PublicMaterial)
}

/// The public half of an asymmetric signing key.
enum PublicMaterial: @unchecked Sendable {
    case ed25519(Curve25519.Signing.PublicKey)
    case p256(P256.Signing.PublicKey)
    case p384(P384.Signing.PublicKey)
    case p521(P521.Signing.PublicKey)
    case rsa(_RSA.Signing.PublicKey, _RSA.Encryption.PublicKey)
    case mldsa44(MLDSA44PublicKey)
    case mldsa65(MLDSA65.PublicKey)
    case mldsa87(MLDSA87.PublicKey)
}

struct VersionMaterial: @unchecked Sendable {
    let material: Material
    let hmacKey: SymmetricKey
    /// The raw stored bytes, needed for derivation.
    let rawKey: [UInt8]
}

/// A key with all of its versions parsed: what the cache holds.
final class LoadedKey: Sendable {
    let policy: KeyPolicy
    let versions: [Int: VersionMaterial]

    init(policy: KeyPolicy) throws {
        self.policy = policy
        var out: [Int: VersionMaterial] = [:]
        for (v, entry) in policy.versions {
            out[v] = VersionMaterial(
                material: try KeyGenerator.material(type: policy.type, version: entry), hmacKey: SymmetricKey(data: entry.hmacKey),
                rawKey: entry.key)
        }
        self.versions = out
    }
}

enum KeyGenerator {
    static func randomBytes(_ count: Int) -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        var out = [UInt8](repeating: 0, count: count)
        var i = 0
        while i < count {
            var word = g.next()
            for _ in 0..<8 where i < count {
                out[i] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                i += 1
            }
        }
        return out
    }

    /// Fresh key material for a new version.
    static func generate(type: KeyType, keySize: Int) throws -> [UInt8] {
        switch type {
        case .aes128GCM96: return bytes(SymmetricKey(size: .bits128))
        case .aes256GCM96, .chacha20Poly1305, .xchacha20Poly1305: return bytes(SymmetricKey(size: .bits256))
        case .hmac: return bytes(SymmetricKey(size: SymmetricKeySize(bitCount: keySize * 8)))
        case .ed25519: return Array(Curve25519.Signing.PrivateKey().rawRepresentation)
        case .ecdsaP256: return Array(P256.Signing.PrivateKey().rawRepresentation)
        case .ecdsaP384: return Array(P384.Signing.PrivateKey().rawRepresentation)
        case .ecdsaP521: return Array(P521.Signing.PrivateKey().rawRepresentation)
        case .rsa2048: return Array(try _RSA.Signing.PrivateKey(keySize: .bits2048).derRepresentation)
        case .rsa3072: return Array(try _RSA.Signing.PrivateKey(keySize: .bits3072).derRepresentation)
        case .rsa4096: return Array(try _RSA.Signing.PrivateKey(keySize: .bits4096).derRepresentation)
        case .mldsa44: return try MLDSA44PrivateKey().seedRepresentation
        case .mldsa65: return Array(try MLDSA65.PrivateKey().seedRepresentation)
        case .mldsa87: return Array(try MLDSA87.PrivateKey().seedRepresentation)
        case .xwing: return Array(try XWingMLKEM768X25519.PrivateKey.generate().seedRepresentation)
        }
    }

    static func bytes(_ key: SymmetricKey) -> [UInt8] { key.withUnsafeBytes { Array($0) } }

    /// The usable form of a stored version: its private key, or its public key when it was imported without one.
    static func material(type: KeyType, version: KeyVersion) throws -> Material {
        if version.key.isEmpty, let publicKey = version.publicKey {
            return .publicOnly(try publicMaterial(type: type, publicKey: publicKey))
        }
        return try material(type: type, key: version.key)
    }

    /// A stored public key (see ``KeyVersion/publicKey``) in usable form.
    static func publicMaterial(type: KeyType, publicKey: [UInt8]) throws -> PublicMaterial {
        switch type {
        case .ed25519: return .ed25519(try Curve25519.Signing.PublicKey(rawRepresentation: publicKey))
        case .ecdsaP256: return .p256(try P256.Signing.PublicKey(derRepresentation: publicKey))
        case .ecdsaP384: return .p384(try P384.Signing.PublicKey(derRepresentation: publicKey))
        case .ecdsaP521: return .p521(try P521.Signing.PublicKey(derRepresentation: publicKey))
        case .rsa2048, .rsa3072, .rsa4096:
            return .rsa(try _RSA.Signing.PublicKey(derRepresentation: publicKey), try _RSA.Encryption.PublicKey(derRepresentation: publicKey))
        case .mldsa44: return .mldsa44(try MLDSA44PublicKey(rawRepresentation: publicKey))
        case .mldsa65: return .mldsa65(try MLDSA65.PublicKey(rawRepresentation: publicKey))
        case .mldsa87: return .mldsa87(try MLDSA87.PublicKey(rawRepresentation: publicKey))
        default: throw TransitErrors.multi("key type \(type.rawValue) has no public key")
        }
    }

    static func material(type: KeyType, key: [UInt8]) throws -> Material {
        switch type {
        case .aes128GCM96, .aes256GCM96, .chacha20Poly1305, .xchacha20Poly1305, .hmac: return .symmetric(SymmetricKey(data: key))
        case .ed25519: return .ed25519(try Curve25519.Signing.PrivateKey(rawRepresentation: key))
        case .ecdsaP256: return .p256(try P256.Signing.PrivateKey(rawRepresentation: key))
        case .ecdsaP384: return .p384(try P384.Signing.PrivateKey(rawRepresentation: key))
        case .ecdsaP521: return .p521(try P521.Signing.PrivateKey(rawRepresentation: key))
        case .rsa2048, .rsa3072, .rsa4096:
            return .rsa(try _RSA.Signing.PrivateKey(derRepresentation: key), try _RSA.Encryption.PrivateKey(derRepresentation: key))
        case .mldsa44: return .mldsa44(try MLDSA44PrivateKey(seedRepresentation: key))
        case .mldsa65: return .mldsa65(try MLDSA65.PrivateKey(seedRepresentation: key, publicKey: nil))
        case .mldsa87: return .mldsa87(try MLDSA87.PrivateKey(seedRepresentation: key, publicKey: nil))
        case .xwing: return .xwing(try XWingMLKEM768X25519.PrivateKey(seedRepresentation: key, publicKey: nil))
        }
    }

    /// A new version entry (key + HMAC key + times).
    static func newVersion(type: KeyType, keySize: Int, now: Date) throws -> KeyVersion {
        let key = try generate(type: type, keySize: keySize)
        let hmacKey = type == .hmac ? key : randomBytes(32)
        return KeyVersion(key: key, hmacKey: hmacKey, time: formatVaultTime(now), creationTime: Int64(now.timeIntervalSince1970))
    }

    /// A per-context key of `count` bytes (at most 32) from a version's key, as OpenBao derives them:
    /// HKDF-SHA256 with the context as info, or for imported keys NIST SP 800-108 counter mode with HMAC-SHA256
    /// (one block: counter 0, then the context, then the output length in bits, 256), cut to `count` bytes.
    static func derive(_ raw: [UInt8], context: [UInt8], count: Int, kdf: KeyDerivation = .hkdfSHA256) -> [UInt8] {
        switch kdf {
        case .hkdfSHA256:
            let k = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: raw), info: context, outputByteCount: count)
            return bytes(k)
        case .hmacSHA256Counter:
            let input: [UInt8] = [0, 0, 0, 0] + context + [0, 0, 1, 0]
            return Array(HMAC<SHA256>.authenticationCode(for: input, using: SymmetricKey(data: raw)).prefix(count))
        }
    }
}

extension Material {
    /// The public half of a signing key (nil for symmetric and X-Wing keys).
    var publicMaterial: PublicMaterial? {
        switch self {
        case .symmetric, .xwing: return nil
        case .ed25519(let k): return .ed25519(k.publicKey)
        case .p256(let k): return .p256(k.publicKey)
        case .p384(let k): return .p384(k.publicKey)
        case .p521(let k): return .p521(k.publicKey)
        case .rsa(let k, let e): return .rsa(k.publicKey, e.publicKey)
        case .mldsa44(let k): return .mldsa44(k.publicKey)
        case .mldsa65(let k): return .mldsa65(k.publicKey)
        case .mldsa87(let k): return .mldsa87(k.publicKey)
        case .publicOnly(let p): return p
        }
    }

    /// The public key as a read shows it: base64 for Ed25519 and ML-DSA / X-Wing, PEM for ECDSA and RSA.
    var publicKeyText: String? {
        if case .xwing(let k) = self { return GoBase64.encode(k.publicKey.rawRepresentation) }
        return publicMaterial?.text
    }
}

extension PublicMaterial {
    var text: String {
        switch self {
        case .ed25519(let k): return GoBase64.encode(k.rawRepresentation)
        case .p256(let k): return k.pemRepresentation + "\n"
        case .p384(let k): return k.pemRepresentation + "\n"
        case .p521(let k): return k.pemRepresentation + "\n"
        case .rsa(let k, _): return k.pemRepresentation + "\n"
        case .mldsa44(let k): return GoBase64.encode(k.rawRepresentation)
        case .mldsa65(let k): return GoBase64.encode(k.rawRepresentation)
        case .mldsa87(let k): return GoBase64.encode(k.rawRepresentation)
        }
    }

    /// The form ``KeyVersion/publicKey`` stores.
    var stored: [UInt8] {
        switch self {
        case .ed25519(let k): return Array(k.rawRepresentation)
        case .p256(let k): return Array(k.derRepresentation)
        case .p384(let k): return Array(k.derRepresentation)
        case .p521(let k): return Array(k.derRepresentation)
        case .rsa(let k, _): return Array(k.derRepresentation)
        case .mldsa44(let k): return k.rawRepresentation
        case .mldsa65(let k): return Array(k.rawRepresentation)
        case .mldsa87(let k): return Array(k.rawRepresentation)
        }
    }
}
