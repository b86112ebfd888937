import CofferSDK
import Crypto
import Foundation
import _CryptoExtras

/// Key generation, JWKs and compact JWS signing/verification with swift-crypto primitives only.
enum OIDCCrypto {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// A fresh signing key for `algorithm` with a new UUID key ID.
    static func generate(algorithm: String) throws -> OIDCSigningKey {
        let material: Data
        switch algorithm {
        case "RS256", "RS384", "RS512":
            material = try _RSA.Signing.PrivateKey(keySize: .bits2048).derRepresentation
        case "ES256": material = P256.Signing.PrivateKey().rawRepresentation
        case "ES384": material = P384.Signing.PrivateKey().rawRepresentation
        case "ES512": material = P521.Signing.PrivateKey().rawRepresentation
        case "EdDSA": material = Curve25519.Signing.PrivateKey().rawRepresentation
        default: throw Failure(description: "unknown signing algorithm \"\(algorithm)\"")
        }
        return OIDCSigningKey(kid: IdentityIDs.uuid(), algorithm: algorithm, privateKey: material, expireAt: nil)
    }

    // MARK: Signing

    /// The signature of `input` (the JWS signing input) with `key`, in JWS form (raw r||s for ECDSA).
    static func sign(_ input: Data, with key: OIDCSigningKey) throws -> Data {
        switch key.algorithm {
        case "RS256":
            let k = try _RSA.Signing.PrivateKey(derRepresentation: key.privateKey)
            return try k.signature(for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5).rawRepresentation
        case "RS384":
            let k = try _RSA.Signing.PrivateKey(derRepresentation: key.privateKey)
            return try k.signature(for: SHA384.hash(data: input), padding: .insecurePKCS1v1_5).rawRepresentation
        case "RS512":
            let k = try _RSA.Signing.PrivateKey(derRepresentation: key.privateKey)
            return try k.signature(for: SHA512.hash(data: input), padding: .insecurePKCS1v1_5).rawRepresentation
        case "ES256":
            return try P256.Signing.PrivateKey(rawRepresentation: key.privateKey).signature(for: input).rawRepresentation
        case "ES384":
            return try P384.Signing.PrivateKey(rawRepresentation: key.privateKey).signature(for: input).rawRepresentation
        case "ES512":
            return try P521.Signing.PrivateKey(rawRepresentation: key.privateKey).signature(for: input).rawRepresentation
        case "EdDSA":
            return try Curve25519.Signing.PrivateKey(rawRepresentation: key.privateKey).signature(for: input)
        default:
            throw Failure(description: "unknown signing algorithm \"\(key.algorithm)\"")
        }
    }

    /// Whether `signature` over `input` verifies with the public half of `key`.
    static func verify(_ signature: Data, over input: Data, with key: OIDCSigningKey) -> Bool {
        do {
            switch key.algorithm {
            case "RS256", "RS384", "RS512":
                let pub = try _RSA.Signing.PrivateKey(derRepresentation: key.privateKey).publicKey
                let sig = _RSA.Signing.RSASignature(rawRepresentation: signature)
                switch key.algorithm {
                case "RS256": return pub.isValidSignature(sig, for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5)
                case "RS384": return pub.isValidSignature(sig, for: SHA384.hash(data: input), padding: .insecurePKCS1v1_5)
                default: return pub.isValidSignature(sig, for: SHA512.hash(data: input), padding: .insecurePKCS1v1_5)
                }
            case "ES256":
                let pub = try P256.Signing.PrivateKey(rawRepresentation: key.privateKey).publicKey
                return pub.isValidSignature(try P256.Signing.ECDSASignature(rawRepresentation: signature), for: input)
            case "ES384":
                let pub = try P384.Signing.PrivateKey(rawRepresentation: key.privateKey).publicKey
                return pub.isValidSignature(try P384.Signing.ECDSASignature(rawRepresentation: signature), for: input)
            case "ES512":
                let pub = try P521.Signing.PrivateKey(rawRepresentation: key.privateKey).publicKey
                return pub.isValidSignature(try P521.Signing.ECDSASignature(rawRepresentation: signature), for: input)
            case "EdDSA":
                let pub = try Curve25519.Signing.PrivateKey(rawRepresentation: key.privateKey).publicKey
                return pub.isValidSignature(signature, for: input)
            default:
                return false
            }
        } catch {
            return false
        }
    }

    /// A compact JWS: `base64url(header).base64url(payload).base64url(signature)` with header `{"alg","kid"}`.
    static func compactJWS(payload: JSONValue, key: OIDCSigningKey) throws -> String {
        let header = JSONValue.object(["alg": .string(key.algorithm), "kid": .string(key.kid)])
        let input = base64URL(Data(header.serialized().utf8)) + "." + base64URL(Data(payload.serialized().utf8))
        let signature = try sign(Data(input.utf8), with: key)
        return input + "." + base64URL(signature)
    }

    // MARK: JWK

    /// The public JWK of `key`, with members in the order OpenBao writes them.
    static func publicJWK(_ key: OIDCSigningKey) throws -> String {
        var out = "{\"use\":\"sig\""
        func member(_ name: String, _ value: String) {
            out += ","
            JSONValue.writeStringPublic(name, to: &out)
            out += ":"
            JSONValue.writeStringPublic(value, to: &out)
        }
        switch key.algorithm {
        case "RS256", "RS384", "RS512":
            let prims = try _RSA.Signing.PrivateKey(derRepresentation: key.privateKey).publicKey.getKeyPrimitives()
            member("kty", "RSA")
            member("kid", key.kid)
            member("alg", key.algorithm)
            member("n", base64URL(stripLeadingZeros(prims.modulus)))
            member("e", base64URL(stripLeadingZeros(prims.publicExponent)))
        case "ES256", "ES384", "ES512":
            let x963: Data
            let crv: String
            switch key.algorithm {
            case "ES256":
                x963 = try P256.Signing.PrivateKey(rawRepresentation: key.privateKey).publicKey.x963Representation
                crv = "P-256"
            case "ES384":
                x963 = try P384.Signing.PrivateKey(rawRepresentation: key.privateKey).publicKey.x963Representation
                crv = "P-384"
            default:
                x963 = try P521.Signing.PrivateKey(rawRepresentation: key.privateKey).publicKey.x963Representation
                crv = "P-521"
            }
            let coordinates = x963.dropFirst()
            let half = coordinates.count / 2
            member("kty", "EC")
            member("kid", key.kid)
            member("crv", crv)
            member("alg", key.algorithm)
            member("x", base64URL(Data(coordinates.prefix(half))))
            member("y", base64URL(Data(coordinates.suffix(half))))
        case "EdDSA":
            let pub = try Curve25519.Signing.PrivateKey(rawRepresentation: key.privateKey).publicKey
            member("kty", "OKP")
            member("kid", key.kid)
            member("crv", "Ed25519")
            member("alg", "EdDSA")
            member("x", base64URL(pub.rawRepresentation))
        default:
            throw Failure(description: "unknown signing algorithm \"\(key.algorithm)\"")
        }
        return out + "}"
    }

    static func stripLeadingZeros(_ d: Data) -> Data {
        let trimmed = d.drop(while: { $0 == 0 })
        return trimmed.isEmpty ? Data([0]) : Data(trimmed)
    }

    // MARK: base64url

    static func base64URL(_ data: Data) -> String {
        var s = data.base64EncodedString()
        s = s.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while s.hasSuffix("=") { s.removeLast() }
        return s
    }

    /// Unpadded base64url decoding (trailing `=` tolerated); on failure the Go-style offset of the bad input byte.
    static func decodeBase64URL(_ text: String) -> Result<Data, Failure> {
        var s = Array(text.utf8)
        while s.last == UInt8(ascii: "=") { s.removeLast() }
        var out = Data()
        out.reserveCapacity(s.count * 3 / 4)
        var acc: UInt32 = 0
        var bits = 0
        for (i, c) in s.enumerated() {
            let v: UInt32
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = UInt32(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = UInt32(c - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt32(c - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "-"): v = 62
            case UInt8(ascii: "_"): v = 63
            default: return .failure(Failure(description: "illegal base64 data at input byte \(i)"))
            }
            acc = (acc << 6) | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((acc >> UInt32(bits)) & 0xFF))
            }
        }
        if s.count % 4 == 1 { return .failure(Failure(description: "illegal base64 data at input byte \(s.count - 1)")) }
        return .success(out)
    }
}
