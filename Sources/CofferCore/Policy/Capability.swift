import CofferSDK

/// A capability a policy grants on a path, as written in `capabilities = [...]`.
public enum Capability: String, Sendable, Hashable, CaseIterable, Comparable {
    case create
    case read
    case update
    case patch
    case delete
    case list
    case sudo
    case deny

    /// Orders by name, the order OpenBao reports capabilities in (`sys/capabilities`).
    public static func < (lhs: Capability, rhs: Capability) -> Bool { lhs.rawValue < rhs.rawValue }
}
