import CofferSDK
import Foundation

/// The outcome of checking one request against an ``ACL``, in the shape of a verifier result:
/// whether it is allowed and, if not, why.
public struct ACLResult: Sendable, Hashable {
    /// Why a request was refused.
    public enum DenialReason: Sendable, Hashable {
        /// No policy path matches the request path.
        case noMatchingRule
        /// The matching rule holds the `deny` capability.
        case explicitDeny
        /// The matching rule lacks the capability the operation needs.
        case missingCapability(CofferSDK.Operation)
        /// A `required_parameters` entry is absent from the request.
        case missingRequiredParameter(String)
        /// A parameter, or its value, is listed in `denied_parameters`.
        case deniedParameter(String)
        /// A parameter, or its value, is not listed in `allowed_parameters`.
        case parameterNotAllowed(String)
    }

    public var allowed: Bool
    /// The token holds the `root` policy.
    public var isRoot = false
    /// The matching rule grants `sudo` (needed for root-protected paths); always true for root.
    public var sudoGranted = false
    /// The capabilities of the rule that decided the request (empty when none matched).
    public var capabilities: Set<Capability> = []
    /// The policy path pattern that decided the request, e.g. `secret/+/config` or `secret/*`.
    public var matchedPath: String?
    /// Seconds; the response must be wrapped with at least this TTL when set.
    public var minWrappingTTL: Int64?
    /// Seconds; the response must be wrapped with at most this TTL when set.
    public var maxWrappingTTL: Int64?
    public var denialReason: DenialReason?
}
