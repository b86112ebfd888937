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
