import CofferSDK

/// An ACME error (RFC 8555 §6.7): answered as a problem document (`application/problem+json`) with its status,
/// never as Vault's `{"errors":[…]}`. The detail is shown to the client, so it never holds a key or a secret.
struct ACMEProblem: Error, Sendable, Hashable, Codable {
    /// The last part of the `urn:ietf:params:acme:error:` type.
    var type: String
    var detail: String
    var status: Int

    init(_ type: String, _ detail: String, status: Int = 400) {
        self.type = type
        self.detail = detail
        self.status = status
    }

    static func malformed(_ d: String) -> Self { .init("malformed", d) }
    static func badNonce(_ d: String) -> Self { .init("badNonce", d) }
    static func badPublicKey(_ d: String) -> Self { .init("badPublicKey", d) }
    static func badSignatureAlgorithm(_ d: String) -> Self { .init("badSignatureAlgorithm", d) }
    /// 401, as OpenBao answers it.
    static func unauthorized(_ d: String) -> Self { .init("unauthorized", d, status: 401) }
    static func accountDoesNotExist(_ d: String) -> Self { .init("accountDoesNotExist", d) }
    static func rejectedIdentifier(_ d: String) -> Self { .init("rejectedIdentifier", d) }
    static func unsupportedIdentifier(_ d: String) -> Self { .init("unsupportedIdentifier", d) }
    static func orderNotReady(_ d: String) -> Self { .init("orderNotReady", d, status: 403) }
    static func badCSR(_ d: String) -> Self { .init("badCSR", d) }
    static func alreadyRevoked(_ d: String) -> Self { .init("alreadyRevoked", d) }
    static func badRevocationReason(_ d: String) -> Self { .init("badRevocationReason", d) }
    static func notFound(_ d: String) -> Self { .init("malformed", d, status: 404) }
    /// ACME switched off in `config/acme`: OpenBao answers 404.
    static func disabled() -> Self { .init("malformed", "ACME feature is disabled", status: 404) }
    static func serverInternal(_ d: String) -> Self { .init("serverInternal", d, status: 500) }
    static func connection(_ d: String) -> Self { .init("connection", d) }
    static func incorrectResponse(_ d: String) -> Self { .init("incorrectResponse", d) }

    var fullType: String { "urn:ietf:params:acme:error:" + type }

    /// The problem document.
    var document: JSONValue {
        ["type": .string(fullType), "detail": .string(detail), "status": .int(Int64(status))]
    }
}
