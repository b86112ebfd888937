import CofferSDK
import Foundation

/// Error texts of the identity store, as OpenBao words them.
enum IdentityErrors {
    /// 405 for an operation a matched path does not support.
    static let unsupportedOperation = LogicalError(.unsupportedOperation, "1 error occurred:\n\t* unsupported operation\n\n")

    /// A 500 as OpenBao reports errors wrapped in a multierror (`invalid entity ID "x"`).
    static func wrapped(_ message: String) -> LogicalError {
        LogicalError.internalError("1 error occurred:\n\t* \(message)\n\n")
    }

    static func fieldValidation(_ field: String, _ detail: String) -> LogicalError {
        LogicalError.invalidRequest("Field validation failed: error converting input for field \"\(field)\": \(detail)")
    }
}

/// Field decoding with the framework's weak typing and error texts (TypeString, TypeBool, TypeKVPairs,
/// TypeCommaStringSlice).
struct IdentityFields {
    let data: [String: JSONValue]

    init(_ data: [String: JSONValue]) { self.data = data }

    /// Whether the field was sent with a non-null value (the framework's `GetOk`).
    func has(_ key: String) -> Bool {
        guard let v = data[key] else { return false }
        return !v.isNull
    }

    /// A string field; absent or null reads as "".
    func string(_ key: String) throws -> String {
        guard let v = data[key] else { return "" }
        switch v {
        case .null: return ""
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double: return v.serialized()
        case .bool(let b): return b ? "1" : "0"
        case .array, .object:
            throw IdentityErrors.fieldValidation(key, "'' expected type 'string', got unconvertible type '\(goTypeName(v))'")
        }
    }

    func bool(_ key: String) throws -> Bool? {
        guard let v = data[key], !v.isNull else { return nil }
        switch v {
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .string(let s):
            switch s {
            case "1", "t", "T", "TRUE", "true", "True": return true
            case "0", "f", "F", "FALSE", "false", "False", "": return false
            default:
                throw IdentityErrors.fieldValidation(key, "'' cannot parse value as 'bool': strconv.ParseBool: invalid syntax")
            }
        default:
            throw IdentityErrors.fieldValidation(key, "'' expected type 'bool', got unconvertible type '\(goTypeName(v))'")
        }
    }

    /// A comma-separated string or an array; entries are trimmed and empty ones dropped.
    func stringList(_ key: String) throws -> [String]? {
        guard let v = data[key], !v.isNull else { return nil }
        func scalar(_ v: JSONValue) throws -> String {
            switch v {
            case .string(let s): return s
            case .int(let i): return String(i)
            case .double: return v.serialized()
            case .bool(let b): return b ? "1" : "0"
            default:
                throw IdentityErrors.fieldValidation(key, "'' expected type 'string', got unconvertible type '\(goTypeName(v))'")
            }
        }
        var items: [String]
        switch v {
        case .array(let a): items = try a.map(scalar)
        case .string(let s): items = s.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        default: items = [try scalar(v)]
        }
        return items.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// TypeKVPairs: an object, or `k=v` strings (comma separated or as an array).
    func kvPairs(_ key: String) throws -> [String: String]? {
        guard let v = data[key], !v.isNull else { return nil }
        switch v {
        case .object(let o):
            var out: [String: String] = [:]
            for (k, val) in o {
                switch val {
                case .string(let s): out[k] = s
                case .int(let i): out[k] = String(i)
                case .double: out[k] = val.serialized()
                case .bool(let b): out[k] = b ? "1" : "0"
                case .null: out[k] = ""
                case .array, .object:
                    throw IdentityErrors.fieldValidation(
                        key, "'[\(k)]' expected type 'string', got unconvertible type '\(goTypeName(val))'")
                }
            }
            return out
        case .string, .array:
            let pairs: [String]
            if case .array(let a) = v {
                pairs = a.map { $0.stringValue ?? $0.serialized() }
            } else {
                pairs = (v.stringValue ?? "").split(separator: ",").map(String.init)
            }
            var out: [String: String] = [:]
            for (index, pair) in pairs.enumerated() {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw IdentityErrors.fieldValidation(key, "invalid key pair at index \(index) in field \"\(key)\"")
                }
                out[String(parts[0]).trimmingCharacters(in: .whitespaces)] = String(parts[1]).trimmingCharacters(in: .whitespaces)
            }
            return out
        default:
            throw IdentityErrors.fieldValidation(key, "invalid key pair at index 0 in field \"\(key)\"")
        }
    }

    func goTypeName(_ v: JSONValue) -> String { FieldDecoding.goTypeName(v) }
}

/// Removes duplicates keeping the first occurrence.
func deduplicated(_ items: [String]) -> [String] {
    var seen = Set<String>()
    return items.filter { seen.insert($0).inserted }
}

extension Optional where Wrapped == [String: String] {
    var json: JSONValue {
        guard let m = self else { return .null }
        return .object(m.mapValues { .string($0) })
    }
}

extension Optional where Wrapped == [String] {
    var json: JSONValue {
        guard let a = self else { return .null }
        return .array(a.map { .string($0) })
    }
}

extension Array where Element == String {
    var json: JSONValue { .array(map { .string($0) }) }
}
