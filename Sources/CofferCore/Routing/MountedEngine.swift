import CofferSDK

/// A mounted engine instance with its table entry and storage view.
struct MountedEngine: Sendable {
    var entry: MountEntry
    var engine: any SecretsEngine
    var storage: any LogicalStorage
    var isAuth: Bool
    /// Full routing prefix, e.g. `secret/` or `auth/userpass/`.
    var routePath: String { isAuth ? "auth/" + entry.path : entry.path }
}
