import CofferSDK
import Crypto
import Foundation
import _CryptoExtras

/// Base64url without padding (RFC 7515 §2), as every part of a JWS and every JWK member is written.
enum Base64URL {
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The bytes of base64url text; nil for anything else (padding, `+`, `/`, whitespace).
    static func decode(_ text: String) -> [UInt8]? {
        guard text.utf8.allSatisfy({ c in
            (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x5F
        })
        else { return nil }
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        switch s.utf8.count % 4 {
        case 2: s += "=="
        case 3: s += "="
        case 1: return nil
        default: break
        }
        return Data(base64Encoded: s).map { Array($0) }
    }
}

/// An account key as a JWK gives it (RFC 7517/7518): the public keys ACME accepts, with the JWS algorithm each
/// signs with. Signatures are checked by swift-crypto only.
enum ACMEPublicKey: Sendable {
    case p256(P256.Signing.PublicKey)
    case p384(P384.Signing.PublicKey)
    case rsa(_RSA.Signing.PublicKey)
    case ed25519(Curve25519.Signing.PublicKey)

    /// The JWS `alg` values accepted (RFC 8555 §6.2 asks for ES256 and EdDSA; RS256 is what certbot's default RSA
    /// account key signs with).
    static let algorithms = ["ES256", "ES384", "RS256", "EdDSA"]

    /// The key of a JWK object; its members are checked for the key type only (private members are refused).
    init(jwk: [String: JSONValue]) throws(ACMEProblem) {
        func member(_ k: String) throws(ACMEProblem) -> [UInt8] {
            guard let s = jwk[k]?.stringValue, let b = Base64URL.decode(s), !b.isEmpty else {
                throw .badPublicKey("JWK member \(k) is missing or not base64url")
            }
            return b
        }
        if jwk["d"] != nil { throw .badPublicKey("the JWK holds a private key") }
        switch (jwk["kty"]?.stringValue, jwk["crv"]?.stringValue) {
        case ("EC", "P-256"):
            let (x, y) = (try member("x"), try member("y"))
            guard x.count == 32, y.count == 32, let k = try? P256.Signing.PublicKey(x963Representation: [0x04] + x + y) else {
                throw .badPublicKey("invalid P-256 key")
            }
            self = .p256(k)
        case ("EC", "P-384"):
            let (x, y) = (try member("x"), try member("y"))
            guard x.count == 48, y.count == 48, let k = try? P384.Signing.PublicKey(x963Representation: [0x04] + x + y) else {
                throw .badPublicKey("invalid P-384 key")
            }
            self = .p384(k)
        case ("RSA", _):
            let (n, e) = (try member("n"), try member("e"))
            // swift-crypto refuses moduli under 2048 bits.
            guard let k = try? _RSA.Signing.PublicKey(n: n, e: e) else { throw .badPublicKey("invalid RSA key (2048 bits or more required)") }
            self = .rsa(k)
        case ("OKP", "Ed25519"):
            guard let k = try? Curve25519.Signing.PublicKey(rawRepresentation: try member("x")) else {
                throw .badPublicKey("invalid Ed25519 key")
            }
            self = .ed25519(k)
        default:
            throw .badPublicKey("unsupported JWK key type")
        }
    }

    /// Whether `signature` is this key's `alg` signature of `input`; an `alg` that does not fit the key is false.
    func isValidSignature(_ signature: [UInt8], for input: [UInt8], alg: String) -> Bool {
        switch (self, alg) {
        case (.p256(let k), "ES256"):
            guard let s = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return k.isValidSignature(s, for: input)
        case (.p384(let k), "ES384"):
            guard let s = try? P384.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return k.isValidSignature(s, for: input)
        case (.rsa(let k), "RS256"):
            return k.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5)
        case (.ed25519(let k), "EdDSA"):
            return k.isValidSignature(signature, for: input)
        default:
            return false
        }
    }

    /// The RFC 7638 thumbprint of a JWK: SHA-256 of its required members in lexicographic order, without
    /// whitespace, base64url encoded.
    static func thumbprint(jwk: [String: JSONValue]) throws(ACMEProblem) -> String {
        let required: [String]
        switch jwk["kty"]?.stringValue {
        case "EC": required = ["crv", "kty", "x", "y"]
        case "RSA": required = ["e", "kty", "n"]
        case "OKP": required = ["crv", "kty", "x"]
        default: throw .badPublicKey("unsupported JWK key type")
        }
        var canonical: [String: JSONValue] = [:]
        for k in required {
            guard let v = jwk[k]?.stringValue else { throw .badPublicKey("JWK member \(k) is missing") }
            canonical[k] = .string(v)
        }
        return Base64URL.encode(SHA256.hash(data: Array(canonicalJSON(canonical).utf8)))
    }

    /// A flat object of strings with sorted keys and no whitespace.
    static func canonicalJSON(_ object: [String: JSONValue]) -> String {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (i, (k, v)) in object.sorted(by: { $0.key < $1.key }).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONValue.writeStringPublic(k, to: &out)
            out.append(UInt8(ascii: ":"))
            v.write(to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}

/// A request body in JWS flattened JSON serialization (RFC 8555 §6.2): the protected header's `alg`, `nonce`,
/// `url` and either `jwk` or `kid`, the payload, and the signature over `protected.payload`.
struct ACMEJWS: Sendable {
    var alg: String
    var nonce: String
    var url: String
    var jwk: [String: JSONValue]?
    var kid: String?
    /// The decoded payload; empty for POST-as-GET.
    var payload: [UInt8]
    var signingInput: [UInt8]
    var signature: [UInt8]

    /// Parses the body fields of a request, checking the shape only (not the signature, nonce or URL).
    init(body: [String: JSONValue]) throws(ACMEProblem) {
        guard let p = body["protected"]?.stringValue, let payload = body["payload"]?.stringValue, let sig = body["signature"]?.stringValue else {
            throw .malformed("the request body must be a JWS in flattened JSON serialization")
        }
        guard let headerBytes = Base64URL.decode(p), case .object(let header)? = try? JSONValue.parse(headerBytes) else {
            throw .malformed("the JWS protected header is not base64url JSON")
        }
        guard let alg = header["alg"]?.stringValue else { throw .malformed("the JWS protected header has no alg") }
        guard ACMEPublicKey.algorithms.contains(alg) else {
            throw .badSignatureAlgorithm("unsupported signature algorithm \(alg); use one of \(ACMEPublicKey.algorithms.joined(separator: ", "))")
        }
        guard let nonce = header["nonce"]?.stringValue, !nonce.isEmpty else { throw .badNonce("the JWS protected header has no nonce") }
        guard let url = header["url"]?.stringValue else { throw .malformed("the JWS protected header has no url") }
        let jwk = header["jwk"]?.objectValue
        let kid = header["kid"]?.stringValue
        guard (jwk == nil) != (kid == nil) else { throw .malformed("the JWS protected header must hold exactly one of jwk and kid") }
        guard let payloadBytes = Base64URL.decode(payload), let signature = Base64URL.decode(sig) else {
            throw .malformed("the JWS payload or signature is not base64url")
        }
        self.alg = alg
        self.nonce = nonce
        self.url = url
        self.jwk = jwk
        self.kid = kid
        self.payload = payloadBytes
        self.signingInput = Array((p + "." + payload).utf8)
        self.signature = signature
    }

    /// The payload as a JSON object (`{}` for an empty payload is refused: POST-as-GET is checked with
    /// ``isPostAsGet``).
    func payloadObject() throws(ACMEProblem) -> [String: JSONValue] {
        guard case .object(let o)? = try? JSONValue.parse(payload) else { throw .malformed("the JWS payload is not a JSON object") }
        return o
    }

    var isPostAsGet: Bool { payload.isEmpty }

    /// Checks the signature with `key`.
    func verify(with key: ACMEPublicKey) throws(ACMEProblem) {
        guard key.isValidSignature(signature, for: signingInput, alg: alg) else {
            throw .malformed("JWS signature verification failed")
        }
    }
}
