import CofferSDK
import CofferHCL
import Foundation

/// A policy that could not be parsed or failed validation. ``message`` has OpenBao's wording, e.g.
/// `path "a": path "a": invalid capability "reed"` or `At 1:35: error parsing list, expected comma or list end, got: EOF`.
public struct PolicyParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }

    /// The text OpenBao returns from `PUT sys/policies/acl/:name`: `failed to parse policy: <message>`.
    public var apiMessage: String { "failed to parse policy: \(message)" }
}

/// Parses ACL policy documents written in HCL or JSON.
///
/// ```swift
/// let policy = try PolicyParser.parse(name: "reader", text: #"path "secret/*" { capabilities = ["read", "list"] }"#)
/// ```
public enum PolicyParser {
    static let topLevelKeys: Set<String> = ["name", "path"]
    static let pathKeys: Set<String> = [
        "capabilities", "policy", "allowed_parameters", "denied_parameters", "required_parameters",
        "min_wrapping_ttl", "max_wrapping_ttl", "mfa_methods", "control_group", "pagination_limit", "expiration",
        "list_scan_response_keys_filter_path",
    ]

    /// Parses and validates a policy.
    ///
    /// - Parameters:
    ///   - name: The policy name (stored, not validated here).
    ///   - text: HCL, or JSON when the first non-blank character is `{`.
    /// - Throws: ``PolicyParseError`` with OpenBao's message.
    public static func parse(name: String, text: String) throws(PolicyParseError) -> Policy {
        let document: JSONValue
        let sourceMap: HCLSourceMap
        do {
            (document, sourceMap) = try HCL.parseWithSourceMap(text)
        } catch {
            throw PolicyParseError(error.description)
        }
        guard let top = document.objectValue else { throw PolicyParseError("policy must be an object") }

        let unknown = top.keys.filter { !topLevelKeys.contains($0) }.sorted {
            (sourceMap.line(of: [$0]) ?? 0, $0) < (sourceMap.line(of: [$1]) ?? 0, $1)
        }
        if !unknown.isEmpty {
            throw PolicyParseError(multiError(unknown.map { "invalid key \"\($0)\" on line \(sourceMap.line(of: [$0]) ?? 0)" }))
        }

        var rules: [PathRules] = []
        for (pattern, body) in pathBlocks(top["path"], sourceMap: sourceMap) {
            rules.append(try parsePath(pattern, body: body, sourceMap: sourceMap))
        }
        return Policy(name: name, paths: rules, text: text)
    }

    /// Flattens `path` into (pattern, body) pairs in source order: HCL blocks, JSON objects, JSON arrays of objects,
    /// and repeated blocks (arrays of bodies) are all accepted.
    private static func pathBlocks(_ value: JSONValue?, sourceMap: HCLSourceMap) -> [(String, JSONValue)] {
        var out: [(String, JSONValue)] = []
        func add(_ object: [String: JSONValue]) {
            let keys = object.keys.sorted {
                (sourceMap.line(of: ["path", $0]) ?? 0, $0) < (sourceMap.line(of: ["path", $1]) ?? 0, $1)
            }
            for key in keys {
                guard let body = object[key] else { continue }
                if case .array(let bodies) = body, !bodies.isEmpty, bodies.allSatisfy({ $0.objectValue != nil }) {
                    for b in bodies { out.append((key, b)) }
                } else {
                    out.append((key, body))
                }
            }
        }
        switch value {
        case .object(let object)?: add(object)
        case .array(let elements)?:
            for case .object(let object) in elements { add(object) }
        case nil: break
        case let other?: out.append(("path", other))
        }
        return out
    }

    private static func parsePath(_ rawPattern: String, body: JSONValue, sourceMap: HCLSourceMap) throws(PolicyParseError) -> PathRules {
        let prefix = "path \"\(rawPattern)\": "
        guard let fields = body.objectValue else {
            throw PolicyParseError(prefix + "invalid path block: expected an object")
        }
        let unknown = fields.keys.filter { !pathKeys.contains($0) }.sorted {
            (sourceMap.line(of: ["path", rawPattern, $0]) ?? 0, $0) < (sourceMap.line(of: ["path", rawPattern, $1]) ?? 0, $1)
        }
        if !unknown.isEmpty {
            throw PolicyParseError(
                prefix + multiError(unknown.map { "invalid key \"\($0)\" on line \(sourceMap.line(of: ["path", rawPattern, $0]) ?? 0)" })
            )
        }
        let doubled = prefix + prefix
        func line(_ key: String) -> String {
            sourceMap.line(of: ["path", rawPattern, key]).map { "At \($0): " } ?? ""
        }

        var pattern = rawPattern
        while pattern.hasPrefix("/") { pattern.removeFirst() }
        var rules = PathRules(path: pattern, capabilities: [])

        // Legacy `policy = "read|write|sudo|deny"`.
        if let legacy = fields["policy"] {
            guard case .string(let value) = legacy else { throw PolicyParseError(doubled + "invalid policy \(legacy.serialized())") }
            switch value {
            case "deny": rules.capabilities.insert(.deny)
            case "read": rules.capabilities.formUnion([.read, .list])
            case "write": rules.capabilities.formUnion([.read, .list, .create, .update, .delete])
            case "sudo": rules.capabilities.formUnion([.read, .list, .create, .update, .delete, .sudo])
            default: throw PolicyParseError(doubled + "invalid policy \"\(value)\"")
            }
        }

        if let caps = fields["capabilities"] {
            guard case .array(let list) = caps else {
                throw PolicyParseError(doubled + line("capabilities") + "capabilities must be a list of strings")
            }
            for element in list {
                let name: String
                switch element {
                case .string(let s): name = s
                case .int(let i): name = String(i)
                case .bool(let b): name = b ? "true" : "false"
                default: name = element.serialized()
                }
                guard let capability = Capability(rawValue: name) else {
                    throw PolicyParseError(doubled + "invalid capability \"\(name)\"")
                }
                rules.capabilities.insert(capability)
            }
        }

        if pattern.contains("+*") {
            throw PolicyParseError(doubled + "invalid use of wildcards ('+*' is forbidden)")
        }

        for key in ["allowed_parameters", "denied_parameters"] {
            guard let value = fields[key] else { continue }
            var parsed: [String: [JSONValue]] = [:]
            for item in objectItems(value) {
                for (parameter, values) in item {
                    guard case .array(let list) = values else {
                        throw PolicyParseError(
                            doubled + (sourceMap.line(of: ["path", rawPattern, key, parameter]).map { "At \($0): " } ?? "")
                                + "\(key) \"\(parameter)\" must be a list of values"
                        )
                    }
                    parsed[parameter.lowercased(), default: []].append(contentsOf: list)
                }
            }
            if key == "allowed_parameters" { rules.allowedParameters = parsed } else { rules.deniedParameters = parsed }
        }

        if let required = fields["required_parameters"] {
            guard case .array(let list) = required else {
                throw PolicyParseError(doubled + line("required_parameters") + "required_parameters must be a list of strings")
            }
            rules.requiredParameters = list.map { $0.stringValue ?? $0.serialized() }
        }

        for key in ["min_wrapping_ttl", "max_wrapping_ttl"] {
            guard let value = fields[key] else { continue }
            let seconds: Int64
            switch GoDuration.parseDurationSecond(value) {
            case .success(let s): seconds = s
            case .failure(let e): throw PolicyParseError(prefix + "error parsing \(key): \(e.message)")
            }
            if key == "min_wrapping_ttl" { rules.minWrappingTTL = seconds } else { rules.maxWrappingTTL = seconds }
        }
        if let min = rules.minWrappingTTL, let max = rules.maxWrappingTTL, max > 0, max < min {
            throw PolicyParseError(prefix + "max_wrapping_ttl cannot be less than min_wrapping_ttl")
        }

        if let filter = fields["list_scan_response_keys_filter_path"], filter.stringValue?.isEmpty == false,
            !rules.capabilities.contains(.list)
        {
            throw PolicyParseError(prefix + "list_scan_response_keys_filter_path needs to be used on a path with the list capability")
        }
        if let controlGroup = fields["control_group"] {
            let factors = objectItems(controlGroup).compactMap { $0["factor"] }
            if factors.isEmpty {
                throw PolicyParseError(prefix + "error handling control_group: " + multiError(["requires at least one factor but had none"]))
            }
        }
        return rules
    }

    /// An object value, or a list of objects (HCL lists of blocks / repeated keys), as a list of objects.
    private static func objectItems(_ value: JSONValue) -> [[String: JSONValue]] {
        switch value {
        case .object(let o): return [o]
        case .array(let a): return a.compactMap(\.objectValue)
        default: return []
        }
    }

    /// Formats errors the way Go's `hashicorp/go-multierror` does.
    static func multiError(_ errors: [String]) -> String {
        let head = errors.count == 1 ? "1 error occurred:" : "\(errors.count) errors occurred:"
        return head + "\n" + errors.map { "\t* \($0)\n" }.joined() + "\n"
    }
}
