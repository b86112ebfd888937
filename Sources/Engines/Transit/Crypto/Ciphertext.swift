import Crypto
import CofferSDK
import Foundation
import _CryptoExtras

/// `vault:v<N>:<base64>` values: ciphertexts, signatures and HMACs.
enum Versioned {
    static func format(_ version: Int, _ bytes: some DataProtocol) -> String {
        "vault:v\(version):" + GoBase64.encode(bytes)
    }

    /// Splits `vault:vN:rest`. `what` names the value in errors ("ciphertext", "signature", "HMAC to verify").
    static func parse(_ text: String, what: String) throws(ItemError) -> (version: Int, body: String) {
        guard text.hasPrefix("vault:") else { throw ItemError("invalid \(what): no prefix") }
        let rest = text.dropFirst("vault:".count)
        let parts = rest.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw ItemError("invalid \(what): wrong number of fields") }
        guard parts[0].hasPrefix("v"), let v = Int(parts[0].dropFirst()) else {
            throw ItemError("invalid \(what): version number could not be decoded")
        }
        return (v, String(parts[1]))
    }
}

/// Encryption and decryption with a loaded key.
extension LoadedKey {
    /// The version to encrypt or sign with: `requested` (0 = latest), checked against the policy.
    func useVersion(_ requested: Int64) throws(ItemError) -> Int {
        let p = policy
        if requested == 0 { return p.latestVersion }
        if requested < Int64(p.minEncryptionVersion) {
            throw ItemError("requested version for encryption is less than the minimum encryption key version")
        }
        if requested > Int64(p.latestVersion) {
            throw ItemError("requested version for encryption is higher than the latest key version")
        }
        return Int(requested)
    }

    /// The material of a version for decryption / verification, with OpenBao's checks.
    func decryptionMaterial(_ version: Int, what: String = "ciphertext") throws(ItemError) -> VersionMaterial {
        if version > policy.latestVersion { throw ItemError("invalid \(what): version is too new") }
        if version < policy.minDecryptionVersion { throw ItemError(TransitErrors.tooOld) }
        guard let m = versions[version] else { throw ItemError(TransitErrors.tooOld) }
        return m
    }

    func symmetricKey(_ m: VersionMaterial, context: [UInt8]?) throws(ItemError) -> SymmetricKey {
        guard case .symmetric(let key) = m.material else { throw ItemError("key type \(policy.type.rawValue) does not support this operation") }
        guard policy.derived else { return key }
        guard let context, !context.isEmpty else { throw ItemError(TransitErrors.missingContext) }
        return SymmetricKey(data: KeyGenerator.derive(m.rawKey, context: context, count: m.rawKey.count, kdf: policy.kdf))
    }

    /// The HMAC key of convergent nonces: the 32 bytes that follow the encryption key when the key derivation is asked
    /// for both at once (for HKDF, the encryption key itself is the same either way).
    func convergentNonceKey(_ m: VersionMaterial, context: [UInt8]?) throws(ItemError) -> SymmetricKey {
        guard let context, !context.isEmpty else { throw ItemError(TransitErrors.missingContext) }
        let both = KeyGenerator.derive(m.rawKey, context: context, count: m.rawKey.count + 32, kdf: policy.kdf)
        return SymmetricKey(data: both.suffix(32))
    }

    func encrypt(
        _ plaintext: [UInt8], version requested: Int64 = 0, context: [UInt8]? = nil, nonce: [UInt8]? = nil,
        associatedData: [UInt8]? = nil
    ) throws(ItemError) -> (ciphertext: String, version: Int) {
        let type = policy.type
        guard type.supportsEncryption else { throw ItemError("message encryption not supported for key type \(type.rawValue)") }
        let version = try useVersion(requested)
        guard let m = versions[version] else { throw ItemError("invalid key version") }
        let aad = associatedData ?? []
        return try ItemError.wrapping("error encrypting") { () throws -> (ciphertext: String, version: Int) in
            switch m.material {
            case .symmetric:
                let key = try symmetricKey(m, context: context)
                let nonceSize = type.nonceSize
                let nonceBytes: [UInt8]
                if policy.convergentEncryption {
                    // Deterministic (OpenBao's convergent version 3): one derivation yields the encryption key followed
                    // by 32 bytes of nonce key, and the nonce is HMAC-SHA256(nonce key, plaintext) cut to the nonce size.
                    let nonceKey = try convergentNonceKey(m, context: context)
                    nonceBytes = Array(HMAC<SHA256>.authenticationCode(for: plaintext, using: nonceKey).prefix(nonceSize))
                } else {
                    nonceBytes = KeyGenerator.randomBytes(nonceSize)
                }
                let combined: Data
                if type == .xchacha20Poly1305 {
                    let sealed = try BoringSSLShim.xchachaSeal(key: key, nonce: nonceBytes, plaintext: plaintext, associatedData: aad)
                    combined = Data(nonceBytes + sealed)
                } else if type == .chacha20Poly1305 {
                    let box = try ChaChaPoly.seal(plaintext, using: key, nonce: ChaChaPoly.Nonce(data: nonceBytes), authenticating: aad)
                    combined = box.combined
                } else {
                    let box = try AES.GCM.seal(plaintext, using: key, nonce: AES.GCM.Nonce(data: nonceBytes), authenticating: aad)
                    guard let c = box.combined else { throw ItemError("error encrypting", internal: true) }
                    combined = c
                }
                _ = nonce
                return (Versioned.format(version, combined), version)
            case .rsa(_, let priv):
                let ct = try priv.publicKey.encrypt(plaintext, padding: .PKCS1_OAEP_SHA256)
                return (Versioned.format(version, ct), version)
            case .publicOnly(.rsa(_, let pub)):
                let ct = try pub.encrypt(plaintext, padding: .PKCS1_OAEP_SHA256)
                return (Versioned.format(version, ct), version)
            case .xwing(let priv):
                let enc = try priv.publicKey.encapsulate()
                let box = try AES.GCM.seal(plaintext, using: enc.sharedSecret, authenticating: aad)
                guard let c = box.combined else { throw ItemError("error encrypting", internal: true) }
                return (Versioned.format(version, enc.encapsulated + c), version)
            default:
                throw ItemError("message encryption not supported for key type \(type.rawValue)")
            }
        }
    }

    func decrypt(_ ciphertext: String, context: [UInt8]? = nil, associatedData: [UInt8]? = nil) throws(ItemError) -> [UInt8] {
        let type = policy.type
        guard type.supportsDecryption else { throw ItemError("message decryption not supported for key type \(type.rawValue)") }
        let (version, body) = try Versioned.parse(ciphertext, what: "ciphertext")
        guard let bytes = try? GoBase64.decode(body) else { throw ItemError("invalid ciphertext: could not decode base64") }
        let m = try decryptionMaterial(version)
        let aad = associatedData ?? []
        switch m.material {
        case .symmetric:
            let key = try symmetricKey(m, context: context)
            let nonceSize = type.nonceSize
            // Go's AEADs name themselves in this error: crypto/cipher for AES-GCM, x/crypto/chacha20poly1305 for both ChaCha types.
            let authFailed = type.isChaCha ? "chacha20poly1305: message authentication failed" : "cipher: message authentication failed"
            guard bytes.count >= nonceSize else { throw ItemError("invalid ciphertext length") }
            guard bytes.count >= nonceSize + 16 else { throw ItemError(authFailed) }
            do {
                if type == .xchacha20Poly1305 {
                    return try BoringSSLShim.xchachaOpen(
                        key: key, nonce: Array(bytes[0..<nonceSize]), sealed: Array(bytes[nonceSize...]), associatedData: aad)
                }
                if type == .chacha20Poly1305 {
                    return Array(try ChaChaPoly.open(ChaChaPoly.SealedBox(combined: bytes), using: key, authenticating: aad))
                }
                return Array(try AES.GCM.open(AES.GCM.SealedBox(combined: bytes), using: key, authenticating: aad))
            } catch {
                throw ItemError(authFailed)
            }
        case .rsa(_, let priv):
            do {
                return Array(try priv.decrypt(bytes, padding: .PKCS1_OAEP_SHA256))
            } catch {
                throw ItemError("failed to RSA decrypt the ciphertext: crypto/rsa: decryption error")
            }
        case .xwing(let priv):
            let encLen = 1120
            guard bytes.count >= encLen + 28 else { throw ItemError("invalid ciphertext length") }
            do {
                let secret = try priv.decapsulate(Data(bytes[0..<encLen]))
                return Array(try AES.GCM.open(AES.GCM.SealedBox(combined: bytes[encLen...]), using: secret, authenticating: aad))
            } catch {
                throw ItemError("cipher: message authentication failed")
            }
        case .publicOnly:
            throw ItemError("cannot decrypt ciphertext, key version does not have a private counterpart", internal: true)
        default:
            throw ItemError("message decryption not supported for key type \(type.rawValue)")
        }
    }
}
