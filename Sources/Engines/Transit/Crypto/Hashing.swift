import Crypto
import CofferSDK
import Foundation

/// The hash algorithms transit names. SHA-224 and SHA3-224 are missing from swift-crypto's Swift API, so they come from
/// its BoringSSL and XKCP copies through ``BoringSSLShim``.
enum HashAlgorithm: String, Sendable {
    case sha1 = "sha1"
    case sha2_224 = "sha2-224"
    case sha2_256 = "sha2-256"
    case sha2_384 = "sha2-384"
    case sha2_512 = "sha2-512"
    case sha3_224 = "sha3-224"
    case sha3_256 = "sha3-256"
    case sha3_384 = "sha3-384"
    case sha3_512 = "sha3-512"
    case none = "none"

    var isAvailable: Bool { self != .none }

    /// The digest of `data`, or nil for an algorithm that is not available.
    func digest(_ data: some DataProtocol) -> [UInt8]? {
        switch self {
        case .sha1: return Array(Insecure.SHA1.hash(data: data))
        case .sha2_224: return BoringSSLShim.sha224(data)
        case .sha3_224: return BoringSSLShim.sha3_224(data)
        case .sha2_256: return Array(SHA256.hash(data: data))
        case .sha2_384: return Array(SHA384.hash(data: data))
        case .sha2_512: return Array(SHA512.hash(data: data))
        case .sha3_256: return Array(SHA3_256.hash(data: data))
        case .sha3_384: return Array(SHA3_384.hash(data: data))
        case .sha3_512: return Array(SHA3_512.hash(data: data))
        case .none: return nil
        }
    }

    /// HMAC of `data` under `key`, or nil for an algorithm that is not available.
    func hmac(_ data: some DataProtocol, key: SymmetricKey) -> [UInt8]? {
        switch self {
        case .sha1: return Array(HMAC<Insecure.SHA1>.authenticationCode(for: data, using: key))
        case .sha2_224: return BoringSSLShim.hmacSHA224(key: key, data: data)
        case .sha3_224: return Array(HMAC<SHA3_224Hash>.authenticationCode(for: data, using: key))
        case .sha2_256: return Array(HMAC<SHA256>.authenticationCode(for: data, using: key))
        case .sha2_384: return Array(HMAC<SHA384>.authenticationCode(for: data, using: key))
        case .sha2_512: return Array(HMAC<SHA512>.authenticationCode(for: data, using: key))
        case .sha3_256: return Array(HMAC<SHA3_256>.authenticationCode(for: data, using: key))
        case .sha3_384: return Array(HMAC<SHA3_384>.authenticationCode(for: data, using: key))
        case .sha3_512: return Array(HMAC<SHA3_512>.authenticationCode(for: data, using: key))
        case .none: return nil
        }
    }

    /// Constant-time check of an HMAC.
    func verifyHMAC(_ mac: [UInt8], data: some DataProtocol, key: SymmetricKey) -> Bool {
        switch self {
        case .sha1: return HMAC<Insecure.SHA1>.isValidAuthenticationCode(mac, authenticating: data, using: key)
        case .sha2_224: return BoringSSLShim.constantTimeEqual(BoringSSLShim.hmacSHA224(key: key, data: data), mac)
        case .sha3_224: return HMAC<SHA3_224Hash>.isValidAuthenticationCode(mac, authenticating: data, using: key)
        case .sha2_256: return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: data, using: key)
        case .sha2_384: return HMAC<SHA384>.isValidAuthenticationCode(mac, authenticating: data, using: key)
        case .sha2_512: return HMAC<SHA512>.isValidAuthenticationCode(mac, authenticating: data, using: key)
        case .sha3_256: return HMAC<SHA3_256>.isValidAuthenticationCode(mac, authenticating: data, using: key)
        case .sha3_384: return HMAC<SHA3_384>.isValidAuthenticationCode(mac, authenticating: data, using: key)
        case .sha3_512: return HMAC<SHA3_512>.isValidAuthenticationCode(mac, authenticating: data, using: key)
        case .none: return false
        }
    }
}

/// A digest computed elsewhere (`prehashed=true`), handed to ECDSA signing as is.
struct PrehashedDigest: Digest {
    static var byteCount: Int { 64 }
    let bytes: [UInt8]

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes(body)
    }
    func makeIterator() -> IndexingIterator<[UInt8]> { bytes.makeIterator() }
    var description: String { "PrehashedDigest(\(bytes.count) bytes)" }
}
