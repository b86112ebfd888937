import CofferSDK
import Foundation

/// Storage layout of the ACME server of a PKI mount (inside the mount's barrier view):
/// `config/acme`, `config/cluster`, `acme/accounts/<id>`, `acme/account-keys/<thumbprint>` (the account id of a key),
/// `acme/account-orders/<account id>/<order id>`, `acme/orders/<id>`, `acme/authorizations/<id>`. Nonces are kept in
/// memory only (``ACMENonces``).
enum ACMEStore {
    static let config = "config/acme"
    static let cluster = "config/cluster"
    static func account(_ id: String) -> String { "acme/accounts/" + id }
    static func accountKey(_ thumbprint: String) -> String { "acme/account-keys/" + thumbprint }
    static func accountOrders(_ account: String) -> String { "acme/account-orders/" + account + "/" }
    static func order(_ id: String) -> String { "acme/orders/" + id }
    static func authorization(_ id: String) -> String { "acme/authorizations/" + id }
}

/// `config/acme`, with OpenBao's defaults.
struct ACMEConfig: Codable, Sendable {
    var enabled = false
    var allowedIssuers = ["*"]
    var allowedRoles = ["*"]
    var allowRoleExtKeyUsage = false
    var defaultDirectoryPolicy = "sign-verbatim"
    var dnsResolver = ""
    var eabPolicy = "not-required"
    /// Seconds; the longest certificate ACME issues.
    var maxTTL: Int64 = 90 * 24 * 3600
}

/// `config/cluster`: the URL this mount is reached at (`path`, e.g. `https://bao.example:8200/v1/pki`), from which
/// the ACME directory's URLs are built and against which each JWS `url` is checked, as OpenBao does.
struct ClusterConfig: Codable, Sendable {
    var path = ""
    var aiaPath = ""
}

/// An ACME account: its key (as the JWK it was created with) and the directory it belongs to.
struct ACMEAccount: Codable, Sendable {
    var id: String
    var status: String  // valid, deactivated, revoked
    var jwk: [String: JSONValue]
    var thumbprint: String
    var contact: [String]
    var createdAt: Date
    /// The directory prefix below the mount (`acme/`, `roles/web/acme/`…).
    var directory: String

    func json() -> JSONValue {
        ["status": .string(status), "contact": .array(contact.map { .string($0) }), "orders": .string("")]
    }
}

/// One identifier of an order (RFC 8555 §9.7.7): `dns` or `ip`.
struct ACMEIdentifier: Codable, Sendable, Hashable {
    var type: String
    var value: String

    var json: JSONValue { ["type": .string(type), "value": .string(value)] }
}

/// A challenge of an authorization; only `http-01` is offered.
struct ACMEChallenge: Codable, Sendable {
    var type: String
    var token: String
    var status: String  // pending, processing, valid, invalid
    var validated: Date?
    var error: ACMEProblem?
    /// Validation attempts made, and when the last one was.
    var attempts = 0
    var lastAttempt: Date?
}

/// An authorization of one identifier for one account.
struct ACMEAuthorization: Codable, Sendable {
    var id: String
    var accountID: String
    var orderID: String
    var identifier: ACMEIdentifier
    var status: String  // pending, valid, invalid, deactivated, expired, revoked
    var expires: Date
    var challenges: [ACMEChallenge]
}

/// An order: identifiers, their authorizations, and the certificate once finalized.
struct ACMEOrder: Codable, Sendable {
    var id: String
    var accountID: String
    var status: String  // pending, ready, processing, valid, invalid
    var expires: Date
    var identifiers: [ACMEIdentifier]
    var notBefore: String?
    var notAfter: String?
    var authorizationIDs: [String]
    var directory: String
    var error: ACMEProblem?
    /// The certificate's serial and its PEM chain (leaf first), once issued.
    var certificateSerial: String?
    var certificateChain: String?
}

/// RFC 3339 times as ACME writes them.
enum ACMETime {
    static func format(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: d)
    }
}
