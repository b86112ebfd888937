import Crypto
import Foundation

/// The ECDSA signatures of the NIST curves, read in JWS (raw) or ASN.1 (DER) form: swift-crypto gives P-256, P-384
/// and P-521 the same initializers but no shared protocol.
protocol ECDSASignatureForms {
    init<D: DataProtocol>(rawRepresentation: D) throws
    init<D: DataProtocol>(derRepresentation: D) throws
}

extension ECDSASignatureForms {
    /// The signature from raw bytes (`jws`) or DER; nil when it does not parse.
    init?(_ bytes: [UInt8], jws: Bool) {
        guard let signature = try? (jws ? Self(rawRepresentation: bytes) : Self(derRepresentation: bytes)) else { return nil }
        self = signature
    }
}

extension P256.Signing.ECDSASignature: ECDSASignatureForms {}
extension P384.Signing.ECDSASignature: ECDSASignatureForms {}
extension P521.Signing.ECDSASignature: ECDSASignatureForms {}

extension PublicMaterial {
    /// For a NIST-curve key: whether `signature` (raw when `jws`, else DER) is a valid ECDSA signature of `digest`,
    /// false when it does not parse; nil for the other key types.
    func ecdsaValid(_ signature: [UInt8], jws: Bool, digest: PrehashedDigest) -> Bool? {
        switch self {
        case .p256(let key): return P256.Signing.ECDSASignature(signature, jws: jws).map { key.isValidSignature($0, for: digest) } ?? false
        case .p384(let key): return P384.Signing.ECDSASignature(signature, jws: jws).map { key.isValidSignature($0, for: digest) } ?? false
        case .p521(let key): return P521.Signing.ECDSASignature(signature, jws: jws).map { key.isValidSignature($0, for: digest) } ?? false
        default: return nil
        }
    }
}
