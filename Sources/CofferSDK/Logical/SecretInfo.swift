import Foundation

/// Lease information attached to a secret.
///
/// An engine sets it on a response to hand out a secret the core leases (`leased`): the core registers the lease
/// (`<mount path>/<request path>/<random id>`), stores `internalData` with it, and later sends the engine a `.renew`
/// or `.revoke` request whose ``LogicalRequest/secret`` is this value as stored, with the lease's times filled in.
/// A framework engine routes those by the ``secretType`` it declared (``SecretType``).
public struct SecretInfo: Sendable {
    /// Explicit TTL in seconds; `nil` means the mount's default.
    public var ttl: Int64?
    public var renewable: Bool
    /// Whether the core registers a revocable lease (false for kv v1, which only reports a duration).
    public var leased: Bool
    /// The longest this secret may live from its issue, in seconds (a role's `max_ttl`); `nil` or 0: the mount's.
    public var maxTTL: Int64?
    /// What the engine needs to renew or revoke the secret (a database user name, the role): stored with the lease,
    /// never returned to a client. Holds ``SecretType/key`` with the secret's type.
    public var internalData: [String: JSONValue]

    // Set by the core on `.renew` and `.revoke` requests.

    /// The lease's id.
    public var leaseID: String?
    /// When the lease was issued.
    public var issueTime: Date?
    /// When the lease was last renewed, if it was.
    public var lastRenewalTime: Date?
    /// On `.renew`: the TTL the client asked for (seconds, 0 for the engine's or mount's default).
    public var increment: Int64?

    public init(
        ttl: Int64? = nil, renewable: Bool = false, leased: Bool = false, maxTTL: Int64? = nil,
        internalData: [String: JSONValue] = [:]
    ) {
        self.ttl = ttl
        self.renewable = renewable
        self.leased = leased
        self.maxTTL = maxTTL
        self.internalData = internalData
    }

    /// A leased secret of a declared type: `internalData` gets the type under ``SecretType/key``.
    public static func lease(
        type: String, ttl: Int64? = nil, maxTTL: Int64? = nil, renewable: Bool = true, internalData: [String: JSONValue] = [:]
    ) -> SecretInfo {
        var data = internalData
        data[SecretTypeKey.name] = .string(type)
        return SecretInfo(ttl: ttl, renewable: renewable, leased: true, maxTTL: maxTTL, internalData: data)
    }

    /// The type the engine declared, from `internalData`.
    public var secretType: String? { internalData[SecretTypeKey.name]?.stringValue }
}

/// The internal-data key that names a leased secret's type (as OpenBao's `secret_type`).
public enum SecretTypeKey {
    public static let name = "secret_type"
}
