import Logging

/// Paths of an engine that need special handling by the core.
public struct SpecialPaths: Sendable {
    /// Reachable without a token (login paths).
    public var unauthenticated: [String]
    /// Need `sudo` in addition to the operation's capability. A trailing `*` is a prefix match.
    public var root: [String]

    public init(unauthenticated: [String] = [], root: [String] = []) {
        self.unauthenticated = unauthenticated
        self.root = root
    }
}
