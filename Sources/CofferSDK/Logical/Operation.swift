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
    case renew
}
