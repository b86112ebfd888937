import CofferSDK

/// Who asks for a new token. Every path that creates a token names its origin, and ``TokenPolicyGate`` decides from
/// it which policies the token may carry.
enum TokenOrigin: Sendable {
    /// `auth/token/create`, `create-orphan` and `create/:role`: a caller token, whether it holds `sudo` on the path,
    /// and whether a token role bounds the policies instead of the caller's own (it names allowed or disallowed
    /// policies, checked by the caller before).
    case tokenStore(caller: TokenEntry, sudo: Bool, boundByRole: Bool)
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
/// - A batch token never holds `root`: it cannot be revoked, so a root batch token could never be taken back.
enum TokenPolicyGate {
    static let nonAssignable: Set<String> = [Core.wrappingPolicy, "control-group"]

    static func authorize(_ policies: [String], origin: TokenOrigin, type: TokenType) throws {
        switch origin {
        case .system:
            return
        case .authMethod:
            if policies.contains(Policy.rootName) { throw LogicalError.invalidRequest("auth methods cannot create root tokens") }
            try refuseNonAssignable(policies)
        case .tokenStore(let caller, let sudo, let boundByRole):
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
        if type == .batch, policies.contains(Policy.rootName) {
            throw LogicalError.invalidRequest("batch tokens cannot be root tokens")
        }
    }

    /// A set holding `root` is `root` alone (Vault's policy sanitizing): root grants everything, and no other policy
    /// may ride along with it.
    static func sanitize(_ policies: [String]) -> [String] {
        policies.contains(Policy.rootName) ? [Policy.rootName] : policies
    }

    static func refuseNonAssignable(_ policies: [String]) throws {
        for p in policies where nonAssignable.contains(p) {
            throw LogicalError.invalidRequest("cannot assign policy \"\(p)\"")
        }
    }
}
