/// What a request asks of a path, as Vault's `logical.Operation`.
public enum Operation: String, Sendable, Hashable {
    case create
    case read
    case update
    case patch
    case delete
    case list
    case help
}
