/// What an engine answers. `nil` data and no warnings render as HTTP 204.
public struct LogicalResponse: Sendable {
    public var data: [String: JSONValue]?
    public var warnings: [String]
    /// Set when the response is a secret with a lease duration (kv v1 reports one without creating a lease).
    public var secret: SecretInfo?
    /// An authentication result (login, token create): the core turns it into a token.
    public var auth: AuthInfo?
    /// Overrides the HTTP status, e.g. 404 for a kv v2 read of a deleted version that still returns metadata.
    public var httpStatus: Int?

    public init(
        data: [String: JSONValue]? = nil,
        warnings: [String] = [],
        secret: SecretInfo? = nil,
        auth: AuthInfo? = nil,
        httpStatus: Int? = nil
    ) {
        self.data = data
        self.warnings = warnings
        self.secret = secret
        self.auth = auth
        self.httpStatus = httpStatus
    }
}
