import CofferSDK
import Foundation

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
