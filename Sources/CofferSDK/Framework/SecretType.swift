/// A kind of leased secret a framework engine hands out (OpenBao's `framework.Secret`): how it is renewed and revoked.
///
/// The engine returns `SecretInfo.lease(type: name, ...)` from a handler; when the lease is renewed or revoked the
/// core sends the engine a `.renew` or `.revoke` request carrying the stored ``SecretInfo``, and the router runs
/// this type's handler, whatever the request path.
public struct SecretType<Engine: Sendable>: Sendable {
    public let name: String
    /// Renews the secret at its source and returns a response whose `secret` has the granted `ttl` (and `maxTTL`).
    /// `nil`: the secret is not renewable (the core answers `lease is not renewable`).
    public let renew: (@Sendable (Engine, LogicalRequest) async throws -> LogicalResponse?)?
    /// Removes the secret at its source. Must succeed when it is already gone (it runs again after a failure or a
    /// restart).
    public let revoke: @Sendable (Engine, LogicalRequest) async throws -> Void
    /// Revokes many secrets of this type at once (one database transaction for many users), all or nothing: when it
    /// throws, the core revokes each of them with ``revoke`` instead, so every failure is reported as its own.
    public let revokeBatch: (@Sendable (Engine, [LogicalRequest]) async throws -> Void)?

    public init(
        _ name: String,
        renew: (@Sendable (Engine, LogicalRequest) async throws -> LogicalResponse?)? = nil,
        revoke: @escaping @Sendable (Engine, LogicalRequest) async throws -> Void,
        revokeBatch: (@Sendable (Engine, [LogicalRequest]) async throws -> Void)? = nil
    ) {
        self.name = name
        self.renew = renew
        self.revoke = revoke
        self.revokeBatch = revokeBatch
    }
}
