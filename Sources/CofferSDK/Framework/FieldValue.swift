/// OpenBao's field conversions (`FieldData.getPrimitive`: mapstructure's weak decoding, `parseutil`), written once.
///
/// Every function is total: any JSON value gives a converted value or a ``Failure`` holding OpenBao's text (without
/// the `error converting input for field "…": ` prefix, which ``FieldData`` adds). A converted value is a normalised
/// `JSONValue`: `.string`, `.int`, `.bool`, `.double`, an `.array` of strings or integers, or an `.object`.
public enum FieldValue {
    public typealias Failure = GoDuration.ParseError

    /// Go's type names in mapstructure messages (`json.Number` for every JSON number: OpenBao decodes with UseNumber).
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

    /// Go's `strconv.ParseBool` table.
    public static func goBool(_ s: some StringProtocol) -> Bool? {
        switch s {
        case "1", "t", "T", "TRUE", "true", "True": return true
        case "0", "f", "F", "FALSE", "false", "False": return false
        default: return nil
        }
    }

    /// The text of a JSON number as `json.Number` holds it.
    static func numberText(_ v: JSONValue) -> String {
        switch v {
        case .int(let i): return String(i)
        case .double(let d): return GoDuration.numberText(d)
        default: return ""
        }
    }

    static func unconvertible(_ expected: String, _ v: JSONValue) -> Failure {
        Failure(message: "'' expected type '\(expected)', got unconvertible type '\(goTypeName(v))'")
    }

    /// Converts `value` as a field of `type`. `null` converts to the type's zero value, as mapstructure leaves it.
    public static func convert(_ value: JSONValue, as type: FieldType) -> Result<JSONValue, Failure> {
        switch type {
        case .string: return string(value).map { .string($0) }
        case .lowerCaseString: return string(value).map { .string($0.lowercased()) }
        case .nameString:
            return string(value).flatMap { s in
                PathPattern.isGenericName(s[...]) ? .success(.string(s)) : .failure(Failure(message: "field does not match the formatting rules"))
            }
        case .int: return int(value).map { .int($0) }
        case .bool: return bool(value).map { .bool($0) }
        case .durationSecond:
            return GoDuration.parseDurationSecond(trimmed(value)).flatMap { secs in
                secs < 0 ? .failure(Failure(message: "cannot provide negative value '\(secs)'")) : .success(.int(secs))
            }
        case .signedDurationSecond: return GoDuration.parseDurationSecond(trimmed(value)).map { .int($0) }
        case .commaStringSlice: return commaStringSlice(value).map { .array($0.map { .string($0) }) }
        case .stringSlice: return stringSlice(value).map { .array($0.map { .string($0) }) }
        case .commaIntSlice: return commaIntSlice(value).map { .array($0.map { .int($0) }) }
        case .map: return map(value)
        case .kvPairs: return kvPairs(value).map { .object($0.mapValues { .string($0) }) }
        case .float: return float(value).map { .double($0) }
        case .raw: return .success(value)
        }
    }

    static func trimmed(_ v: JSONValue) -> JSONValue {
        if case .string(let s) = v { return .string(s.trimmingWhitespace()) }
        return v
    }

    /// TypeString: numbers as their text, booleans as `1`/`0` (mapstructure's weak decoding).
    public static func string(_ v: JSONValue) -> Result<String, Failure> {
        switch v {
        case .null: return .success("")
        case .string(let s): return .success(s)
        case .int, .double: return .success(numberText(v))
        case .bool(let b): return .success(b ? "1" : "0")
        case .array, .object: return .failure(unconvertible("string", v))
        }
    }

    /// TypeInt: a JSON integer, integer text, a boolean (1/0). A number written with a fraction or an exponent is
    /// refused even when integral (`2.0`: OpenBao parses `json.Number` text with `ParseInt`), `strconv.ParseInt:
    /// invalid syntax`; past Int64 `strconv.ParseInt: value out of range`.
    public static func int(_ v: JSONValue) -> Result<Int64, Failure> {
        let prefix = "'' cannot parse value as 'int': strconv.ParseInt: "
        switch v {
        case .null: return .success(0)
        case .int(let i): return .success(i)
        case .bool(let b): return .success(b ? 1 : 0)
        case .double(let d):
            // The parser keeps every integer literal within Int64 as `.int`: a `.double` had a fraction, an exponent or
            // too many digits.
            return .failure(Failure(message: prefix + GoDuration.parseIntFailure(GoDuration.numberText(d))))
        case .string(let s):
            if s.isEmpty { return .success(0) }
            if let i = Int64(s) { return .success(i) }
            return .failure(Failure(message: prefix + GoDuration.parseIntFailure(s)))
        case .array, .object: return .failure(unconvertible("int", v))
        }
    }

    /// TypeBool: Go's `strconv.ParseBool` over text and numbers (`1`/`0`), empty text is false.
    public static func bool(_ v: JSONValue) -> Result<Bool, Failure> {
        let bad = Failure(message: "'' cannot parse value as 'bool': strconv.ParseBool: invalid syntax")
        switch v {
        case .null: return .success(false)
        case .bool(let b): return .success(b)
        case .int(let i):
            if i == 1 { return .success(true) }
            if i == 0 { return .success(false) }
            return .failure(bad)
        case .double: return .failure(bad)
        case .string(let s):
            if s.isEmpty { return .success(false) }
            return goBool(s).map { .success($0) } ?? .failure(bad)
        case .array, .object: return .failure(unconvertible("bool", v))
        }
    }

    /// TypeFloat.
    public static func float(_ v: JSONValue) -> Result<Double, Failure> {
        switch v {
        case .null: return .success(0)
        case .int(let i): return .success(Double(i))
        case .double(let d): return .success(d)
        case .bool(let b): return .success(b ? 1 : 0)
        case .string(let s):
            if s.isEmpty { return .success(0) }
            if let d = Double(s) { return .success(d) }
            return .failure(Failure(message: "'' cannot parse value as 'float64': strconv.ParseFloat: invalid syntax"))
        case .array, .object: return .failure(unconvertible("float64", v))
        }
    }

    /// One list element as mapstructure weakly decodes it into a string; nil for an object or a list.
    static func element(_ v: JSONValue) -> String? {
        switch v {
        case .null: return ""
        case .string(let s): return s
        case .int, .double: return numberText(v)
        case .bool(let b): return b ? "1" : "0"
        case .array, .object: return nil
        }
    }

    static func elementFailure(_ bad: [(Int, JSONValue)]) -> Failure {
        let lines = bad.map { "'[\($0.0)]' expected type 'string', got unconvertible type '\(goTypeName($0.1))'" }
        return Failure(message: "decoding failed due to the following error(s):\n\n" + lines.joined(separator: "\n"))
    }

    static func elements(_ items: [JSONValue]) -> Result<[String], Failure> {
        var out: [String] = []
        out.reserveCapacity(items.count)
        var bad: [(Int, JSONValue)] = []
        for (i, item) in items.enumerated() {
            if let s = element(item) { out.append(s) } else { bad.append((i, item)) }
        }
        return bad.isEmpty ? .success(out) : .failure(elementFailure(bad))
    }

    /// TypeCommaStringSlice (`parseutil.ParseCommaStringSlice`): a string split on commas, a scalar as one element,
    /// or a list; every element trimmed, empty ones kept (`"a,,b"` is three), `""` the empty list.
    public static func commaStringSlice(_ v: JSONValue) -> Result<[String], Failure> {
        switch v {
        case .null: return .success([])
        case .string(let s):
            if s.isEmpty { return .success([]) }
            return .success(s.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingWhitespace() })
        case .int, .double, .bool: return .success([element(v)!.trimmingWhitespace()])
        case .array(let a): return elements(a).map { $0.map { $0.trimmingWhitespace() } }
        case .object: return .failure(unconvertible("[]string", v))
        }
    }

    /// TypeStringSlice: a list, or a single value as one element (no comma splitting); elements trimmed.
    public static func stringSlice(_ v: JSONValue) -> Result<[String], Failure> {
        switch v {
        case .null: return .success([])
        case .string(let s): return .success(s.isEmpty ? [] : [s.trimmingWhitespace()])
        case .int, .double, .bool: return .success([element(v)!.trimmingWhitespace()])
        case .array(let a): return elements(a).map { $0.map { $0.trimmingWhitespace() } }
        case .object: return .failure(unconvertible("[]string", v))
        }
    }

    /// TypeCommaIntSlice: a list of integers or comma-separated integer text (a single value is a list of one).
    /// Every element that does not convert is named by its index, as mapstructure reports them.
    public static func commaIntSlice(_ v: JSONValue) -> Result<[Int64], Failure> {
        let items: [JSONValue]
        switch v {
        case .null: return .success([])
        case .string(let s):
            if s.isEmpty { return .success([]) }
            items = s.split(separator: ",", omittingEmptySubsequences: false).map { .string($0.trimmingWhitespace()) }
        case .array(let a): items = a
        default: items = [v]
        }
        var out: [Int64] = []
        var bad: [String] = []
        for (i, item) in items.enumerated() {
            switch int(item) {
            case .success(let n): out.append(n)
            // int's messages name the value `''`: here it is the element.
            case .failure(let f): bad.append("'[\(i)]'" + f.message.dropFirst(2))
            }
        }
        guard bad.isEmpty else {
            return .failure(Failure(message: "decoding failed due to the following error(s):\n\n" + bad.joined(separator: "\n")))
        }
        return .success(out)
    }

    /// TypeMap: a JSON object (null is the empty map); a list, weakly decoded, merges its elements in order (null
    /// elements skipped, nested lists likewise), the first element that is not a map refused by its index.
    public static func map(_ v: JSONValue) -> Result<JSONValue, Failure> {
        if case .object = v { return .success(v) }
        var merged: [String: JSONValue] = [:]
        if let failure = mergeMap(v, into: &merged, name: "") { return .failure(failure) }
        return .success(.object(merged))
    }

    static func mergeMap(_ v: JSONValue, into out: inout [String: JSONValue], name: String) -> Failure? {
        switch v {
        case .null: return nil
        case .object(let o):
            out.merge(o) { _, new in new }
            return nil
        case .array(let items):
            for (i, item) in items.enumerated() {
                if let f = mergeMap(item, into: &out, name: name + "[\(i)]") { return f }
            }
            return nil
        default:
            return Failure(message: "'\(name)' expected type 'map[string]interface {}', got unconvertible type '\(goTypeName(v))'")
        }
    }

    /// TypeKVPairs: an object whose values weakly decode to strings, else a list of `key=value` strings.
    public static func kvPairs(_ v: JSONValue) -> Result<[String: String], Failure> {
        switch v {
        case .null: return .success([:])
        case .object(let o):
            var out: [String: String] = [:]
            for (k, val) in o {
                guard let s = element(val) else { return .failure(unconvertible("string", val)) }
                out[k] = s
            }
            return .success(out)
        default:
            let list: [String]
            switch stringSlice(v) {
            case .success(let l): list = l
            case .failure(let f): return .failure(f)
            }
            var out: [String: String] = [:]
            for pair in list {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty else {
                    return .failure(Failure(message: "invalid key pair \(JSONValue.string(pair).serialized())"))
                }
                out[String(parts[0])] = String(parts[1])
            }
            return .success(out)
        }
    }
}
