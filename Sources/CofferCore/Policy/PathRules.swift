import CofferSDK

/// The rules of one `path` block.
public struct PathRules: Sendable, Hashable {
    /// The path pattern as written: exact (`secret/foo`), prefix glob (`secret/*`) or with `+` segments (`secret/+/bar`).
    public var path: String
    /// Capabilities as written, after mapping the legacy `policy` field. If it contains ``Capability/deny`` the rule denies
    /// everything regardless of the others.
    public var capabilities: Set<Capability>
    /// Parameter name (lowercased) → allowed values. An empty list allows any value; `"*"` names any parameter.
    public var allowedParameters: [String: [JSONValue]] = [:]
    /// Parameter name (lowercased) → denied values. An empty list denies any value; `"*"` denies every parameter.
    public var deniedParameters: [String: [JSONValue]] = [:]
    /// Parameters that must be present.
    public var requiredParameters: [String] = []
    /// Seconds; nil when not set.
    public var minWrappingTTL: Int64?
    /// Seconds; nil when not set.
    public var maxWrappingTTL: Int64?

    /// Whether the path holds an identity template such as `{{identity.entity.id}}`.
    public var isTemplated: Bool { path.contains("{{") && path.contains("}}") }
}
