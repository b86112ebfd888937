import CofferSDK
import Crypto
import Foundation
import JWTKit

/// A public key that can verify JWS signatures.
struct VerificationKey: Sendable {
    enum Material: Sendable {
        case rsa(JWTKit.Insecure.RSA.PublicKey)
        case p256(ES256PublicKey)
        case p384(ES384PublicKey)
        case p521(ES512PublicKey)
        case ed25519(EdDSA.PublicKey)
    }
    var material: Material
    var kid: String?

    /// Parses a PEM public key (PKIX or an X.509 certificate): RSA, ECDSA P-256/384/521 or Ed25519.
    static func parsePEM(_ pem: String) -> VerificationKey? {
        if pem.contains("CERTIFICATE") {
            if let k = try? JWTKit.Insecure.RSA.PublicKey(certificatePEM: pem) { return .init(material: .rsa(k)) }
            if let k = try? ES256PublicKey(certificate: pem) { return .init(material: .p256(k)) }
            if let k = try? ES384PublicKey(certificate: pem) { return .init(material: .p384(k)) }
            if let k = try? ES512PublicKey(certificate: pem) { return .init(material: .p521(k)) }
            return nil
        }
        if let k = try? JWTKit.Insecure.RSA.PublicKey(pem: pem) { return .init(material: .rsa(k)) }
        if let k = try? ES256PublicKey(pem: pem) { return .init(material: .p256(k)) }
        if let k = try? ES384PublicKey(pem: pem) { return .init(material: .p384(k)) }
        if let k = try? ES512PublicKey(pem: pem) { return .init(material: .p521(k)) }
        if let k = try? EdDSA.PublicKey(pem: pem) { return .init(material: .ed25519(k)) }
        return nil
    }

    /// Parses the `keys` of a JWKS document; keys of unknown types are skipped.
    static func parseJWKS(_ doc: JSONValue) -> [VerificationKey] {
        guard let keys = doc["keys"]?.arrayValue else { return [] }
        var out: [VerificationKey] = []
        for k in keys {
            if let use = k["use"]?.stringValue, use != "sig" { continue }
            let kid = k["kid"]?.stringValue
            switch k["kty"]?.stringValue {
            case "RSA":
                guard let n = k["n"]?.stringValue, let e = k["e"]?.stringValue,
                    let key = try? JWTKit.Insecure.RSA.PublicKey(modulus: n, exponent: e)
                else { continue }
                out.append(.init(material: .rsa(key), kid: kid))
            case "EC":
                guard let x = k["x"]?.stringValue, let y = k["y"]?.stringValue else { continue }
                switch k["crv"]?.stringValue {
                case "P-256": if let key = try? ES256PublicKey(parameters: (x, y)) { out.append(.init(material: .p256(key), kid: kid)) }
                case "P-384": if let key = try? ES384PublicKey(parameters: (x, y)) { out.append(.init(material: .p384(key), kid: kid)) }
                case "P-521": if let key = try? ES512PublicKey(parameters: (x, y)) { out.append(.init(material: .p521(key), kid: kid)) }
                default: continue
                }
            case "OKP":
                guard k["crv"]?.stringValue == "Ed25519", let x = k["x"]?.stringValue,
                    let key = try? EdDSA.PublicKey(x: x, curve: .ed25519)
                else { continue }
                out.append(.init(material: .ed25519(key), kid: kid))
            default:
                continue
            }
        }
        return out
    }

    /// Whether this key verifies `signature` over `signingInput` for the JWS algorithm `alg`.
    func verifies(alg: String, signingInput: [UInt8], signature: [UInt8]) async -> Bool {
        let keys = JWTKeyCollection()
        switch (material, alg) {
        case (.rsa(let k), "RS256"): await keys.add(rsa: k, digestAlgorithm: .sha256)
        case (.rsa(let k), "RS384"): await keys.add(rsa: k, digestAlgorithm: .sha384)
        case (.rsa(let k), "RS512"): await keys.add(rsa: k, digestAlgorithm: .sha512)
        case (.rsa(let k), "PS256"): await keys.add(pss: k, digestAlgorithm: .sha256)
        case (.rsa(let k), "PS384"): await keys.add(pss: k, digestAlgorithm: .sha384)
        case (.rsa(let k), "PS512"): await keys.add(pss: k, digestAlgorithm: .sha512)
        case (.p256(let k), "ES256"): await keys.add(ecdsa: k)
        case (.p384(let k), "ES384"): await keys.add(ecdsa: k)
        case (.p521(let k), "ES512"): await keys.add(ecdsa: k)
        case (.ed25519(let k), "EdDSA"): await keys.add(eddsa: k)
        default: return false
        }
        guard let algorithm = try? await keys.getKey() else { return false }
        return (try? algorithm.verify(signature, signs: signingInput)) ?? false
    }
}

let supportedSigningAlgorithms = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA"]

/// A compact JWS split into its parts, with go-jose's error texts for malformed input.
struct CompactJWS {
    var header: [String: JSONValue]
    var payloadBytes: [UInt8]
    var signature: [UInt8]
    var signingInput: [UInt8]

    var alg: String { header["alg"]?.stringValue ?? "" }
    var kid: String? { header["kid"]?.stringValue }

    static func parse(_ token: String) -> Result<CompactJWS, JWTValidationError> {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return .failure(.malformed("go-jose/go-jose: compact JWS format must have three parts")) }
        let header: [UInt8]
        switch base64URLDecode(parts[0]) {
        case .success(let b): header = b
        case .failure(let e): return .failure(.malformed(e.description))
        }
        let payload: [UInt8]
        switch base64URLDecode(parts[1]) {
        case .success(let b): payload = b
        case .failure(let e): return .failure(.malformed(e.description))
        }
        let sig: [UInt8]
        switch base64URLDecode(parts[2]) {
        case .success(let b): sig = b
        case .failure(let e): return .failure(.malformed(e.description))
        }
        guard let h = try? JSONValue.parse(header), let ho = h.objectValue else {
            return .failure(.malformed("invalid character looking for beginning of value"))
        }
        return .success(
            CompactJWS(header: ho, payloadBytes: payload, signature: sig, signingInput: Array((parts[0] + "." + parts[1]).utf8)))
    }
}

enum JWTValidationError: Error {
    case malformed(String)
}
