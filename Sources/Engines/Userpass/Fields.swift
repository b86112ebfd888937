import CofferSDK
import Foundation

/// Weakly typed field decoding as OpenBao's framework does it for the userpass schema, with its error texts.
/// Every accessor returns nil when the field is absent.
struct Fields {
    var data: [String: JSONValue]

    init(_ data: [String: JSONValue]) { self.data = data }

    func has(_ key: String) -> Bool { data[key] != nil }

    /// The Go type name the decoder reports for a JSON value.
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

    /// A value as Go's `%v` prints a decoded JSON value.
    static func goText(_ value: JSONValue) -> String {
        switch value {
        case .null: return "<nil>"
        case .bool(let b): return b ? "true" : "false"
        case .int, .double: return value.serialized()
        case .string(let s): return s
        case .array(let a): return "[" + a.map(goText).joined(separator: " ") + "]"
        case .object(let o): return "map[" + o.keys.sorted().map { "\($0):\(goText(o[$0]!))" }.joined(separator: " ") + "]"
        }
    }

    /// A string field (`password`, `token_type`): numbers and booleans convert as Go's weak decoding does.
    func string(_ key: String) throws -> String? {
        guard let v = data[key] else { return nil }
        if let s = Self.weakString(v) { return s }
        throw UserpassErrors.field(key, "'' expected type 'string', got unconvertible type '\(Self.goTypeName(v))'")
    }

    static func weakString(_ v: JSONValue) -> String? {
        switch v {
        case .null: return ""
        case .string(let s): return s
        case .int, .double: return v.serialized()
        case .bool(let b): return b ? "1" : "0"
        case .array, .object: return nil
        }
    }

    static let invalidIntSyntax = "'' cannot parse value as 'int': strconv.ParseInt: invalid syntax"
    static let invalidBoolSyntax = "'' cannot parse value as 'bool': strconv.ParseBool: invalid syntax"

    func int(_ key: String) throws -> Int64? {
        guard let v = data[key] else { return nil }
        switch v {
        case .null: return 0
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        case .string(let s):
            if s.isEmpty { return 0 }
            guard let i = Int64(s) else {
                throw UserpassErrors.field(key, "'' cannot parse value as 'int': strconv.ParseInt: \(GoDuration.parseIntFailure(s))")
            }
            return i
        case .double(let d):
            throw UserpassErrors.field(
                key, "'' cannot parse value as 'int': strconv.ParseInt: \(GoDuration.parseIntFailure(GoDuration.numberText(d)))")
        case .array, .object:
            throw UserpassErrors.field(key, "'' expected type 'int', got unconvertible type '\(Self.goTypeName(v))'")
        }
    }

    func bool(_ key: String) throws -> Bool? {
        guard let v = data[key] else { return nil }
        switch v {
        case .null: return false
        case .bool(let b): return b
        case .int(let i):
            if i == 1 { return true }
            if i == 0 { return false }
            throw UserpassErrors.field(key, Self.invalidBoolSyntax)
        case .string(let s):
            switch s {
            case "1", "t", "T", "TRUE", "true", "True": return true
            case "0", "f", "F", "FALSE", "false", "False", "": return false
            default: throw UserpassErrors.field(key, Self.invalidBoolSyntax)
            }
        case .double: throw UserpassErrors.field(key, Self.invalidBoolSyntax)
        case .array, .object:
            throw UserpassErrors.field(key, "'' expected type 'bool', got unconvertible type '\(Self.goTypeName(v))'")
        }
    }

    /// A "duration (sec)" field: integer seconds, or Go duration text (`"1h"`, `"90m"`, `"2d"`). Negative values are
    /// refused as OpenBao does.
    func durationSeconds(_ key: String) throws -> Int64? {
        guard let v = data[key] else { return nil }
        let seconds: Int64
        switch v {
        case .null: seconds = 0
        case .int, .double, .string:
            // parseutil.ParseDurationSecond: past ~292 years, a fraction or an exponent is an error, never a trap.
            let input: JSONValue = v.stringValue.map { .string($0.trimmingCharacters(in: .whitespaces)) } ?? v
            switch GoDuration.parseDurationSecond(input) {
            case .success(let secs): seconds = secs
            case .failure(let e): throw UserpassErrors.field(key, e.message)
            }
        case .bool, .array, .object:
            throw UserpassErrors.field(key, "could not parse duration from input")
        }
        if seconds < 0 { throw UserpassErrors.field(key, "cannot provide negative value '\(seconds)'") }
        return seconds
    }

    /// A comma-string-slice field: an array, or a comma-separated string. Items are trimmed; OpenBao keeps empty
    /// items of a non-empty string (`"a,,b"` is `["a", "", "b"]`) and reads `""` as the empty list.
    func commaStringSlice(_ key: String) throws -> [String]? {
        guard let v = data[key] else { return nil }
        let items: [JSONValue]
        switch v {
        case .null: return []
        case .string(let s):
            let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
            if t.isEmpty { return [] }
            return t.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespacesAndNewlines)
            }
        case .array(let a): items = a
        default: items = [v]
        }
        var out: [String] = []
        var problems: [String] = []
        for (i, item) in items.enumerated() {
            if let s = Self.weakString(item) {
                out.append(s.trimmingCharacters(in: .whitespacesAndNewlines))
            } else {
                problems.append(
                    "* '[\(i)]' expected type 'string', got unconvertible type '\(Self.goTypeName(item))', value: '\(Self.goText(item))'")
            }
        }
        if !problems.isEmpty {
            throw UserpassErrors.field(key, "\(problems.count) error(s) decoding:\n\n" + problems.joined(separator: "\n"))
        }
        return out
    }
}
