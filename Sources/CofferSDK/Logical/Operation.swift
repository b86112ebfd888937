/// What a request asks of a path, as Vault's `logical.Operation`.
public enum Operation: String, Sendable, Hashable {
    case create
    case read
    case update
    case patch
    case delete
    case list
    case help
    /// Renewal of a token issued by an auth method: `request.path` is the login path, `request.auth` the auth
    /// being renewed. The engine returns a response whose `auth` carries the new `ttl`/`maxTTL`, or throws to refuse.
    ///
    /// With ``LogicalRequest/secret`` set it is the renewal of a leased secret the engine issued: the engine returns a
    /// response whose `secret` carries the new `ttl` (and `maxTTL`), or throws to refuse.
    case renew
    /// Revocation of a leased secret the engine issued (``LogicalRequest/secret`` holds it as stored): the engine
    /// removes it at its source (drops the database user). Runs again after a failure or a restart, so it must succeed
    /// when the secret is already gone.
    case revoke
}
