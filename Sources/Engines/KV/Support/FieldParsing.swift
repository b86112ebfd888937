import Foundation
import CofferSDK

/// Converts request fields the way OpenBao's framework does (weakly typed decoding of JSON numbers, strings
/// and booleans), producing the same error texts.
///
/// `validated` selects the "Field validation failed: " prefix that OpenBao adds on paths whose fields are
/// validated before the handler runs.
struct FieldParser {
    var data: [String: JSONValue]
    var validated: Bool

    init(_ data: [String: JSONValue], validated: Bool) {
        self.data = data
        self.validated = validated
    }

    func error(_ field: String, _ detail: String) -> LogicalError {
        let text = "error converting input for field \"\(field)\": \(detail)"
        return .invalidRequest(validated ? "Field validation failed: " + text : text)
    }

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

    static let invalidIntSyntax = "'' cannot parse value as 'int': strconv.ParseInt: invalid syntax"
    static let invalidBoolSyntax = "'' cannot parse value as 'bool': strconv.ParseBool: invalid syntax"

    /// An integer field; nil when absent.
    func int(_ field: String) throws -> Int64? {
        guard let v = data[field] else { return nil }
        if let i = try Self.goInt(v, onError: { error(field, $0) }) { return i }
        return nil
    }

    static func goInt(_ v: JSONValue, onError: (String) -> LogicalError) throws -> Int64? {
        switch v {
        case .null: return 0
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        case .string(let s):
            if s.isEmpty { return 0 }
            guard let i = Int64(s) else { throw onError("'' cannot parse value as 'int': strconv.ParseInt: \(GoDuration.parseIntFailure(s))") }
            return i
        case .double(let d):
            throw onError("'' cannot parse value as 'int': strconv.ParseInt: \(GoDuration.parseIntFailure(GoDuration.numberText(d)))")
        case .array, .object: throw onError("'' expected type 'int', got unconvertible type '\(goTypeName(v))'")
        }
    }

    /// A boolean field; nil when absent.
    func bool(_ field: String) throws -> Bool? {
        guard let v = data[field] else { return nil }
        switch v {
        case .null: return false
        case .bool(let b): return b
        case .int(let i):
            if i == 1 { return true }
            if i == 0 { return false }
            throw error(field, Self.invalidBoolSyntax)
        case .string(let s):
            if let b = Self.goParseBool(s) { return b }
            if s.isEmpty { return false }
            throw error(field, Self.invalidBoolSyntax)
        case .double: throw error(field, Self.invalidBoolSyntax)
        case .array, .object:
            throw error(field, "'' expected type 'bool', got unconvertible type '\(Self.goTypeName(v))'")
        }
    }

    static func goParseBool(_ s: String) -> Bool? {
        switch s {
        case "1", "t", "T", "TRUE", "true", "True": return true
        case "0", "f", "F", "FALSE", "false", "False": return false
        default: return nil
        }
    }

    /// A map field. Returns `.some(nil)` for an explicit JSON null.
    func map(_ field: String) throws -> [String: JSONValue]?? {
        guard let v = data[field] else { return nil }
        switch v {
        case .object(let o): return .some(o)
        case .null: return .some(nil)
        case .array(let a):
            if let first = a.first {
                throw error(
                    field, "'[0]' expected type 'map[string]interface {}', got unconvertible type '\(Self.goTypeName(first))'")
            }
            return .some([:])
        default:
            throw error(field, "'' expected type 'map[string]interface {}', got unconvertible type '\(Self.goTypeName(v))'")
        }
    }

    /// A duration field in seconds (integers are seconds, strings are Go durations or integers).
    func duration(_ field: String) throws -> Int64? {
        guard let v = data[field] else { return nil }
        switch v {
        case .null: return 0
        case .int, .string, .double:
            // parseutil.ParseDurationSecond: past ~292 years, a fraction or an exponent is an error, never a trap.
            switch GoDuration.parseDurationSecond(v) {
            case .success(let secs): return secs
            case .failure(let e): throw error(field, e.message)
            }
        case .bool, .array, .object:
            throw error(field, "could not parse duration from input")
        }
    }

    /// A list of integers (`versions`): an array, a single number or a comma-separated string.
    func intList(_ field: String) throws -> [Int64]? {
        guard let v = data[field] else { return nil }
        let items: [JSONValue]
        switch v {
        case .null: return []
        case .array(let a): items = a
        case .string(let s):
            items = s.split(separator: ",", omittingEmptySubsequences: false).map {
                .string($0.trimmingCharacters(in: .whitespaces))
            }
            if s.isEmpty { return [] }
        default: items = [v]
        }
        var out: [Int64] = []
        for (i, item) in items.enumerated() {
            let value = try Self.goInt(item) { detail in
                let element = detail.replacingOccurrences(of: "''", with: "'[\(i)]'")
                return error(field, "decoding failed due to the following error(s):\n\n" + element)
            }
            out.append(value ?? 0)
        }
        return out
    }
}
