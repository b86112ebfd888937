import CofferSDK
import Foundation

/// `identity/oidc/config`.
struct OIDCConfig: Codable, Sendable, Equatable {
    /// As configured; "" means "use the server's API address".
    var issuer: String = ""
}

/// One asymmetric signing key of a named key: its key ID, algorithm and private material.
struct OIDCSigningKey: Codable, Sendable, Equatable {
    var kid: String
    var algorithm: String
    /// DER (PKCS#1) for RSA, raw scalar for ECDSA and Ed25519.
    var privateKey: Data
    /// When the public half stops being published; nil while the key is current or next.
    var expireAt: Date?
}

/// A named key (`identity/oidc/key/:name`): settings, the current and next signing keys, and rotated-out keys still
/// published for verification.
///
/// Key material is generated on first need, so creating a key (or the built-in `default`) costs nothing until a role
/// signs with it or publishes it.
struct OIDCNamedKey: Codable, Sendable, Equatable {
    var name: String
    var algorithm: String
    var rotationPeriod: Int64
    var verificationTTL: Int64
    var allowedClientIDs: [String]
    var current: OIDCSigningKey?
    var next: OIDCSigningKey?
    var retired: [OIDCSigningKey] = []
    /// When the next automatic rotation is due.
    var nextRotation: Date

    /// Whether tokens for a role with this client ID may be signed.
    func allows(clientID: String) -> Bool {
        allowedClientIDs.contains("*") || allowedClientIDs.contains(clientID)
    }

    /// Every key whose public half is published: current, next, then unexpired rotated-out keys.
    func publishedKeys(now: Date) -> [OIDCSigningKey] {
        var out: [OIDCSigningKey] = []
        if let current { out.append(current) }
        if let next { out.append(next) }
        out.append(contentsOf: retired.filter { ($0.expireAt ?? .distantFuture) > now })
        return out
    }
}

/// A role (`identity/oidc/role/:name`).
struct OIDCRole: Codable, Sendable, Equatable {
    var name: String
    var key: String
    /// The decoded template ("" for none).
    var template: String
    var clientID: String
    var ttl: Int64
}

/// Storage layout of the OIDC token backend, beside the entity and group records.
enum OIDCLayout {
    static let configKey = "oidc/config"
    static let keyPrefix = "oidc/key/"
    static let rolePrefix = "oidc/role/"

    static func keyKey(_ name: String) -> String { keyPrefix + name }
    static func roleKey(_ name: String) -> String { rolePrefix + name }

    static let defaultKeyName = "default"
    static let defaultPeriod: Int64 = 86400
}

/// The algorithms OpenBao signs with, in the order it advertises them.
enum OIDCAlgorithm {
    static let all = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "EdDSA"]
}

/// Random values in OpenBao's shapes.
enum OIDCIDs {
    static let base62 = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    /// A 26-character base62 client ID.
    static func clientID() -> String {
        var rng = SystemRandomNumberGenerator()
        return String((0..<26).map { _ in base62[Int.random(in: 0..<base62.count, using: &rng)] })
    }
}
