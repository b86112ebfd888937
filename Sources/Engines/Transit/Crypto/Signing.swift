import Crypto
import CofferSDK
import Foundation
import _CryptoExtras

/// Options of a sign or verify request.
struct SignOptions: Sendable {
    var hashAlgorithm: HashAlgorithm = .sha2_256
    var prehashed = false
    /// `pss` or `pkcs1v15` (RSA only).
    var signatureAlgorithm = "pss"
    /// `asn1` or `jws` (ECDSA only).
    var marshaling = "asn1"
    /// `auto`, `hash` or an integer as text (RSA PSS only).
    var saltLength = "auto"
    var context: [UInt8]?

    /// Validates `salt_length` as OpenBao does; returns the explicit length, or nil for auto/hash.
    static func parseSaltLength(_ text: String) throws(ItemError) -> Int? {
        switch text {
        case "", "auto", "hash": return nil
        default:
            guard let n = Int(text) else { throw ItemError("salt length neither 'auto', 'hash', nor an int: \(text)") }
            if n < -1 { throw ItemError("salt length is invalid: \(n)") }
            return n
        }
    }

    /// These options with the base64 `context` of an item, when it has one.
    func with(context item: [String: JSONValue]) throws(ItemError) -> SignOptions {
        var o = self
        let ctx = item.itemString("context")
        if !ctx.isEmpty {
            guard let c = try? GoBase64.decode(ctx) else { throw ItemError("failed to base64-decode context") }
            o.context = c
        }
        return o
    }
}

extension LoadedKey {
    private func ed25519Key(_ m: VersionMaterial, context: [UInt8]?) throws(ItemError) -> Curve25519.Signing.PrivateKey {
        guard case .ed25519(let key) = m.material else { throw ItemError("invalid key type") }
        guard policy.derived else { return key }
        guard let context, !context.isEmpty else { throw ItemError(TransitErrors.missingContext) }
        do {
            return try Curve25519.Signing.PrivateKey(
                rawRepresentation: KeyGenerator.derive(m.rawKey, context: context, count: 32, kdf: policy.kdf))
        } catch {
            throw ItemError("error deriving key", internal: true)
        }
    }

    /// The bytes the ECDSA/RSA algorithms sign: the input hashed, or the input itself when prehashed.
    private func digestInput(_ input: [UInt8], _ options: SignOptions) throws(ItemError) -> [UInt8] {
        if options.prehashed { return input }
        guard let d = options.hashAlgorithm.digest(input) else {
            throw ItemError("unsupported hash algorithm \(options.hashAlgorithm.rawValue)")
        }
        return d
    }

    func sign(_ input: [UInt8], version requested: Int64, options: SignOptions) throws(ItemError) -> (signature: String, version: Int) {
        let type = policy.type
        guard type.supportsSigning else { throw ItemError("key type \(type.rawValue) does not support signing") }
        let explicitSalt = try SignOptions.parseSaltLength(options.saltLength)
        let version = try useVersion(requested)
        guard let m = versions[version] else { throw ItemError("invalid key version") }
        let jws = options.marshaling == "jws"
        func out(_ sig: some DataProtocol) -> String {
            jws ? "vault:v\(version):" + GoBase64.encodeURL(sig) : Versioned.format(version, sig)
        }
        return try ItemError.wrapping("error signing") { () throws -> (signature: String, version: Int) in
            switch m.material {
            case .publicOnly:
                throw ItemError("requested version for signing does not contain a private part", internal: true)
            case .ed25519:
                let key = try ed25519Key(m, context: options.context)
                return (out(try key.signature(for: input)), version)
            case .p256(let key):
                let s = try key.signature(for: PrehashedDigest(bytes: try digestInput(input, options)))
                return (out(jws ? s.rawRepresentation : s.derRepresentation), version)
            case .p384(let key):
                let s = try key.signature(for: PrehashedDigest(bytes: try digestInput(input, options)))
                return (out(jws ? s.rawRepresentation : s.derRepresentation), version)
            case .p521(let key):
                let s = try key.signature(for: PrehashedDigest(bytes: try digestInput(input, options)))
                return (out(jws ? s.rawRepresentation : s.derRepresentation), version)
            case .rsa(let key, _):
                let padding = try rsaPadding(options, explicitSalt: explicitSalt)
                let sig = try rsaSign(key, input, options, padding)
                return (out(sig), version)
            case .mldsa44(let key):
                return (out(try key.signature(for: input)), version)
            case .mldsa65(let key):
                return (out(try key.signature(for: input)), version)
            case .mldsa87(let key):
                return (out(try key.signature(for: input)), version)
            default:
                throw ItemError("key type \(type.rawValue) does not support signing")
            }
        }
    }

    private func rsaPadding(_ options: SignOptions, explicitSalt: Int?) throws(ItemError) -> _RSA.Signing.Padding {
        switch options.signatureAlgorithm {
        case "", "pss":
            // swift-crypto signs PSS with a salt as long as the digest, which `auto` and `hash` verifiers accept.
            if let explicitSalt, explicitSalt != -1, let size = options.hashAlgorithm.digest([UInt8]())?.count, explicitSalt != size {
                throw ItemError("salt length \(explicitSalt) is not supported; use 'auto', 'hash' or \(size)")
            }
            return .PSS
        case "pkcs1v15": return .insecurePKCS1v1_5
        default: throw ItemError("unsupported rsa signature algorithm \(options.signatureAlgorithm)", internal: true)
        }
    }

    private static func isPSS(_ options: SignOptions) -> Bool { options.signatureAlgorithm != "pkcs1v15" }

    private func rsaSign(_ key: _RSA.Signing.PrivateKey, _ input: [UInt8], _ options: SignOptions, _ padding: _RSA.Signing.Padding) throws -> Data {
        if options.prehashed { throw ItemError("prehashed input is not supported for RSA keys") }
        switch options.hashAlgorithm {
        case .sha1: return try key.signature(for: Insecure.SHA1.hash(data: input), padding: padding).rawRepresentation
        case .sha2_224:
            // swift-crypto's RSA knows no SHA-224; BoringSSL's RSA signs the digest (same padding choices and salt).
            return Data(try BoringSSLShim.rsaSignSHA224(
                privateKeyDER: Array(key.derRepresentation), pss: Self.isPSS(options), digest: BoringSSLShim.sha224(input)))
        case .sha2_256: return try key.signature(for: SHA256.hash(data: input), padding: padding).rawRepresentation
        case .sha2_384: return try key.signature(for: SHA384.hash(data: input), padding: padding).rawRepresentation
        case .sha2_512: return try key.signature(for: SHA512.hash(data: input), padding: padding).rawRepresentation
        default: throw ItemError("unsupported hash algorithm \(options.hashAlgorithm.rawValue) for RSA keys")
        }
    }

    private func rsaVerify(_ key: _RSA.Signing.PublicKey, _ sig: [UInt8], _ input: [UInt8], _ options: SignOptions, _ padding: _RSA.Signing.Padding) throws(ItemError) -> Bool {
        if options.prehashed { throw ItemError("prehashed input is not supported for RSA keys") }
        let s = _RSA.Signing.RSASignature(rawRepresentation: sig)
        switch options.hashAlgorithm {
        case .sha1: return key.isValidSignature(s, for: Insecure.SHA1.hash(data: input), padding: padding)
        case .sha2_224:
            return BoringSSLShim.rsaVerifySHA224(
                publicKeyPKCS1: Array(key.pkcs1DERRepresentation), pss: Self.isPSS(options), digest: BoringSSLShim.sha224(input),
                signature: sig)
        case .sha2_256: return key.isValidSignature(s, for: SHA256.hash(data: input), padding: padding)
        case .sha2_384: return key.isValidSignature(s, for: SHA384.hash(data: input), padding: padding)
        case .sha2_512: return key.isValidSignature(s, for: SHA512.hash(data: input), padding: padding)
        default: throw ItemError("unsupported hash algorithm \(options.hashAlgorithm.rawValue) for RSA keys")
        }
    }

    func verify(_ input: [UInt8], signature: String, options: SignOptions) throws(ItemError) -> Bool {
        let type = policy.type
        guard type.supportsSigning else { throw ItemError("key type \(type.rawValue) does not support verification") }
        let explicitSalt = try SignOptions.parseSaltLength(options.saltLength)
        let (version, body) = try Versioned.parse(signature, what: "signature")
        let jws = options.marshaling == "jws"
        let decoded: [UInt8]?
        if jws { decoded = GoBase64.decodeURL(body) } else { decoded = try? GoBase64.decode(body) }
        guard let sig = decoded else { throw ItemError("invalid base64 signature value") }
        let m = try decryptionMaterial(version, what: "signature")
        let publicKey: PublicMaterial
        if case .ed25519 = m.material, policy.derived {
            publicKey = .ed25519(try ed25519Key(m, context: options.context).publicKey)
        } else if case .publicOnly(.ed25519) = m.material, policy.derived {
            throw ItemError("error deriving key: the key version has no private key to derive from", internal: true)
        } else {
            guard let p = m.material.publicMaterial else { throw ItemError("key type \(type.rawValue) does not support verification") }
            publicKey = p
        }
        switch publicKey {
        case .ed25519(let key):
            return key.isValidSignature(sig, for: input)
        case .p256, .p384, .p521:
            return publicKey.ecdsaValid(sig, jws: jws, digest: PrehashedDigest(bytes: try digestInput(input, options))) ?? false
        case .rsa(let key, _):
            let padding = try rsaPadding(options, explicitSalt: explicitSalt)
            return try rsaVerify(key, sig, input, options, padding)
        case .mldsa44(let key):
            return key.isValidSignature(sig, for: input)
        case .mldsa65(let key):
            return key.isValidSignature(sig, for: input)
        case .mldsa87(let key):
            return key.isValidSignature(sig, for: input)
        }
    }

    /// `hmac/`: every key version carries an HMAC key.
    func hmac(_ input: [UInt8], version requested: Int64, algorithm: HashAlgorithm) throws(ItemError) -> String {
        let version = try useVersion(requested)
        guard let m = versions[version] else { throw ItemError("invalid key version") }
        guard let mac = algorithm.hmac(input, key: m.hmacKey) else {
            throw ItemError("unsupported algorithm \(algorithm.rawValue)")
        }
        return Versioned.format(version, mac)
    }

    func verifyHMAC(_ input: [UInt8], hmac: String, algorithm: HashAlgorithm) throws(ItemError) -> Bool {
        let (version, body) = try Versioned.parse(hmac, what: "HMAC to verify")
        if version < policy.minDecryptionVersion || versions[version] == nil && version <= policy.latestVersion {
            throw ItemError("cannot verify HMAC: version is too old (disallowed by policy)")
        }
        guard let m = versions[version] else { throw ItemError("cannot verify HMAC: version is too new") }
        guard let mac = try? GoBase64.decode(body) else { throw ItemError("unable to decode HMAC as base64") }
        guard algorithm.isAvailable else { throw ItemError("unsupported algorithm \(algorithm.rawValue)") }
        return algorithm.verifyHMAC(mac, data: input, key: m.hmacKey)
    }
}
