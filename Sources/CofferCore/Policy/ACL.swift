public import CofferSDK
import Foundation

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
        case .update, .renew, .revoke: needed = .update
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
        // The path is split only when some rule has a `+` segment to match against.
        let segmentMatch = segmentRules.isEmpty ? nil : { () -> SegmentRule? in
            let segmentPath = path.pathSegments()
            return segmentRules.first { $0.matches(segmentPath) }
        }()
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
        let mountParts = prefix.pathSegments(omittingEmpty: true)
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
