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

/// Lease information attached to a secret.
public struct SecretInfo: Sendable {
    /// Explicit TTL in seconds; `nil` means the mount's default.
    public var ttl: Int64?
    public var renewable: Bool
    /// Whether the core registers a revocable lease (false for kv v1, which only reports a duration).
    public var leased: Bool

    public init(ttl: Int64? = nil, renewable: Bool = false, leased: Bool = false) {
        self.ttl = ttl
        self.renewable = renewable
        self.leased = leased
    }
}

/// The result of a login, turned into a token by the core.
public struct AuthInfo: Sendable {
    public var policies: [String]
    public var metadata: [String: String]
    public var displayName: String
    public var ttl: Int64?
    public var maxTTL: Int64?
    public var period: Int64?
    public var numUses: Int
    public var renewable: Bool

    public init(
        policies: [String] = [],
        metadata: [String: String] = [:],
        displayName: String = "",
        ttl: Int64? = nil,
        maxTTL: Int64? = nil,
        period: Int64? = nil,
        numUses: Int = 0,
        renewable: Bool = true
    ) {
        self.policies = policies
        self.metadata = metadata
        self.displayName = displayName
        self.ttl = ttl
        self.maxTTL = maxTTL
        self.period = period
        self.numUses = numUses
        self.renewable = renewable
    }
}
