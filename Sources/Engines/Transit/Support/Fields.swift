import CofferSDK
import Foundation

/// Converts request fields as OpenBao's framework does (weak decoding), with its error texts.
/// Transit's paths are validated before the handler runs, so errors carry "Field validation failed: ".
struct Fields {
    var data: [String: JSONValue]

    init(_ data: [String: JSONValue]) { self.data = data }

    func has(_ key: String) -> Bool { data[key] != nil }

    func error(_ field: String, _ detail: String) -> LogicalError {
        .invalidRequest("Field validation failed: error converting input for field \"\(field)\": \(detail)")
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
        case .array, .object:
            throw error(field, "'' expected type 'int', got unconvertible type '\(Self.goTypeName(v))'")
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
        case .array, .object:
            throw error(field, "'' expected type 'bool', got unconvertible type '\(Self.goTypeName(v))'")
        }
    }

    /// A duration in seconds (`parseutil.ParseDurationSecond`): integers are seconds, strings Go durations (or
    /// integers); past ~292 years, a fraction or an exponent is an error with Go's text, never a trap.
    func duration(_ field: String) throws -> Int64? {
        guard let v = data[field] else { return nil }
        switch GoDuration.parseDurationSecond(v) {
        case .success(let secs): return secs
        case .failure(let e): throw error(field, e.message)
        }
    }

    /// `batch_input`: a list of objects. Nil when absent.
    func batch(_ field: String = "batch_input") throws -> [[String: JSONValue]]? {
        guard let v = data[field] else { return nil }
        switch v {
        case .null: return nil
        case .array(let items):
            var out: [[String: JSONValue]] = []
            for (i, item) in items.enumerated() {
                guard case .object(let o) = item else {
                    throw LogicalError.invalidRequest(
                        "failed to parse batch input: '[\(i)]' expected a map, got '\(Self.goTypeName(item).replacingOccurrences(of: "json.Number", with: "string"))'")
                }
                out.append(o)
            }
            return out
        default:
            throw LogicalError.invalidRequest("failed to parse batch input: '' source data must be an array or slice, got \(Self.goTypeName(v))")
        }
    }
}

/// Weakly typed reads of one batch item (values may be strings, numbers or booleans).
extension Dictionary where Key == String, Value == JSONValue {
    func itemString(_ key: String) -> String {
        guard let v = self[key] else { return "" }
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double, .bool: return v.serialized()
        default: return ""
        }
    }

    func itemInt(_ key: String) -> Int64? {
        guard let v = self[key] else { return nil }
        switch v {
        case .int(let i): return i
        case .string(let s): return s.isEmpty ? 0 : Int64(s)
        case .double(let d): return Int64(exactly: d)
        case .null: return 0
        default: return nil
        }
    }

    /// `key_version` of an item: 0 (latest) when absent.
    func itemVersion() throws(ItemError) -> Int64 {
        if self["key_version"] == nil { return 0 }
        guard let v = itemInt("key_version") else { throw ItemError("invalid key_version") }
        return v
    }

    func itemBool(_ key: String) -> Bool {
        guard let v = self[key] else { return false }
        return v.boolValue ?? false
    }
}

/// Errors as OpenBao words them.
enum TransitErrors {
    static let unsupportedOperation = LogicalError(.unsupportedOperation, "1 error occurred:\n\t* unsupported operation\n\n")
    static let unsupportedPath = LogicalError.unsupportedPath("")
    /// A 500 in go-multierror's format, as OpenBao reports errors returned (not answered) by a handler.
    static func multi(_ message: String) -> LogicalError {
        LogicalError(.internal, "1 error occurred:\n\t* \(message)\n\n")
    }
    static let missingContext =
        "missing 'context' for key derivation; the key was created using a derived key, which means additional, per-request information must be included in order to perform operations with the key"
    static let tooOld = "ciphertext or signature version is disallowed by policy (too old)"
    static let keyNotFound = "encryption key not found"
}

/// An error of one operation, kept as text so batches can report it per item; `isInternal` selects a 500.
struct ItemError: Error {
    var message: String
    var isInternal = false
    init(_ message: String, internal isInternal: Bool = false) {
        self.message = message
        self.isInternal = isInternal
    }
    var logical: LogicalError { isInternal ? TransitErrors.multi(message) : .invalidRequest(message) }
}

func decodeBase64Field(_ text: String, prefix: String = "") throws(ItemError) -> [UInt8] {
    do throws(GoBase64.DecodeError) {
        return try GoBase64.decode(text)
    } catch {
        throw ItemError(prefix + error.description)
    }
}
