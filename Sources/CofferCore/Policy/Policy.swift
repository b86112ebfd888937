public import CofferSDK

/// A named ACL policy: the rules of every `path "…" { … }` block, in the order written.
public struct Policy: Sendable, Hashable {
    public var name: String
    public var paths: [PathRules]
    /// The source text the policy was parsed from, as stored and returned by `sys/policies/acl/:name`.
    public var text: String

    public init(name: String, paths: [PathRules], text: String = "") {
        self.name = name
        self.paths = paths
        self.text = text
    }

    /// The built-in `root` policy name. A token holding it may do everything; it has no rules of its own.
    public static let rootName = "root"
}
