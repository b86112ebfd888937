import Crypto
import CofferSDK
import Foundation
import _CryptoExtras

/// Key material brought in by `keys/:name/import` and `import_version` (bring your own key), checked as OpenBao
/// checks it: raw bytes for symmetric and HMAC keys, PKCS#8 DER for private keys, PEM SubjectPublicKeyInfo for
/// public keys. Failures carry OpenBao's texts (without its "error importing key: " prefix).
enum KeyImport {
    struct Failure: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    static let ed25519OID = "1.3.101.112"
    static let ecPublicKeyOID = "1.2.840.10045.2.1"
    static let rsaOID = "1.2.840.113549.1.1.1"
    static let mldsaOIDs: [String: KeyType] = [
        "2.16.840.1.101.3.4.3.17": .mldsa44, "2.16.840.1.101.3.4.3.18": .mldsa65, "2.16.840.1.101.3.4.3.19": .mldsa87,
    ]
    static let curveOIDs: [String: String] = ["1.2.840.10045.3.1.7": "P-256", "1.3.132.0.34": "P-384", "1.3.132.0.35": "P-521"]

    /// Types `import` takes (X-Wing keys are Coffer's own and are not importable).
    static func supports(_ type: KeyType) -> Bool { type != .xwing }

    /// Types that take a public key alone.
    static func supportsPublicKey(_ type: KeyType) -> Bool { type.supportsSigning }

    /// The Go type OpenBao names in "invalid key type" errors, by algorithm.
    static func goTypeName(algorithm: String, isPrivate: Bool) -> String {
        let kind = isPrivate ? "PrivateKey" : "PublicKey"
        switch algorithm {
        case ed25519OID: return "ed25519.\(kind)"
        case ecPublicKeyOID: return "*ecdsa.\(kind)"
        case rsaOID: return "*rsa.\(kind)"
        default:
            // OpenBao names ML-DSA keys by parameter set ("got mldsa-44"), private or public.
            if let type = mldsaOIDs[algorithm] { return type.rawValue }
            return algorithm.hasPrefix("2.16.840.1.101.3.4.3.") ? "*mldsa.\(kind)" : "unknown"
        }
    }

    /// Checks that `info`'s algorithm (and curve) is the one `type` needs.
    static func checkAlgorithm(_ info: KeyInfo, type: KeyType, isPrivate: Bool) throws(Failure) {
        let wanted: Bool
        switch type {
        case .ed25519: wanted = info.algorithm == ed25519OID
        case .ecdsaP256, .ecdsaP384, .ecdsaP521: wanted = info.algorithm == ecPublicKeyOID
        case .rsa2048, .rsa3072, .rsa4096: wanted = info.algorithm == rsaOID
        case .mldsa44, .mldsa65, .mldsa87: wanted = mldsaOIDs[info.algorithm] == type
        default: wanted = false
        }
        guard wanted else {
            throw Failure("invalid key type: expected \(type.rawValue), got \(goTypeName(algorithm: info.algorithm, isPrivate: isPrivate))")
        }
        if type.isECDSA {
            let expected = type.publicKeyName
            let got = info.parameter.flatMap { curveOIDs[$0] } ?? "unknown"
            guard got == expected else { throw Failure("invalid curve: expected \(expected), got \(got)") }
        }
    }

    static func checkRSASize(_ bits: Int, type: KeyType) throws(Failure) {
        let expected = type == .rsa2048 ? 256 : type == .rsa3072 ? 384 : 512
        guard bits / 8 == expected else { throw Failure("invalid key size: expected \(expected) bytes, got \(bits / 8) bytes") }
    }

    /// The stored form (see ``KeyVersion/key``) of an imported private or secret key.
    static func privateKey(type: KeyType, bytes: [UInt8]) throws(Failure) -> [UInt8] {
        switch type {
        case .aes128GCM96, .aes256GCM96, .chacha20Poly1305, .xchacha20Poly1305, .hmac:
            let ok = type == .hmac ? (32...512).contains(bytes.count) : bytes.count == (type == .aes128GCM96 ? 16 : 32)
            guard ok else { throw Failure("invalid key size \(bytes.count) bytes for key type \(type.rawValue)") }
            return bytes
        case .xwing:
            throw Failure("import is not supported for key type \(type.rawValue)")
        default:
            break
        }
        let info: KeyInfo
        do {
            info = try KeyInfo.pkcs8(bytes)
        } catch {
            throw Failure("error parsing asymmetric key: x509: failed to parse private key (not PKCS#8 DER)")
        }
        try checkAlgorithm(info, type: type, isPrivate: true)
        do {
            switch type {
            case .ed25519:
                // CurvePrivateKey ::= OCTET STRING (the 32-byte seed)
                let seed = try DERNode.single(info.key)
                guard seed.tag == 0x04, seed.body.count == 32 else { throw Failure("ed25519: bad private key length: \(seed.body.count)") }
                return Array(try Curve25519.Signing.PrivateKey(rawRepresentation: seed.body).rawRepresentation)
            case .ecdsaP256: return Array(try P256.Signing.PrivateKey(derRepresentation: bytes).rawRepresentation)
            case .ecdsaP384: return Array(try P384.Signing.PrivateKey(derRepresentation: bytes).rawRepresentation)
            case .ecdsaP521: return Array(try P521.Signing.PrivateKey(derRepresentation: bytes).rawRepresentation)
            case .rsa2048, .rsa3072, .rsa4096:
                let key = try _RSA.Signing.PrivateKey(derRepresentation: bytes)
                try checkRSASize(key.keySizeInBits, type: type)
                return Array(key.derRepresentation)
            case .mldsa44, .mldsa65, .mldsa87:
                // ML-DSA-PrivateKey ::= CHOICE { seed [0] IMPLICIT OCTET STRING (SIZE (32)), expandedKey OCTET STRING,
                //   both SEQUENCE { seed OCTET STRING (SIZE (32)), expandedKey OCTET STRING } } (RFC 9881)
                let choice = try DERNode.single(info.key)
                let seed: ArraySlice<UInt8>
                switch choice.tag {
                case 0x80: seed = choice.body
                case 0x30:
                    let parts = try choice.children()
                    guard parts.count == 2, parts[0].tag == 0x04 else { throw Failure("error parsing asymmetric key: invalid ML-DSA private key") }
                    seed = parts[0].body
                default:
                    throw Failure("error parsing asymmetric key: ML-DSA private keys must include the seed")
                }
                guard seed.count == 32 else { throw Failure("error parsing asymmetric key: invalid ML-DSA seed length \(seed.count)") }
                if type == .mldsa44 { return try MLDSA44PrivateKey(seedRepresentation: seed).seedRepresentation }
                if type == .mldsa65 { return Array(try MLDSA65.PrivateKey(seedRepresentation: seed, publicKey: nil).seedRepresentation) }
                return Array(try MLDSA87.PrivateKey(seedRepresentation: seed, publicKey: nil).seedRepresentation)
            default:
                throw Failure("import is not supported for key type \(type.rawValue)")
            }
        } catch let e as Failure {
            throw e
        } catch {
            throw Failure("error parsing asymmetric key: \(error)")
        }
    }

    /// An imported PEM public key, checked against `type`.
    static func publicKey(type: KeyType, pem: String) throws(Failure) -> PublicMaterial {
        guard let block = PEM.decode(pem) else { throw Failure("error parsing public key: not in PEM format") }
        let info: KeyInfo
        do {
            info = try KeyInfo.spki(block.der)
        } catch {
            throw Failure("error parsing public key: x509: failed to parse public key (not a SubjectPublicKeyInfo)")
        }
        try checkAlgorithm(info, type: type, isPrivate: false)
        do {
            switch type {
            case .ed25519: return .ed25519(try Curve25519.Signing.PublicKey(rawRepresentation: info.key))
            case .ecdsaP256: return .p256(try P256.Signing.PublicKey(derRepresentation: block.der))
            case .ecdsaP384: return .p384(try P384.Signing.PublicKey(derRepresentation: block.der))
            case .ecdsaP521: return .p521(try P521.Signing.PublicKey(derRepresentation: block.der))
            case .rsa2048, .rsa3072, .rsa4096:
                let key = try _RSA.Signing.PublicKey(derRepresentation: block.der)
                try checkRSASize(key.keySizeInBits, type: type)
                return .rsa(key, try _RSA.Encryption.PublicKey(derRepresentation: block.der))
            case .mldsa44: return .mldsa44(try MLDSA44PublicKey(rawRepresentation: info.key))
            case .mldsa65: return .mldsa65(try MLDSA65.PublicKey(rawRepresentation: info.key))
            case .mldsa87: return .mldsa87(try MLDSA87.PublicKey(rawRepresentation: info.key))
            default: throw Failure("provided type does not support public_key import")
            }
        } catch let e as Failure {
            throw e
        } catch {
            throw Failure("error parsing public key: \(error)")
        }
    }

    /// The stored public key of a stored private key, to match a private key against an imported public key.
    static func storedPublicKey(type: KeyType, privateKey: [UInt8]) throws -> [UInt8]? {
        try KeyGenerator.material(type: type, key: privateKey).publicMaterial?.stored
    }

    /// The client's half of an import: `target` wrapped for the mount whose `wrapping_key` is `wrappingKeyPEM`
    /// (RSA-OAEP-SHA256 of a fresh AES-256 key, then RFC 5649 wrap of `target` under it), base64 for `ciphertext`.
    static func wrapForImport(_ target: [UInt8], wrappingKeyPEM: String) throws -> String {
        let ephemeral = SymmetricKey(size: .bits256)
        let ephemeralBytes = KeyGenerator.bytes(ephemeral)
        let encrypted = try _RSA.Encryption.PublicKey(pemRepresentation: wrappingKeyPEM).encrypt(ephemeralBytes, padding: .PKCS1_OAEP_SHA256)
        return GoBase64.encode(Array(encrypted) + (try BoringSSLShim.aesWrapPadded(kek: ephemeralBytes, plaintext: target)))
    }
}
