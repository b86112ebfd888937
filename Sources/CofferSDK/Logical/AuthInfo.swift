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
