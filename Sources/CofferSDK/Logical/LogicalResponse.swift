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
///
/// Auth methods fill it from their role or user (`token_policies`, `token_ttl`, `token_max_ttl`, `token_period`,
/// `token_num_uses`, `token_bound_cidrs`, `token_no_default_policy`, `token_type`). The core clamps the TTLs to the
/// mount and system maximums, creates the token, the lease, and the identity entity/alias from `alias`.
public struct AuthInfo: Sendable {
    public var policies: [String]
    /// Token metadata, shown as `auth.metadata` and `meta` on lookup.
    public var metadata: [String: String]
    /// Appended to the mount path to make the token's display name (`userpass-alice`).
    public var displayName: String
    public var ttl: Int64?
    /// Explicit max TTL of the token (`token_explicit_max_ttl`) or the role's `token_max_ttl`.
    public var maxTTL: Int64?
    public var period: Int64?
    public var numUses: Int
    public var renewable: Bool
    /// The identity alias for this login: its name is unique per mount (a username, a role id, a JWT claim).
    public var alias: AuthAlias?
    /// CIDR blocks the token may be used from (`token_bound_cidrs`).
    public var boundCIDRs: [String]
    public var noDefaultPolicy: Bool
    /// `service`, `batch` or `default` (service).
    public var tokenType: String
    /// Opaque values the engine wants back when the token is renewed (e.g. role name, secret-id accessor).
    public var internalData: [String: String]

    public init(
        policies: [String] = [],
        metadata: [String: String] = [:],
        displayName: String = "",
        ttl: Int64? = nil,
        maxTTL: Int64? = nil,
        period: Int64? = nil,
        numUses: Int = 0,
        renewable: Bool = true,
        alias: AuthAlias? = nil,
        boundCIDRs: [String] = [],
        noDefaultPolicy: Bool = false,
        tokenType: String = "default",
        internalData: [String: String] = [:]
    ) {
        self.policies = policies
        self.metadata = metadata
        self.displayName = displayName
        self.ttl = ttl
        self.maxTTL = maxTTL
        self.period = period
        self.numUses = numUses
        self.renewable = renewable
        self.alias = alias
        self.boundCIDRs = boundCIDRs
        self.noDefaultPolicy = noDefaultPolicy
        self.tokenType = tokenType
        self.internalData = internalData
    }
}

/// The identity alias a login maps to (entity alias name and its metadata).
public struct AuthAlias: Sendable, Equatable {
    public var name: String
    public var metadata: [String: String]

    public init(name: String, metadata: [String: String] = [:]) {
        self.name = name
        self.metadata = metadata
    }
}
