import CofferHCL
import CofferSDK
import Foundation

/// Reads a password policy document (`sys/policies/password/NAME`) into a ``PasswordPolicy``, with OpenBao's
/// error texts.
///
/// ```hcl
/// length = 20
/// rule "charset" {
///   charset   = "abcdefghijklmnopqrstuvwxyz"
///   min-chars = 1
/// }
/// ```
///
/// The text may be HCL, JSON or base64 of either (``decodedText(_:)``). Keys other than `length` and `rule`, and
/// other than `charset` and `min-chars` in a rule, are ignored; a key given twice keeps its last value (as
/// ``HCL/parse(_:)`` builds it). Numbers with
/// a fraction are truncated, as Go's decoder does.
enum PasswordPolicyParser {
    /// The shortest and longest passwords a stored policy may ask for (checked on write only).
    static let lengthRange = 4...100

    /// The policy text as stored and read back: base64 is decoded (Go's standard alphabet with padding; line breaks
    /// are skipped), anything else is taken as given.
    static func decodedText(_ raw: String) -> String {
        let compact = raw.filter { $0 != "\n" && $0 != "\r" && $0 != "\r\n" }
        guard !compact.isEmpty, let data = Data(base64Encoded: compact) else { return raw }
        return String(decoding: data, as: UTF8.self)
    }

    /// Parses and validates a policy's text (already decoded).
    ///
    /// - Throws: ``LogicalError`` (400, a Go error) with OpenBao's text, starting `invalid password policy: `.
    static func parse(_ text: String) throws -> PasswordPolicy {
        let document: [String: JSONValue]
        do {
            document = try HCL.parse(text).objectValue ?? [:]
        } catch {
            throw invalid("unable to decode: \(error)")
        }
        let length = try decodeInt(document["length"], key: "length") {
            "failed to decode configuration: \(decodingFailed($0))"
        }
        let rules = try parseRules(document["rule"])

        var problems: [String] = []
        if length <= 0 {
            problems.append("length must be > 0")
        } else {
            let required = rules.reduce(0) { $0 &+ $1.minChars }
            if required > length { problems.append("specified rules require at least \(required) characters but \(length) is specified") }
        }
        let policy = PasswordPolicy(length: length, rules: rules)
        if policy.charset.isEmpty { problems.append("no charset specified") }
        guard problems.isEmpty else { throw invalid(multiError(problems)) }
        return policy
    }

    // MARK: rules

    private static func parseRules(_ value: JSONValue?) throws -> [PasswordPolicy.Rule] {
        guard let value else { return [] }
        // HCL gives `rule "charset" { … }` as {"rule": {"charset": body}}, repeated blocks as a list of bodies.
        let byType: [(type: String, data: JSONValue)]
        switch value {
        case .object(let o): byType = o.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        case .array(let items) where items.allSatisfy({ $0.objectValue != nil }):
            byType = items.flatMap { ($0.objectValue ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
        default: throw invalid("unable to retrieve rules: '' source data must be an array or slice, got \(goType(value))")
        }
        var rules: [PasswordPolicy.Rule] = []
        for (type, data) in byType {
            let bodies: [[String: JSONValue]]
            switch data {
            case .object(let o): bodies = [o]
            case .array(let items) where items.allSatisfy({ $0.objectValue != nil }): bodies = items.compactMap(\.objectValue)
            default:
                throw invalid("unable to parse rules: unable to get rule info: unable to get rule data: '' source data must be an array or slice, got \(goType(data))")
            }
            guard type == "charset" else { throw invalid("unable to parse rules: unable to parse rule \(type): unrecognized rule type \(type)") }
            for body in bodies { rules.append(try parseCharsetRule(body)) }
        }
        return rules
    }

    private static func parseCharsetRule(_ body: [String: JSONValue]) throws -> PasswordPolicy.Rule {
        var problems: [String] = []
        var charset = ""
        switch body["charset"] {
        case nil: break
        case .string(let s): charset = s
        case .array(let items):
            // Go decodes the charset into runes: a list of code points is taken, any other element refused.
            for (i, item) in items.enumerated() {
                if case .int(let n) = item, let u = UInt32(exactly: n), let scalar = Unicode.Scalar(u) {
                    charset.unicodeScalars.append(scalar)
                } else {
                    problems.append("'charset[\(i)]' expected type 'int32', got unconvertible type '\(goType(item))'")
                }
            }
        case let other?: problems.append("'charset' source data must be an array or slice, got \(goType(other))")
        }
        var minChars = 0
        do {
            minChars = try decodeInt(body["min-chars"], key: "min-chars") { $0 }
        } catch let e as DecodeProblem {
            problems.append(e.text)
        }
        guard problems.isEmpty else {
            throw invalid(
                "unable to parse rules: unable to parse rule charset: failed to parse charset restriction: \(decodingFailed(problems.joined(separator: "\n")))")
        }
        return PasswordPolicy.Rule(charset: charset, minChars: minChars)
    }

    // MARK: decoding helpers

    private struct DecodeProblem: Error {
        var text: String
    }

    /// An integer as Go's decoder reads it from HCL: absent is 0, a fraction is truncated, anything else refused.
    private static func decodeInt(_ value: JSONValue?, key: String, wrap: (String) -> String) throws -> Int {
        switch value {
        case nil: return 0
        case .int(let i): return Int(i)
        case .double(let d):
            guard d.isFinite else { return d > 0 ? Int.max : Int.min }
            return d >= Double(Int.max) ? Int.max : d <= Double(Int.min) ? Int.min : Int(d)
        case let other?:
            let text = "'\(key)' expected type 'int', got unconvertible type '\(goType(other))'"
            if key == "length" { throw invalid(wrap(text)) }
            throw DecodeProblem(text: text)
        }
    }

    private static func decodingFailed(_ problems: String) -> String {
        "decoding failed due to the following error(s):\n\n\(problems)"
    }

    /// go-multierror's text for a list of errors.
    static func multiError(_ problems: [String]) -> String {
        let head = problems.count == 1 ? "1 error occurred:" : "\(problems.count) errors occurred:"
        return head + problems.map { "\n\t* " + $0 }.joined() + "\n\n"
    }

    /// The Go type the value would have after HCL decoding, as Go's decoder names it in errors.
    private static func goType(_ value: JSONValue) -> String {
        switch value {
        case .null: return "<nil>"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float64"
        case .string: return "string"
        case .array: return "[]interface {}"
        case .object: return "[]map[string]interface {}"
        }
    }

    private static func invalid(_ text: String) -> LogicalError {
        LogicalError.goError(.invalidRequest, "invalid password policy: " + text)
    }
}
