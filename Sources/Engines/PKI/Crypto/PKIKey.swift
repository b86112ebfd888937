import CofferSDK
import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// A private key of the PKI engine: an issuer's (kept in storage) or a leaf's (returned once, never stored unless
/// asked). RSA (2048, 3072, 4096 or 8192 bits), EC (P-256, P-384, P-521) or Ed25519, all from swift-crypto.
struct PKIKey: Sendable {
    enum Kind: String, Sendable {
        case rsa, ec, ed25519
    }

    let kind: Kind
    let bits: Int
    let privateKey: Certificate.PrivateKey
    /// As OpenBao writes it: `RSA PRIVATE KEY` (PKCS#1), `EC PRIVATE KEY` (SEC 1) or `PRIVATE KEY` (PKCS#8, Ed25519).
    let pem: String

    var publicKey: Certificate.PublicKey { privateKey.publicKey }

    /// `key_type` and `key_bits` as a role or a generate request gives them (0 bits: the type's default).
    static func validate(type: String, bits: Int64) throws -> (Kind, Int) {
        switch type {
        case "rsa":
            let b = bits == 0 ? 2048 : Int(bits)
            if b < 2048 { throw LogicalError.invalidRequest("RSA keys < 2048 bits are unsafe and not supported: got \(bits)") }
            guard [2048, 3072, 4096, 8192].contains(b) else { throw LogicalError.invalidRequest("unsupported bit length for RSA key: \(bits)") }
            return (.rsa, b)
        case "ec":
            let b = bits == 0 ? 256 : Int(bits)
            guard [256, 384, 521].contains(b) else { throw LogicalError.invalidRequest("unsupported bit length for EC key: \(bits)") }
            return (.ec, b)
        case "ed25519":
            return (.ed25519, 0)
        case "any":
            throw LogicalError.invalidRequest("key_type 'any' cannot be used to generate a key")
        default:
            throw LogicalError.invalidRequest("unknown key type: \(type)")
        }
    }

    static func generate(_ kind: Kind, bits: Int) throws -> PKIKey {
        switch kind {
        case .rsa:
            let k = try _RSA.Signing.PrivateKey(keySize: .init(bitCount: bits))
            return PKIKey(kind: .rsa, bits: bits, privateKey: Certificate.PrivateKey(k), pem: k.pemRepresentation)
        case .ec:
            switch bits {
            case 384:
                let k = P384.Signing.PrivateKey()
                return PKIKey(kind: .ec, bits: 384, privateKey: Certificate.PrivateKey(k),
                              pem: try sec1PEM(private: k.rawRepresentation, public: k.publicKey.x963Representation, curve: [1, 3, 132, 0, 34]))
            case 521:
                let k = P521.Signing.PrivateKey()
                return PKIKey(kind: .ec, bits: 521, privateKey: Certificate.PrivateKey(k),
                              pem: try sec1PEM(private: k.rawRepresentation, public: k.publicKey.x963Representation, curve: [1, 3, 132, 0, 35]))
            default:
                let k = P256.Signing.PrivateKey()
                return PKIKey(kind: .ec, bits: 256, privateKey: Certificate.PrivateKey(k),
                              pem: try sec1PEM(private: k.rawRepresentation, public: k.publicKey.x963Representation, curve: [1, 2, 840, 10045, 3, 1, 7]))
            }
        case .ed25519:
            let k = Curve25519.Signing.PrivateKey()
            let cpk = Certificate.PrivateKey(k)
            return PKIKey(kind: .ed25519, bits: 0, privateKey: cpk, pem: try cpk.serializeAsPEM().pemString)
        }
    }

    /// A key from PEM (PKCS#1, SEC 1 or PKCS#8). The PEM kept is the one given.
    static func parse(pem: String) throws -> PKIKey {
        let key: Certificate.PrivateKey
        do {
            key = try Certificate.PrivateKey(pemEncoded: pem)
        } catch {
            throw LogicalError.invalidRequest("error parsing private key: unsupported or malformed key")
        }
        let pub = key.publicKey
        if let rsa = _RSA.Signing.PublicKey(pub) {
            return PKIKey(kind: .rsa, bits: rsa.keySizeInBits, privateKey: key, pem: pem)
        }
        if P256.Signing.PublicKey(pub) != nil { return PKIKey(kind: .ec, bits: 256, privateKey: key, pem: pem) }
        if P384.Signing.PublicKey(pub) != nil { return PKIKey(kind: .ec, bits: 384, privateKey: key, pem: pem) }
        if P521.Signing.PublicKey(pub) != nil { return PKIKey(kind: .ec, bits: 521, privateKey: key, pem: pem) }
        return PKIKey(kind: .ed25519, bits: 0, privateKey: key, pem: pem)
    }

    /// The kind and size of a public key (from a CSR or a certificate).
    static func describe(_ pub: Certificate.PublicKey) -> (Kind, Int) {
        if let rsa = _RSA.Signing.PublicKey(pub) { return (.rsa, rsa.keySizeInBits) }
        if P256.Signing.PublicKey(pub) != nil { return (.ec, 256) }
        if P384.Signing.PublicKey(pub) != nil { return (.ec, 384) }
        if P521.Signing.PublicKey(pub) != nil { return (.ec, 521) }
        return (.ed25519, 0)
    }

    /// The signature algorithm this key signs with: SHA-256 unless `signatureBits` (384, 512) says otherwise for
    /// RSA; the curve's hash for EC; Ed25519.
    func signatureAlgorithm(signatureBits: Int64 = 0) throws -> Certificate.SignatureAlgorithm {
        switch kind {
        case .rsa:
            switch signatureBits {
            case 0, 256: return .sha256WithRSAEncryption
            case 384: return .sha384WithRSAEncryption
            case 512: return .sha512WithRSAEncryption
            default: throw LogicalError.invalidRequest("unsupported signature_bits: \(signatureBits)")
            }
        case .ec:
            switch bits {
            case 384: return .ecdsaWithSHA384
            case 521: return .ecdsaWithSHA512
            default: return .ecdsaWithSHA256
            }
        case .ed25519:
            return .ed25519
        }
    }

    /// OpenBao's name of the algorithm a CRL or an OCSP response of this issuer is signed with.
    var revocationSignatureAlgorithmName: String {
        switch kind {
        case .rsa: return "SHA256WithRSA"
        case .ec: return bits == 384 ? "ECDSAWithSHA384" : bits == 521 ? "ECDSAWithSHA512" : "ECDSAWithSHA256"
        case .ed25519: return "PureEd25519"
        }
    }

    /// RFC 5915 `ECPrivateKey` (what OpenSSL writes as `EC PRIVATE KEY`).
    static func sec1PEM(private d: Data, public q: Data, curve: ASN1ObjectIdentifier) throws -> String {
        var s = DER.Serializer()
        try s.appendConstructedNode(identifier: .sequence) { c in
            try c.serialize(1)
            try c.serialize(ASN1OctetString(contentBytes: ArraySlice(d)))
            try c.serialize(curve, explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific)
            try c.serialize(ASN1BitString(bytes: ArraySlice(q)), explicitlyTaggedWithTagNumber: 1, tagClass: .contextSpecific)
        }
        return PEMDocument(type: "EC PRIVATE KEY", derBytes: s.serializedBytes).pemString
    }
}
