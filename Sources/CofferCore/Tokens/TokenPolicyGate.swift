import CofferSDK

/// Who asks for a new token. Every path that creates a token names its origin, and ``TokenPolicyGate`` decides from
/// it which policies the token may carry.
enum TokenOrigin: Sendable {
    /// `auth/token/create`, `create-orphan` and `create/:role`: a caller token, whether it holds `sudo` on the path,
    /// and the role's allowed policies (empty: none set, the caller's own policies bound the child).
    case tokenStore(caller: TokenEntry, sudo: Bool, roleAllowedPolicies: [String]?)
    /// A login through an auth method (userpass, AppRole, JWT/OIDC, ...).
    case authMethod(mountPath: String)
    /// The server itself: the initial root token, root-token generation.
    case system
}

/// The one place that decides which policies a new token may carry.
///
/// - Only a root token (or the server itself) creates a token holding `root`: a caller with `sudo` may not, nor may
///   an auth method, whatever its role says.
/// - Without `sudo`, and without a role that names its allowed policies, a child's policies are a subset of its
///   creator's (plus `default`).
/// - Internal policies (`response-wrapping`) are never assigned by a request.
enum TokenPolicyGate {
    static let nonAssignable: Set<String> = [Core.wrappingPolicy, "control-group"]

    static func authorize(_ policies: [String], origin: TokenOrigin) throws {
        switch origin {
        case .system:
            return
        case .authMethod:
            if policies.contains(Policy.rootName) { throw LogicalError.invalidRequest("auth methods cannot create root tokens") }
            try refuseNonAssignable(policies)
        case .tokenStore(let caller, let sudo, let roleAllowed):
            let boundByRole = !(roleAllowed ?? []).isEmpty
            if !caller.isRoot, !sudo, !boundByRole {
                let parent = Set(caller.policies).union(["default"])
                if policies.contains(where: { !parent.contains($0) }) {
                    throw LogicalError.invalidRequest("child policies must be subset of parent")
                }
            }
            try refuseNonAssignable(policies)
            if policies.contains(Policy.rootName), !caller.isRoot {
                throw LogicalError.invalidRequest("root tokens may not be created without parent token being root")
            }
        }
    }

    static func refuseNonAssignable(_ policies: [String]) throws {
        for p in policies where nonAssignable.contains(p) {
            throw LogicalError.invalidRequest("cannot assign policy \"\(p)\"")
        }
    }
}
