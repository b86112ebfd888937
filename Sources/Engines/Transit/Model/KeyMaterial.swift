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
    case mldsa65(MLDSA65.PrivateKey)
    case mldsa87(MLDSA87.PrivateKey)
    case xwing(XWingMLKEM768X25519.PrivateKey)
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
                material: try KeyGenerator.material(type: policy.type, key: entry.key), hmacKey: SymmetricKey(data: entry.hmacKey),
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
        case .aes256GCM96, .chacha20Poly1305: return bytes(SymmetricKey(size: .bits256))
        case .hmac: return bytes(SymmetricKey(size: SymmetricKeySize(bitCount: keySize * 8)))
        case .ed25519: return Array(Curve25519.Signing.PrivateKey().rawRepresentation)
        case .ecdsaP256: return Array(P256.Signing.PrivateKey().rawRepresentation)
        case .ecdsaP384: return Array(P384.Signing.PrivateKey().rawRepresentation)
        case .ecdsaP521: return Array(P521.Signing.PrivateKey().rawRepresentation)
        case .rsa2048: return Array(try _RSA.Signing.PrivateKey(keySize: .bits2048).derRepresentation)
        case .rsa3072: return Array(try _RSA.Signing.PrivateKey(keySize: .bits3072).derRepresentation)
        case .rsa4096: return Array(try _RSA.Signing.PrivateKey(keySize: .bits4096).derRepresentation)
        case .mldsa65: return Array(try MLDSA65.PrivateKey().seedRepresentation)
        case .mldsa87: return Array(try MLDSA87.PrivateKey().seedRepresentation)
        case .xwing: return Array(try XWingMLKEM768X25519.PrivateKey.generate().seedRepresentation)
        }
    }

    static func bytes(_ key: SymmetricKey) -> [UInt8] { key.withUnsafeBytes { Array($0) } }

    static func material(type: KeyType, key: [UInt8]) throws -> Material {
        switch type {
        case .aes128GCM96, .aes256GCM96, .chacha20Poly1305, .hmac: return .symmetric(SymmetricKey(data: key))
        case .ed25519: return .ed25519(try Curve25519.Signing.PrivateKey(rawRepresentation: key))
        case .ecdsaP256: return .p256(try P256.Signing.PrivateKey(rawRepresentation: key))
        case .ecdsaP384: return .p384(try P384.Signing.PrivateKey(rawRepresentation: key))
        case .ecdsaP521: return .p521(try P521.Signing.PrivateKey(rawRepresentation: key))
        case .rsa2048, .rsa3072, .rsa4096:
            return .rsa(try _RSA.Signing.PrivateKey(derRepresentation: key), try _RSA.Encryption.PrivateKey(derRepresentation: key))
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

    /// HKDF-SHA256 over the version's key with the context as info, as OpenBao derives per-context keys.
    static func derive(_ raw: [UInt8], context: [UInt8], count: Int) -> [UInt8] {
        let k = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: raw), info: context, outputByteCount: count)
        return bytes(k)
    }
}

extension Material {
    /// The public key as a read shows it: base64 for Ed25519 and ML-DSA / X-Wing, PEM for ECDSA and RSA.
    var publicKeyText: String? {
        switch self {
        case .symmetric: return nil
        case .ed25519(let k): return GoBase64.encode(k.publicKey.rawRepresentation)
        case .p256(let k): return k.publicKey.pemRepresentation + "\n"
        case .p384(let k): return k.publicKey.pemRepresentation + "\n"
        case .p521(let k): return k.publicKey.pemRepresentation + "\n"
        case .rsa(let k, _): return k.publicKey.pemRepresentation + "\n"
        case .mldsa65(let k): return GoBase64.encode(k.publicKey.rawRepresentation)
        case .mldsa87(let k): return GoBase64.encode(k.publicKey.rawRepresentation)
        case .xwing(let k): return GoBase64.encode(k.publicKey.rawRepresentation)
        }
    }
}
