import CofferSDK
import Foundation

/// Converts request fields as OpenBao's framework does (weak decoding), with its error texts.
///
/// `validated` adds the "Field validation failed: " prefix OpenBao uses on paths validated before the handler.
struct Fields {
    var data: [String: JSONValue]
    var validated: Bool

    init(_ data: [String: JSONValue], validated: Bool = false) {
        self.data = data
        self.validated = validated
    }

    func has(_ key: String) -> Bool { data[key] != nil }

    func error(_ field: String, _ detail: String) -> LogicalError {
        let text = "error converting input for field \"\(field)\": \(detail)"
        return .invalidRequest(validated ? "Field validation failed: " + text : text)
    }

    static func goTypeName(_ value: JSONValue) -> String {
        switch value {
        case .null: return "<nil>"
        case .bool: return "bool"
        case .int, .double: return "json.Number"
        case .string: return "string"
        case .array: return "[]interface {}"
        case .object: return "map[string]interface {}"
        }
    }

    func string(_ field: String) throws -> String? {
        guard let v = data[field] else { return nil }
        switch v {
        case .null: return ""
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double: return v.serialized()
        case .bool(let b): return b ? "1" : "0"
        case .array, .object:
            throw error(field, "'' expected type 'string', got unconvertible type '\(Self.goTypeName(v))'")
        }
    }

    func int(_ field: String) throws -> Int64? {
        guard let v = data[field] else { return nil }
        switch v {
        case .null: return 0
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        case .double(let d):
            if let i = CheckedNumber.int64(exactly: d) { return i }
            throw error(field, "'' cannot parse value as 'int': strconv.ParseInt: \(GoDuration.parseIntFailure(GoDuration.numberText(d)))")
        case .string(let s):
            if s.isEmpty { return 0 }
            guard let i = Int64(s) else {
                throw error(field, "'' cannot parse value as 'int': strconv.ParseInt: \(GoDuration.parseIntFailure(s))")
            }
            return i
        case .array, .object: throw error(field, "'' expected type 'int', got unconvertible type '\(Self.goTypeName(v))'")
        }
    }

    func bool(_ field: String) throws -> Bool? {
        guard let v = data[field] else { return nil }
        let bad = "'' cannot parse value as 'bool': strconv.ParseBool: invalid syntax"
        switch v {
        case .null: return false
        case .bool(let b): return b
        case .int(let i):
            if i == 1 { return true }
            if i == 0 { return false }
            throw error(field, bad)
        case .string(let s):
            switch s {
            case "1", "t", "T", "TRUE", "true", "True": return true
            case "0", "f", "F", "FALSE", "false", "False", "": return false
            default: throw error(field, bad)
            }
        case .double: throw error(field, bad)
        case .array, .object: throw error(field, "'' expected type 'bool', got unconvertible type '\(Self.goTypeName(v))'")
        }
    }

    /// A "duration (sec)" field: integer seconds or Go duration text; negative values are refused.
    func duration(_ field: String) throws -> Int64? {
        guard let v = data[field] else { return nil }
        let secs: Int64
        switch v {
        case .null: return 0
        case .int, .double, .string:
            // parseutil.ParseDurationSecond: past ~292 years, a fraction or an exponent is an error, never a trap.
            switch GoDuration.parseDurationSecond(v) {
            case .success(let d): secs = d
            case .failure(let e): throw error(field, e.message)
            }
        case .bool, .array, .object: throw error(field, "could not parse duration from input")
        }
        if secs < 0 { throw error(field, "cannot provide negative value '\(secs)'") }
        return secs
    }

    /// A comma-separated string list (`TypeCommaStringSlice`): entries are trimmed, empty ones kept.
    func commaList(_ field: String) throws -> [String]? {
        guard let v = data[field] else { return nil }
        switch v {
        case .null: return []
        case .string(let s):
            if s.isEmpty { return [] }
            return s.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        case .array(let items):
            var out: [String] = []
            for (i, item) in items.enumerated() {
                switch item {
                case .string(let s): out.append(s.trimmingCharacters(in: .whitespaces))
                case .int(let n): out.append(String(n))
                case .double, .bool: out.append(item.serialized())
                case .null: out.append("")
                case .array, .object:
                    throw error(field, "'[\(i)]' expected type 'string', got unconvertible type '\(Self.goTypeName(item))'")
                }
            }
            return out
        case .int(let n): return [String(n)]
        case .double, .bool: return [v.serialized()]
        case .object: throw error(field, "'' expected type '[]string', got unconvertible type '\(Self.goTypeName(v))'")
        }
    }

    /// Policy names as OpenBao's legacy `policies` fields sanitise them: trimmed, lowercased, deduplicated, sorted.
    func policies(_ field: String) throws -> [String]? {
        guard let list = try commaList(field) else { return nil }
        return sanitizePolicies(list)
    }
}

func sanitizePolicies(_ list: [String]) -> [String] {
    Array(Set(list.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty })).sorted()
}

/// Secret-ID metadata: a JSON object of strings, or `k=v,k2=v2`.
func parseSecretIDMetadata(_ text: String) throws -> [String: String] {
    let failure = LogicalError.invalidRequest("failed to parse metadata: failed to parse the input: invalid <key,value> format")
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if trimmed.isEmpty { return [:] }
    if let parsed = try? JSONValue.parse(trimmed) {
        guard case .object(let o) = parsed else { throw failure }
        var out: [String: String] = [:]
        for (k, v) in o {
            guard case .string(let s) = v else { throw failure }
            out[k] = s
        }
        return out
    }
    var out: [String: String] = [:]
    for pair in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw failure }
        let key = parts[0].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty else { throw failure }
        out[key] = parts[1].trimmingCharacters(in: .whitespaces)
    }
    return out
}
