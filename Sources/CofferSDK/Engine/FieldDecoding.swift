import Foundation

/// Decoding of request field values as OpenBao's framework does it (weak decoding of `json.Number`, strings, lists),
/// with its error texts (without the `error converting input for field "…": ` prefix, which callers add). Total
/// functions: every input yields a value or an error, none traps. A fuzz target can call these with any parsed JSON.
public enum FieldDecoding {
    public typealias Failure = GoDuration.ParseError

    /// Go's type names in mapstructure messages.
    public static func goTypeName(_ value: JSONValue) -> String {
        switch value {
        case .null: return "<nil>"
        case .bool: return "bool"
        case .int, .double: return "json.Number"
        case .string: return "string"
        case .array: return "[]interface {}"
        case .object: return "map[string]interface {}"
        }
    }

    /// TypeInt: a JSON integer, an integral number within Int64, or integer text. Out of range is
    /// `strconv.ParseInt: value out of range`, a fraction or exponent `strconv.ParseInt: invalid syntax`.
    public static func int(_ value: JSONValue) -> Result<Int64, Failure> {
        let prefix = "'' cannot parse value as 'int': strconv.ParseInt: "
        switch value {
        case .null: return .success(0)
        case .int(let i): return .success(i)
        case .double(let d):
            if let i = CheckedNumber.int64(exactly: d) { return .success(i) }
            return .failure(Failure(message: prefix + GoDuration.parseIntFailure(GoDuration.numberText(d))))
        case .string(let s):
            if let i = Int64(s) { return .success(i) }
            return .failure(Failure(message: prefix + GoDuration.parseIntFailure(s)))
        case .bool, .array, .object:
            return .failure(Failure(message: "'' expected type 'int', got unconvertible type '\(goTypeName(value))'"))
        }
    }

    /// TypeDurationSecond: seconds, as `parseutil.ParseDurationSecond`.
    public static func durationSeconds(_ value: JSONValue) -> Result<Int64, Failure> { GoDuration.parseDurationSecond(value) }

    /// TypeStringSlice / TypeCommaStringSlice: a comma-separated string (elements trimmed, empty ones dropped), a
    /// single scalar, or a list whose elements are strings, numbers or booleans (null elements are dropped). A list
    /// element that is an object or a list is an error naming each such element, as mapstructure does.
    public static func commaStringSlice(_ value: JSONValue) -> Result<[String], Failure> {
        switch value {
        case .null: return .success([])
        case .string(let s):
            return .success(s.split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty })
        case .int(let i): return .success([String(i)])
        case .double(let d): return .success([GoDuration.numberText(d)])
        case .bool(let b): return .success([b ? "1" : "0"])
        case .object: return .failure(elementErrors([(0, value)]))
        case .array(let a):
            var out: [String] = []
            out.reserveCapacity(a.count)
            var bad: [(Int, JSONValue)] = []
            for (i, e) in a.enumerated() {
                switch e {
                case .string(let s): out.append(s.trimmingWhitespace())
                case .int(let n): out.append(String(n))
                case .double(let d): out.append(GoDuration.numberText(d))
                case .bool(let b): out.append(b ? "1" : "0")
                case .null: continue
                case .array, .object: bad.append((i, e))
                }
            }
            if !bad.isEmpty { return .failure(elementErrors(bad)) }
            return .success(out)
        }
    }

    /// One entry point for a fuzz target: `bytes` as duration text through Go's parser and `parseutil`'s, and, when
    /// they parse as JSON, every value of the document through every field decoder. Returns how many decodings
    /// succeeded (so that the work is not optimised away). Must never trap, whatever the bytes.
    @discardableResult
    public static func fuzzOne(_ bytes: [UInt8]) -> Int {
        var ok = 0
        let text = String(decoding: bytes, as: UTF8.self)
        if case .success = GoDuration.parseGoDuration(text) { ok += 1 }
        if case .success = GoDuration.parseSeconds(text) { ok += 1 }
        if parseDurationSeconds(text) != nil { ok += 1 }
        guard let doc = try? JSONValue.parse(bytes) else { return ok }
        var stack = [doc]
        while let v = stack.popLast() {
            if case .success = int(v) { ok += 1 }
            if case .success = durationSeconds(v) { ok += 1 }
            if case .success = commaStringSlice(v) { ok += 1 }
            if CheckedNumber.httpStatus(v) != nil { ok += 1 }
            if case .double(let d) = v, CheckedNumber.int64(truncating: d) != nil { ok += 1 }
            switch v {
            case .array(let a): stack.append(contentsOf: a)
            case .object(let o): stack.append(contentsOf: o.values)
            default: break
            }
        }
        return ok
    }

    static func elementErrors(_ bad: [(Int, JSONValue)]) -> Failure {
        let lines = bad.map { "'[\($0.0)]' expected type 'string', got unconvertible type '\(goTypeName($0.1))'" }
        return Failure(message: "decoding failed due to the following error(s):\n\n" + lines.joined(separator: "\n"))
    }
}
