/// OpenBao's field conversions (`FieldData.getPrimitive` of OpenBao 2.7.2: go-viper/mapstructure v2's weak decoding,
/// mitchellh/mapstructure v1 inside `parseutil.ParseCommaStringSlice`, `parseutil.ParseDurationSecond`), written once.
///
/// Every function is total: any JSON value gives a converted value or a ``Failure`` holding OpenBao's text (without
/// the `error converting input for field "…": ` prefix, which ``FieldData`` adds). A converted value is a normalised
/// `JSONValue`: `.string`, `.int`, `.bool`, `.double`, an `.array` of strings or integers, an `.object`, or `.null`
/// for a map or key-value pairs field sent as `null` (Go's nil map).
///
/// OpenBao decodes request bodies with `UseNumber`, so a JSON number reaches these rules as its literal text
/// (`json.Number`). ``JSONValue`` keeps an integer literal within Int64 as `.int` (exact) and any other number as
/// `.double`, whose text is rebuilt by ``GoDuration/numberText(_:)``: `1e3` reads as `1000.0`, `-0` as `0`, and
/// integers past Int64 lose their last digits. Those literals are the only inputs where these rules and OpenBao's
/// can differ (see `Tests/CofferSDKTests/FieldValueFixtureTests.swift` for the recorded cases).
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

    /// mapstructure's `'name' expected type 'T', got unconvertible type 'U'`.
    static func unconvertibleText(_ name: String, _ expected: String, _ v: JSONValue) -> String {
        "'\(name)' expected type '\(expected)', got unconvertible type '\(goTypeName(v))'"
    }

    static func unconvertible(_ expected: String, _ v: JSONValue) -> Failure {
        Failure(message: unconvertibleText("", expected, v))
    }

    /// go-viper/mapstructure v2 joins the errors of a slice's elements (`errors.Join`, in index order) and
    /// `Decode` prefixes a joined error.
    static func joinedFailure(_ lines: [String]) -> Failure {
        Failure(message: "decoding failed due to the following error(s):\n\n" + lines.joined(separator: "\n"))
    }

    /// Converts `value` as a field of `type`; `field` is the field's name, which OpenBao writes into the text of a
    /// bad key pair. `null` converts as mapstructure leaves it: the type's zero value, `.null` for a map or key-value
    /// pairs (a nil map). For duration fields ``FieldData`` treats `null` as not sent, as OpenBao does.
    public static func convert(_ value: JSONValue, as type: FieldType, field: String = "") -> Result<JSONValue, Failure> {
        switch type {
        case .string: return string(value).map { .string($0) }
        case .lowerCaseString: return string(value).map { .string(goToLower($0)) }
        case .nameString:
            return string(value).flatMap { s in
                PathPattern.isGenericName(s[...]) ? .success(.string(s)) : .failure(Failure(message: "field does not match the formatting rules"))
            }
        case .int: return int(value).map { .int($0) }
        case .bool: return bool(value).map { .bool($0) }
        case .durationSecond: return durationSecond(value, signed: false).map { .int($0) }
        case .signedDurationSecond: return durationSecond(value, signed: true).map { .int($0) }
        case .commaStringSlice: return commaStringSlice(value).map { .array($0.map { .string($0) }) }
        case .stringSlice: return stringSlice(value).map { .array($0.map { .string($0) }) }
        case .commaIntSlice: return commaIntSlice(value).map { .array($0.map { .int($0) }) }
        case .map: return map(value)
        case .kvPairs: return kvPairs(value, field: field).map { $0.map { .object($0.mapValues { .string($0) }) } ?? .null }
        case .float: return float(value).map { .double($0) }
        case .slice: return .success(slice(value))
        case .raw: return .success(value)
        }
    }

    // MARK: - Scalars

    /// TypeSlice: mapstructure's weak decode into `[]interface{}`: a list as it is, null and `{}` as the empty list,
    /// any other value as a list of one.
    public static func slice(_ v: JSONValue) -> JSONValue {
        switch v {
        case .array: return v
        case .null: return .array([])
        case .object(let o) where o.isEmpty: return .array([])
        default: return .array([v])
        }
    }

    /// TypeString: text as it is (no trimming), numbers as their literal text, booleans as `1`/`0`, null as `""`;
    /// lists and objects are unconvertible.
    public static func string(_ v: JSONValue) -> Result<String, Failure> {
        switch v {
        case .null: return .success("")
        case .string(let s): return .success(s)
        case .int, .double: return .success(numberText(v))
        case .bool(let b): return .success(b ? "1" : "0")
        case .array, .object: return .failure(unconvertible("string", v))
        }
    }

    /// TypeInt (`goType` `int`) and TypeInt64 (`int64`): Go's `strconv.ParseInt(s, 0, 64)` over text and number
    /// literals (base prefixes `0x` `0o` `0b`, a leading `0` for octal, `_` between digits, a sign; no trimming),
    /// `""` and null are 0, booleans 1/0. A number with a fraction or an exponent is `invalid syntax`, past Int64
    /// `value out of range`.
    public static func int(_ v: JSONValue, goType: String = "int") -> Result<Int64, Failure> {
        let prefix = "'' cannot parse value as '\(goType)': strconv.ParseInt: "
        switch v {
        case .null: return .success(0)
        case .int(let i): return .success(i)
        case .bool(let b): return .success(b ? 1 : 0)
        case .double(let d):
            // Never an integer literal within Int64 (those parse as .int): a fraction or an exponent, or digits past
            // Int64.
            return .failure(Failure(message: prefix + GoDuration.parseIntFailure(GoDuration.numberText(d))))
        case .string(let s):
            switch goParseInt(s.isEmpty ? "0" : s) {
            case .success(let i): return .success(i)
            case .failure(let reason): return .failure(Failure(message: prefix + reason.text))
            }
        case .array, .object: return .failure(unconvertible(goType, v))
        }
    }

    /// TypeBool: Go's `strconv.ParseBool` over text and number literals (so `1`/`0` only), `""` and null are false.
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

    /// TypeFloat: Go's `strconv.ParseFloat(s, 64)` over text and number literals (`1e3`, `.5`, `2.`, `1_000`,
    /// `0x1p4`, `inf`, `NaN`; not `0x10` nor surrounding blanks), `""` and null are 0, booleans 1/0.
    public static func float(_ v: JSONValue) -> Result<Double, Failure> {
        let prefix = "'' cannot parse value as 'float64': strconv.ParseFloat: "
        switch v {
        case .null: return .success(0)
        case .int(let i): return .success(Double(i))
        case .double(let d):
            // A literal such as 1e400 that JSONValue read as infinity: ParseFloat's range error.
            return d.isFinite ? .success(d) : .failure(Failure(message: prefix + GoNumberError.range.text))
        case .bool(let b): return .success(b ? 1 : 0)
        case .string(let s):
            switch goParseFloat(s.isEmpty ? "0" : s) {
            case .success(let d): return .success(d)
            case .failure(let reason): return .failure(Failure(message: prefix + reason.text))
            }
        case .array, .object: return .failure(unconvertible("float64", v))
        }
    }

    /// TypeDurationSecond / TypeSignedDurationSecond: `parseutil.ParseDurationSecond` (integer seconds, `Nd` days,
    /// Go duration text; no trimming), then `int(d.Seconds())`; TypeDurationSecond refuses a negative result with
    /// `cannot provide negative value '-300'`. Null is 0 here (``FieldData`` treats it as not sent).
    public static func durationSecond(_ v: JSONValue, signed: Bool) -> Result<Int64, Failure> {
        GoDuration.parseDurationNanoseconds(v).flatMap { ns in
            let secs = GoDuration.goSeconds(nanoseconds: ns)
            if !signed && secs < 0 { return .failure(Failure(message: "cannot provide negative value '\(secs)'")) }
            return .success(secs)
        }
    }

    // MARK: - Lists

    /// One list element weakly decoded into a Go string (mapstructure's `decodeString`); nil for a list or an object.
    static func element(_ v: JSONValue) -> String? {
        switch v {
        case .null: return ""
        case .string(let s): return s
        case .int, .double: return numberText(v)
        case .bool(let b): return b ? "1" : "0"
        case .array, .object: return nil
        }
    }

    /// The elements mapstructure's weak decoding of `v` into a slice walks: a list as it is, an empty object as no
    /// elements, anything else lifted into a one-element list. Nil for null (the slice stays nil).
    static func sliceItems(_ v: JSONValue) -> [JSONValue]? {
        switch v {
        case .null: return nil
        case .array(let a): return a
        case .object(let o): return o.isEmpty ? [] : [v]
        default: return [v]
        }
    }

    /// Whether a list field's value reads as the empty list whatever the list's type: null or `""`.
    static func isEmptyList(_ v: JSONValue) -> Bool { v == .null || v == .string("") }

    /// mapstructure v2 `WeakDecode(v, &[]string)`: nil for null.
    static func weakStringList(_ v: JSONValue) -> Result<[String]?, Failure> {
        guard let items = sliceItems(v) else { return .success(nil) }
        var out: [String] = []
        out.reserveCapacity(items.count)
        var errors: [String] = []
        for (i, item) in items.enumerated() {
            if let s = element(item) {
                out.append(s)
            } else {
                errors.append(unconvertibleText("[\(i)]", "string", item))
            }
        }
        return errors.isEmpty ? .success(out) : .failure(joinedFailure(errors))
    }

    /// TypeCommaStringSlice (`parseutil.ParseCommaStringSlice`, which decodes with mitchellh/mapstructure v1): text
    /// split on commas (`""` is the empty list, empty parts kept), a number as its literal text, a boolean as
    /// `1`/`0`, a list element by element (no splitting), an empty object as the empty list; every element trimmed
    /// (Go's `strings.TrimSpace`). Other elements fail with v1's text, which shows the value as Go's `%v` prints it
    /// and lists the errors sorted: `1 error(s) decoding:\n\n* '[0]' expected type 'string', got unconvertible type
    /// 'map[string]interface {}', value: 'map[a:b]'`.
    public static func commaStringSlice(_ v: JSONValue) -> Result<[String], Failure> {
        if isEmptyList(v) { return .success([]) }
        let items: [JSONValue]
        switch v {
        case .string(let s): return .success(goSplit(s, ",").map(goTrimSpace))
        case .int, .double:
            return .success(goSplit(numberText(v), ",").map(goTrimSpace))
        default: items = sliceItems(v) ?? []
        }
        var out: [String] = []
        out.reserveCapacity(items.count)
        var errors: [String] = []
        for (i, item) in items.enumerated() {
            if let s = element(item) {
                out.append(goTrimSpace(s))
            } else {
                errors.append(
                    "* '[\(i)]' expected type 'string', got unconvertible type '\(goTypeName(item))', value: '\(goFormat(item))'")
            }
        }
        guard errors.isEmpty else {
            // v1's Error() sorts its lines (as Go strings: bytewise).
            let sorted = errors.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            return .failure(Failure(message: "\(errors.count) error(s) decoding:\n\n" + sorted.joined(separator: "\n")))
        }
        return .success(out)
    }

    /// TypeStringSlice: a list, or a single value as one element (never split); `""`, null and `{}` are the empty
    /// list; elements trimmed (Go's `strings.TrimSpace`). Other elements fail with mapstructure v2's text (no value).
    public static func stringSlice(_ v: JSONValue) -> Result<[String], Failure> {
        if isEmptyList(v) { return .success([]) }
        return weakStringList(v).map { ($0 ?? []).map(goTrimSpace) }
    }

    /// TypeCommaIntSlice: text split on commas (`""` is the empty list; no trimming), a number or a boolean as one
    /// element, a list element by element; each element as TypeInt reads it (`""` and null are 0, base prefixes
    /// work). The errors of every bad element are listed, in index order.
    public static func commaIntSlice(_ v: JSONValue) -> Result<[Int64], Failure> {
        if isEmptyList(v) { return .success([]) }
        let items: [JSONValue]
        switch v {
        case .string(let s): items = goSplit(s, ",").map { .string($0) }
        case .int(let i): items = [.string(String(i))]
        default: items = sliceItems(v) ?? []
        }
        var out: [Int64] = []
        out.reserveCapacity(items.count)
        var errors: [String] = []
        for (i, item) in items.enumerated() {
            let cannot = "'[\(i)]' cannot parse value as 'int': strconv.ParseInt: "
            switch item {
            case .null: out.append(0)
            case .bool(let b): out.append(b ? 1 : 0)
            case .int(let n): out.append(n)
            case .double(let d): errors.append(cannot + GoDuration.parseIntFailure(GoDuration.numberText(d)))
            case .string(let s):
                switch goParseInt(s.isEmpty ? "0" : s) {
                case .success(let n): out.append(n)
                case .failure(let reason): errors.append(cannot + reason.text)
                }
            case .array, .object: errors.append(unconvertibleText("[\(i)]", "int", item))
            }
        }
        return errors.isEmpty ? .success(out) : .failure(joinedFailure(errors))
    }

    // MARK: - Maps

    /// TypeMap: an object as it is (nested values untouched); a list of objects merged in order (later keys win,
    /// nested lists walked, `[]` is `{}`, a null element changes nothing); null is `.null` (a nil map). Anything else
    /// fails at the first bad element: `'[0]' expected type 'map[string]interface {}', got unconvertible type 'T'`.
    public static func map(_ v: JSONValue) -> Result<JSONValue, Failure> {
        var result: [String: JSONValue]? = nil
        if let failure = decodeMap(v, name: "", into: &result, value: { _, val in val }) { return .failure(failure) }
        return .success(result.map { .object($0) } ?? .null)
    }

    /// mapstructure's `decodeMap` into a map whose values `value` converts (nil: that value fails; the first such
    /// failure is returned, as a map of strings fails as a whole). `result` is the map being filled (nil until set).
    static func decodeMap(
        _ v: JSONValue, name: String, into result: inout [String: JSONValue]?,
        value: (String, JSONValue) -> JSONValue?
    ) -> Failure? {
        switch v {
        case .null: return nil
        case .object(let o):
            var m = result ?? [:]
            var failure: Failure? = nil
            for (k, val) in o {
                if let c = value(k, val) {
                    m[k] = c
                } else if failure == nil {
                    failure = Failure(message: unconvertibleText("\(name)[\(k)]", "string", val))
                }
            }
            result = m
            return failure
        case .array(let a):
            if a.isEmpty {
                if result == nil { result = [:] }
                return nil
            }
            for (i, item) in a.enumerated() {
                if let f = decodeMap(item, name: "\(name)[\(i)]", into: &result, value: value) { return f }
            }
            return nil
        default:
            return Failure(message: unconvertibleText(name, "map[string]interface {}", v))
        }
    }

    /// TypeKVPairs: first an object (or a list of objects, merged) whose values weakly decode to strings (numbers as
    /// their text, booleans `1`/`0`, null `""`); failing that, a list of strings (a single value lifted into one)
    /// each split at its first `=` with a non-empty key (`invalid key pair at index N in field "FIELD"`; no
    /// trimming, later keys win). Null, and `[null]`, are nil (Go's nil map).
    public static func kvPairs(_ v: JSONValue, field: String = "") -> Result<[String: String]?, Failure> {
        var asMap: [String: JSONValue]? = nil
        let mapFailure = decodeMap(v, name: "", into: &asMap) { _, val in element(val).map { .string($0) } }
        if mapFailure == nil {
            return .success(asMap.map { $0.compactMapValues(\.stringValue) })
        }
        let list: [String]
        switch weakStringList(v) {
        case .success(let l): list = l ?? []
        case .failure(let f): return .failure(f)
        }
        var out: [String: String] = [:]
        for (i, pair) in list.enumerated() {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                return .failure(Failure(message: "invalid key pair at index \(i) in field \(goQuote(field))"))
            }
            out[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
        }
        return .success(out)
    }

    // MARK: - Go's text functions

    /// Go's `strings.ToLower`: each scalar through `unicode.ToLower` (the simple case mapping, so `İ` is `i`, not
    /// `i̇`, and a final `Σ` is `σ`).
    public static func goToLower(_ s: String) -> String {
        if !s.utf8.contains(where: { $0 >= 0x80 || ($0 >= 0x41 && $0 <= 0x5A) }) { return s }
        var out = String.UnicodeScalarView()
        for scalar in s.unicodeScalars {
            if scalar.isASCII {
                let v = scalar.value
                out.append(v >= 0x41 && v <= 0x5A ? Unicode.Scalar(UInt8(v + 0x20)) : scalar)
            } else {
                // The full mapping differs from the simple one only for U+0130 (i + combining dot): its first scalar.
                out.append(scalar.properties.lowercaseMapping.unicodeScalars.first ?? scalar)
            }
        }
        return String(out)
    }

    /// Go's `strings.Split(s, sep)` for an ASCII separator: every occurrence of its byte splits, empty parts kept.
    /// (Swift's `split` on a String compares Characters, and a comma followed by a combining mark, `,\u{301}`, is one
    /// Character that is not `,`: found by FuzzFields.)
    public static func goSplit(_ s: String, _ separator: Unicode.Scalar) -> [String] {
        precondition(separator.isASCII)
        return s.utf8.split(separator: UInt8(separator.value), omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
    }

    /// Go's `strings.TrimSpace`: Unicode white space (`unicode.IsSpace`) off both ends.
    public static func goTrimSpace(_ s: String) -> String {
        let scalars = s.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        if first == scalars.startIndex && scalars.index(after: last) == scalars.endIndex { return s }
        return String(scalars[first...last])
    }

    /// Go's `strconv.Quote` (the `%q` verb) for a name: `"` and `\` escaped, `\n`-style escapes, other
    /// non-printable scalars as `\xNN` / `\uNNNN` / `\UNNNNNNNN`.
    public static func goQuote(_ s: String) -> String {
        var out = "\""
        func hex(_ v: UInt32, _ width: Int) -> String {
            let h = String(v, radix: 16)
            return String(repeating: "0", count: max(0, width - h.count)) + h
        }
        for scalar in s.unicodeScalars {
            if let escape = goEscapes.first(where: { $0.scalar == scalar }) {
                out.unicodeScalars.append("\\")
                out.unicodeScalars.append(escape.letter)
            } else if isGoPrintable(scalar) {
                out.unicodeScalars.append(scalar)
            } else if scalar.value < 0x80 {
                out += "\\x" + hex(scalar.value, 2)
            } else if scalar.value < 0x10000 {
                out += "\\u" + hex(scalar.value, 4)
            } else {
                out += "\\U" + hex(scalar.value, 8)
            }
        }
        return out + "\""
    }

    /// Go's one-letter escapes (`strconv.Quote` writes them, Go and HCL string literals read them): the letter after
    /// the backslash and the scalar it stands for.
    public static let goEscapes: [(letter: Unicode.Scalar, scalar: Unicode.Scalar)] = [
        ("\"", "\""), ("\\", "\\"), ("a", "\u{07}"), ("b", "\u{08}"), ("f", "\u{0C}"), ("n", "\n"), ("r", "\r"), ("t", "\t"),
        ("v", "\u{0B}"),
    ]

    /// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space.
    static func isGoPrintable(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return scalar.value >= 0x20 && scalar.value < 0x7F }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .spaceSeparator, .lineSeparator,
            .paragraphSeparator:
            return false
        default: return true
        }
    }

    /// Go's `%v` of a decoded JSON value (`map[a:1 b:[x y]]`, keys sorted, `<nil>` for null).
    public static func goFormat(_ v: JSONValue) -> String {
        switch v {
        case .null: return "<nil>"
        case .bool(let b): return b ? "true" : "false"
        case .int, .double: return numberText(v)
        case .string(let s): return s
        case .array(let a): return "[" + a.map(goFormat).joined(separator: " ") + "]"
        case .object(let o):
            let keys = o.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            return "map[" + keys.map { "\($0):\(goFormat(o[$0]!))" }.joined(separator: " ") + "]"
        }
    }

    // MARK: - Go's number parsers

    /// The reason of a Go `strconv.NumError`.
    public enum GoNumberError: Error, Equatable, Sendable {
        case syntax, range
        public var text: String {
            switch self {
            case .syntax: return "invalid syntax"
            case .range: return "value out of range"
            }
        }
    }

    /// Go's `strconv.ParseInt(s, 0, 64)`: optional sign, base prefix (`0x`, `0o`, `0b`, or `0` for octal), `_`
    /// only between digits (or after a prefix). Range errors are found while scanning, as in Go.
    public static func goParseInt(_ s: String) -> Result<Int64, GoNumberError> {
        var u = Array(s.utf8)[...]
        guard !u.isEmpty else { return .failure(.syntax) }
        var negative = false
        if u.first == UInt8(ascii: "+") {
            u = u.dropFirst()
        } else if u.first == UInt8(ascii: "-") {
            negative = true
            u = u.dropFirst()
        }
        let un: UInt64
        switch goParseUint(u) {
        case .success(let n): un = n
        case .failure(.syntax): return .failure(.syntax)
        case .failure(.range): un = UInt64.max
        }
        let cutoff: UInt64 = 1 << 63
        if !negative && un >= cutoff { return .failure(.range) }
        if negative && un > cutoff { return .failure(.range) }
        if negative { return .success(un == cutoff ? Int64.min : -Int64(un)) }
        return .success(Int64(un))
    }

    /// Go's `strconv.ParseUint(s, 0, 64)` over the bytes after the sign.
    static func goParseUint(_ s0: ArraySlice<UInt8>) -> Result<UInt64, GoNumberError> {
        guard !s0.isEmpty else { return .failure(.syntax) }
        var s = s0
        var base: UInt64 = 10
        if s.first == UInt8(ascii: "0") {
            let second = s.count >= 3 ? lower(s[s.startIndex + 1]) : 0
            switch second {
            case UInt8(ascii: "b"): base = 2; s = s.dropFirst(2)
            case UInt8(ascii: "o"): base = 8; s = s.dropFirst(2)
            case UInt8(ascii: "x"): base = 16; s = s.dropFirst(2)
            default: base = 8; s = s.dropFirst(1)
            }
        }
        let cutoff = UInt64.max / base + 1
        var underscores = false
        var n: UInt64 = 0
        for c in s {
            let d: UInt64
            if c == UInt8(ascii: "_") {
                underscores = true
                continue
            } else if c >= 0x30 && c <= 0x39 {
                d = UInt64(c - 0x30)
            } else if lower(c) >= UInt8(ascii: "a") && lower(c) <= UInt8(ascii: "z") {
                d = UInt64(lower(c) - UInt8(ascii: "a")) + 10
            } else {
                return .failure(.syntax)
            }
            if d >= base { return .failure(.syntax) }
            if n >= cutoff { return .failure(.range) }
            n *= base
            let (n1, overflow) = n.addingReportingOverflow(d)
            if overflow { return .failure(.range) }
            n = n1
        }
        if underscores && !underscoreOK(s0) { return .failure(.syntax) }
        return .success(n)
    }

    @inline(__always) static func lower(_ c: UInt8) -> UInt8 { c | 0x20 }

    /// Go's `underscoreOK`: underscores only between digits, or between a base prefix and a digit.
    static func underscoreOK(_ s0: ArraySlice<UInt8>) -> Bool {
        var s = s0
        if let f = s.first, f == UInt8(ascii: "+") || f == UInt8(ascii: "-") { s = s.dropFirst() }
        var saw: UInt8 = UInt8(ascii: "^")
        var hex = false
        if s.count >= 2, s.first == UInt8(ascii: "0") {
            let c = lower(s[s.startIndex + 1])
            if c == UInt8(ascii: "b") || c == UInt8(ascii: "o") || c == UInt8(ascii: "x") {
                s = s.dropFirst(2)
                saw = UInt8(ascii: "0")
                hex = c == UInt8(ascii: "x")
            }
        }
        for c in s {
            if (c >= 0x30 && c <= 0x39) || (hex && lower(c) >= UInt8(ascii: "a") && lower(c) <= UInt8(ascii: "f")) {
                saw = UInt8(ascii: "0")
                continue
            }
            if c == UInt8(ascii: "_") {
                if saw != UInt8(ascii: "0") { return false }
                saw = UInt8(ascii: "_")
                continue
            }
            if saw == UInt8(ascii: "_") { return false }
            saw = UInt8(ascii: "!")
        }
        return saw != UInt8(ascii: "_")
    }

    /// Go's `strconv.ParseFloat(s, 64)`: Go's float literal syntax (decimal with optional fraction and exponent,
    /// hexadecimal with a mandatory `p` exponent, `_` between digits), `inf`/`infinity`/`nan` in any case; the
    /// whole text must be the number. Overflow is `value out of range`, underflow is 0.
    public static func goParseFloat(_ s: String) -> Result<Double, GoNumberError> {
        let u = Array(s.utf8)
        if let special = goFloatSpecial(u) { return .success(special) }
        guard let end = goReadFloat(u), end == u.count else { return .failure(.syntax) }
        let cleaned = String(decoding: u.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)
        guard let d = Double(cleaned) else { return .failure(.syntax) }
        return d.isFinite ? .success(d) : .failure(.range)
    }

    /// Go's `special`: `[+-]inf`, `[+-]infinity`, `nan` (any case), only when they are the whole text.
    static func goFloatSpecial(_ u: [UInt8]) -> Double? {
        var s = u[...]
        var sign = 1.0
        var signed = false
        if let f = s.first, f == UInt8(ascii: "+") || f == UInt8(ascii: "-") {
            sign = f == UInt8(ascii: "-") ? -1 : 1
            signed = true
            s = s.dropFirst()
        }
        let lowered = String(decoding: s.map(lower), as: UTF8.self)
        if lowered == "inf" || lowered == "infinity" { return sign * .infinity }
        if !signed && lowered == "nan" { return .nan }
        return nil
    }

    /// Go's `readFloat` syntax check: the index after the number it reads, nil when the text does not start with a
    /// well-formed float literal.
    static func goReadFloat(_ u: [UInt8]) -> Int? {
        var i = 0
        var underscores = false
        if i < u.count, u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") { i += 1 }
        var hex = false
        if i + 2 < u.count, u[i] == UInt8(ascii: "0"), lower(u[i + 1]) == UInt8(ascii: "x") {
            hex = true
            i += 2
        }
        var sawDot = false
        var sawDigits = false
        loop: while i < u.count {
            let c = u[i]
            if c == UInt8(ascii: "_") {
                underscores = true
            } else if c == UInt8(ascii: ".") {
                if sawDot { break loop }
                sawDot = true
            } else if c >= 0x30 && c <= 0x39 {
                sawDigits = true
            } else if hex && lower(c) >= UInt8(ascii: "a") && lower(c) <= UInt8(ascii: "f") {
                sawDigits = true
            } else {
                break loop
            }
            i += 1
        }
        guard sawDigits else { return nil }
        let expChar = hex ? UInt8(ascii: "p") : UInt8(ascii: "e")
        if i < u.count, lower(u[i]) == expChar {
            i += 1
            guard i < u.count else { return nil }
            if u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") { i += 1 }
            guard i < u.count, u[i] >= 0x30, u[i] <= 0x39 else { return nil }
            while i < u.count, (u[i] >= 0x30 && u[i] <= 0x39) || u[i] == UInt8(ascii: "_") {
                if u[i] == UInt8(ascii: "_") { underscores = true }
                i += 1
            }
        } else if hex {
            return nil
        }
        if underscores && !underscoreOK(u[..<i]) { return nil }
        return i
    }
}
