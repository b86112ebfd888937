public import CofferSDK
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
    public var isRoot: Bool
    /// The matching rule grants `sudo` (needed for root-protected paths); always true for root.
    public var sudoGranted: Bool
    /// The capabilities of the rule that decided the request (empty when none matched).
    public var capabilities: Set<Capability>
    /// The policy path pattern that decided the request, e.g. `secret/+/config` or `secret/*`.
    public var matchedPath: String?
    /// Seconds; the response must be wrapped with at least this TTL when set.
    public var minWrappingTTL: Int64?
    /// Seconds; the response must be wrapped with at most this TTL when set.
    public var maxWrappingTTL: Int64?
    public var denialReason: DenialReason?

    public init(
        allowed: Bool,
        isRoot: Bool = false,
        sudoGranted: Bool = false,
        capabilities: Set<Capability> = [],
        matchedPath: String? = nil,
        minWrappingTTL: Int64? = nil,
        maxWrappingTTL: Int64? = nil,
        denialReason: DenialReason? = nil
    ) {
        self.allowed = allowed
        self.isRoot = isRoot
        self.sudoGranted = sudoGranted
        self.capabilities = capabilities
        self.matchedPath = matchedPath
        self.minWrappingTTL = minWrappingTTL
        self.maxWrappingTTL = maxWrappingTTL
        self.denialReason = denialReason
    }
}

/// The compiled form of a token's policies. Build it once per policy set and evaluate it for every request.
///
/// Matching follows OpenBao:
/// - An exact path rule wins over every wildcard rule (for `list`, `a/` also finds an exact rule `a`).
/// - Otherwise the candidates are the longest matching `*` prefix rule and every matching `+` segment rule, and the one
///   with the highest priority decides: the later its first wildcard, the better; then a rule not ending in `*`; then
///   fewer `+` segments; then the longer pattern; then the lexically greater pattern.
/// - Rules with the same pattern in several policies (or repeated in one) merge: capabilities add up, unless either
///   holds `deny`, which then stands alone.
///
/// ```swift
/// let acl = ACL(policies: [try PolicyParser.parse(name: "dev", text: devPolicy)])
/// let result = acl.allowOperation(path: "secret/data/app", operation: .read, data: [:])
/// ```
public struct ACL: Sendable {
    /// The token holds the `root` policy and may do everything.
    public let isRoot: Bool
    private let exactRules: [String: Permissions]
    private let prefixRules: [Permissions]
    private let prefixTrie: PrefixTrie
    /// Sorted from highest to lowest priority.
    private let segmentRules: [SegmentRule]

    /// Compiles policies into an ACL.
    ///
    /// - Parameters:
    ///   - policies: The token's policies. A policy named `root` makes the ACL a root ACL.
    ///   - templateValues: Values for identity templates in policy paths, keyed without braces
    ///     (`"identity.entity.id"`). A templated rule whose template cannot be filled is skipped, as OpenBao does.
    public init(policies: [Policy], templateValues: [String: String] = [:]) {
        var isRoot = false
        var exact: [String: Permissions] = [:]
        var prefix: [String: Permissions] = [:]
        var segment: [String: Permissions] = [:]
        for policy in policies {
            if policy.name == Policy.rootName {
                isRoot = true
                continue
            }
            for rule in policy.paths {
                guard let path = Self.resolveTemplates(rule.path, values: templateValues) else { continue }
                let permissions = Permissions(rule, pattern: path)
                if path.contains("+") {
                    segment[path, default: .empty(path)].merge(permissions)
                } else if path.hasSuffix("*") {
                    prefix[String(path.dropLast()), default: .empty(path)].merge(permissions)
                } else {
                    exact[path, default: .empty(path)].merge(permissions)
                }
            }
        }
        self.isRoot = isRoot
        self.exactRules = exact
        var trie = PrefixTrie()
        var prefixList: [Permissions] = []
        for (key, permissions) in prefix.sorted(by: { $0.key < $1.key }) {
            trie.insert(key, value: prefixList.count)
            prefixList.append(permissions)
        }
        self.prefixTrie = trie
        self.prefixRules = prefixList
        self.segmentRules = segment.map { SegmentRule(pattern: $0.key, permissions: $0.value) }
            .sorted { PatternPriority($0.pattern) > PatternPriority($1.pattern) }
    }

    /// The capabilities the ACL grants on a path, as `sys/capabilities` computes them (list-style lookup, so `a/` also
    /// finds an exact rule `a`). A denied or unmatched path gives `[.deny]`; root gives every capability but `deny`.
    public func capabilities(path: String) -> Set<Capability> {
        if isRoot { return Set(Capability.allCases).subtracting([.deny]) }
        guard let permissions = matchingPermissions(path: Self.normalize(path), operation: .list) else { return [.deny] }
        if permissions.capabilities.contains(.deny) || permissions.capabilities.isEmpty { return [.deny] }
        return permissions.capabilities
    }

    /// The capability names `sys/capabilities` returns for a path: `["root"]`, `["deny"]`, or the granted names sorted.
    public func capabilityNames(path: String) -> [String] {
        if isRoot { return ["root"] }
        return capabilities(path: path).sorted().map(\.rawValue)
    }

    /// Decides whether a request is allowed.
    ///
    /// - Parameters:
    ///   - path: The request path without `/v1/` (a leading `/` is ignored).
    ///   - operation: The logical operation; `help` needs `read`.
    ///   - data: The request parameters, checked against `allowed_parameters`, `denied_parameters` and
    ///     `required_parameters` for `read`, `create`, `update` and `patch`.
    public func allowOperation(path: String, operation: CofferSDK.Operation, data: [String: JSONValue]) -> ACLResult {
        if isRoot { return ACLResult(allowed: true, isRoot: true, sudoGranted: true) }
        guard let permissions = matchingPermissions(path: Self.normalize(path), operation: operation) else {
            return ACLResult(allowed: false, denialReason: .noMatchingRule)
        }
        var result = ACLResult(
            allowed: false,
            capabilities: permissions.capabilities,
            matchedPath: permissions.pattern
        )
        if permissions.capabilities.contains(.deny) {
            result.denialReason = .explicitDeny
            return result
        }
        result.sudoGranted = permissions.capabilities.contains(.sudo)
        let needed: Capability
        switch operation {
        case .create: needed = .create
        case .read, .help: needed = .read
        case .update, .renew: needed = .update
        case .patch: needed = .patch
        case .delete: needed = .delete
        case .list: needed = .list
        }
        guard permissions.capabilities.contains(needed) else {
            result.denialReason = .missingCapability(operation)
            return result
        }
        result.minWrappingTTL = permissions.minWrappingTTL
        result.maxWrappingTTL = permissions.maxWrappingTTL
        switch operation {
        case .read, .create, .update, .patch:
            if let reason = permissions.checkParameters(data) {
                result.denialReason = reason
                return result
            }
        default:
            break
        }
        result.allowed = true
        return result
    }

    // MARK: - Matching

    private static func normalize(_ path: String) -> String {
        var p = Substring(path)
        while p.hasPrefix("/") { p = p.dropFirst() }
        return String(p)
    }

    private func matchingPermissions(path: String, operation: CofferSDK.Operation) -> Permissions? {
        if let p = exactRules[path] { return p }
        if operation == .list, path.hasSuffix("/"), let p = exactRules[String(path.dropLast())] { return p }
        let segmentPath = path.split(separator: "/", omittingEmptySubsequences: false)
        let segmentMatch = segmentRules.first { $0.matches(segmentPath) }
        let prefixMatch = prefixTrie.longestPrefix(of: path).map { prefixRules[$0] }
        switch (segmentMatch, prefixMatch) {
        case (nil, nil): return nil
        case (let s?, nil): return s.permissions
        case (nil, let p?): return p
        case (let s?, let p?):
            return PatternPriority(s.pattern) > PatternPriority(p.pattern) ? s.permissions : p
        }
    }

    /// Whether an identity value may be put into a policy path. Entity and alias metadata and mapped claims are
    /// data, not patterns: a value holding a glob (`*`, `+`), braces, an empty, `.` or `..` segment, or a control
    /// character would widen or bend the rule, so the rule is skipped instead (as a template that cannot be filled).
    static func isSafeTemplateValue(_ value: String) -> Bool {
        guard !value.isEmpty, RequestPath.isCanonical(value), !value.hasPrefix("/"), !value.hasSuffix("/") else { return false }
        return !value.utf8.contains { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "{") || $0 == UInt8(ascii: "}") }
    }

    private static func resolveTemplates(_ path: String, values: [String: String]) -> String? {
        guard path.contains("{{") else { return path }
        var out = ""
        var rest = Substring(path)
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else { return nil }
            let key = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            guard let value = values[key], isSafeTemplateValue(value) else { return nil }
            out += value
            rest = rest[close.upperBound...]
        }
        return out + rest
    }
}

/// The merged rules of one pattern.
struct Permissions: Sendable {
    var pattern: String
    var capabilities: Set<Capability>
    var allowedParameters: [String: [JSONValue]]
    var deniedParameters: [String: [JSONValue]]
    var requiredParameters: [String]
    var minWrappingTTL: Int64?
    var maxWrappingTTL: Int64?
    private var isEmpty: Bool

    static func empty(_ pattern: String) -> Permissions {
        var p = Permissions(PathRules(path: pattern, capabilities: []), pattern: pattern)
        p.isEmpty = true
        return p
    }

    init(_ rules: PathRules, pattern: String) {
        self.pattern = pattern
        self.capabilities = rules.capabilities.contains(.deny) ? [.deny] : rules.capabilities
        self.allowedParameters = rules.allowedParameters
        self.deniedParameters = rules.deniedParameters
        self.requiredParameters = rules.requiredParameters
        self.minWrappingTTL = rules.minWrappingTTL.flatMap { $0 > 0 ? $0 : nil }
        self.maxWrappingTTL = rules.maxWrappingTTL.flatMap { $0 > 0 ? $0 : nil }
        self.isEmpty = false
    }

    /// Merges another rule with the same pattern into this one.
    mutating func merge(_ other: Permissions) {
        if isEmpty {
            self = other
            return
        }
        if capabilities.contains(.deny) { return }
        if other.capabilities.contains(.deny) {
            self = other
            return
        }
        capabilities.formUnion(other.capabilities)
        if let m = other.minWrappingTTL, minWrappingTTL.map({ m < $0 }) ?? true { minWrappingTTL = m }
        if let m = other.maxWrappingTTL, maxWrappingTTL.map({ m > $0 }) ?? true { maxWrappingTTL = m }
        Self.mergeParameters(&allowedParameters, other.allowedParameters)
        Self.mergeParameters(&deniedParameters, other.deniedParameters)
        for name in other.requiredParameters where !requiredParameters.contains(name) {
            requiredParameters.append(name)
        }
    }

    /// An empty value list (any value) absorbs a non-empty one; otherwise the value lists are concatenated.
    private static func mergeParameters(_ existing: inout [String: [JSONValue]], _ other: [String: [JSONValue]]) {
        for (name, values) in other {
            if let current = existing[name] {
                existing[name] = values.isEmpty || current.isEmpty ? [] : values + current
            } else {
                existing[name] = values
            }
        }
    }

    /// Returns why the parameters are refused, or nil when they pass.
    func checkParameters(_ data: [String: JSONValue]) -> ACLResult.DenialReason? {
        for name in requiredParameters where data[name.lowercased()] == nil {
            return .missingRequiredParameter(name)
        }
        if data.isEmpty { return nil }
        if !deniedParameters.isEmpty {
            if deniedParameters["*"] != nil { return .deniedParameter("*") }
            for (name, value) in data.sorted(by: { $0.key < $1.key }) {
                if let values = deniedParameters[name.lowercased()], Self.value(value, isIn: values) {
                    return .deniedParameter(name)
                }
            }
        }
        if allowedParameters.isEmpty { return nil }
        let allowsAny = allowedParameters["*"] != nil
        if allowsAny && allowedParameters.count == 1 { return nil }
        for (name, value) in data.sorted(by: { $0.key < $1.key }) {
            let values = allowedParameters[name.lowercased()]
            if values == nil && !allowsAny { return .parameterNotAllowed(name) }
            if let values, !Self.value(value, isIn: values) { return .parameterNotAllowed(name) }
        }
        return nil
    }

    /// An empty list matches any value. Strings match string entries with a leading and/or trailing `*` glob. Other
    /// values must be equal. Numbers never match, as in OpenBao, where policy numbers and request numbers decode to
    /// different Go types.
    static func value(_ value: JSONValue, isIn list: [JSONValue]) -> Bool {
        if list.isEmpty { return true }
        for entry in list {
            switch (entry, value) {
            case (.string(let pattern), .string(let s)):
                if globMatch(pattern, s) { return true }
            case (.int, _), (.double, _), (_, .int), (_, .double):
                continue
            default:
                if entry == value { return true }
            }
        }
        return false
    }

    static func globMatch(_ pattern: String, _ value: String) -> Bool {
        guard pattern.count >= 2 else { return pattern == value }
        let leading = pattern.hasPrefix("*")
        let trailing = pattern.hasSuffix("*")
        switch (leading, trailing) {
        case (true, true): return value.contains(pattern.dropFirst().dropLast())
        case (true, false): return value.hasSuffix(pattern.dropFirst())
        case (false, true): return value.hasPrefix(pattern.dropLast())
        case (false, false): return value == pattern
        }
    }
}

/// A rule whose pattern has `+` segments (and maybe a trailing `*`).
struct SegmentRule: Sendable {
    var pattern: String
    var parts: [Substring]
    var isPrefix: Bool
    var permissions: Permissions

    init(pattern: String, permissions: Permissions) {
        self.pattern = pattern
        self.parts = pattern.split(separator: "/", omittingEmptySubsequences: false)
        self.isPrefix = pattern.hasSuffix("*")
        self.permissions = permissions
    }

    func matches(_ path: [Substring]) -> Bool {
        if isPrefix {
            guard path.count >= parts.count else { return false }
        } else {
            guard path.count == parts.count else { return false }
        }
        for (i, part) in parts.enumerated() {
            if isPrefix && i == parts.count - 1 {
                return path[i].hasPrefix(part.dropLast())
            }
            if part != "+" && part != path[i] { return false }
        }
        return true
    }
}

/// OpenBao's priority order between two wildcard patterns that both match a path.
struct PatternPriority: Comparable {
    var firstWildcard: Int
    var endsWithGlob: Bool
    var plusCount: Int
    var length: Int
    var pattern: String

    init(_ pattern: String) {
        let scalars = Array(pattern.unicodeScalars)
        self.firstWildcard = scalars.firstIndex(where: { $0 == "+" || $0 == "*" }) ?? scalars.count
        self.endsWithGlob = pattern.hasSuffix("*")
        self.plusCount = scalars.filter { $0 == "+" }.count
        self.length = scalars.count
        self.pattern = pattern
    }

    static func < (a: PatternPriority, b: PatternPriority) -> Bool {
        if a.firstWildcard != b.firstWildcard { return a.firstWildcard < b.firstWildcard }
        if a.endsWithGlob != b.endsWithGlob { return a.endsWithGlob }
        if a.plusCount != b.plusCount { return a.plusCount > b.plusCount }
        if a.length != b.length { return a.length < b.length }
        return a.pattern < b.pattern
    }
}

/// A byte trie answering "longest stored prefix of this path" in one walk.
struct PrefixTrie: Sendable {
    private struct Node: Sendable {
        var children: [UInt8: Int] = [:]
        var value: Int?
    }

    private var nodes: [Node] = [Node()]

    mutating func insert(_ key: String, value: Int) {
        var node = 0
        for byte in key.utf8 {
            if let next = nodes[node].children[byte] {
                node = next
            } else {
                nodes.append(Node())
                nodes[node].children[byte] = nodes.count - 1
                node = nodes.count - 1
            }
        }
        nodes[node].value = value
    }

    func longestPrefix(of path: String) -> Int? {
        var node = 0
        var best = nodes[0].value
        for byte in path.utf8 {
            guard let next = nodes[node].children[byte] else { break }
            node = next
            if let v = nodes[node].value { best = v }
        }
        return best
    }
}

extension ACL {
    /// Whether any rule grants something at or below `prefix` (a mount path ending in `/`), as
    /// `sys/internal/ui/mounts/:path` requires before it describes a mount to a token.
    public func hasAnyCapability(underPrefix prefix: String) -> Bool {
        if isRoot { return true }
        func grants(_ p: Permissions) -> Bool { !p.capabilities.isEmpty && !p.capabilities.contains(.deny) }
        for (path, p) in exactRules where grants(p) && (path.hasPrefix(prefix) || path + "/" == prefix) { return true }
        for p in prefixRules where grants(p) {
            let literal = String(p.pattern.dropLast())
            if literal.hasPrefix(prefix) || prefix.hasPrefix(literal) { return true }
        }
        let mountParts = prefix.split(separator: "/", omittingEmptySubsequences: true)
        for rule in segmentRules where grants(rule.permissions) {
            var ok = true
            for (i, part) in mountParts.enumerated() {
                guard i < rule.parts.count else { break }
                let r = rule.parts[i]
                if r == "+" || r == "*" { continue }
                if r.hasSuffix("*") && part.hasPrefix(r.dropLast()) { break }
                if r != part { ok = false; break }
            }
            if ok { return true }
        }
        return false
    }
}
