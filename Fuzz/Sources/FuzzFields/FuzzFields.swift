import CofferSDK
import Foundation
import FuzzSupport

/// Duration and field parsing through the SDK's framework: ``FieldValue/convert(_:as:field:)`` for every
/// ``FieldType``, ``FieldData``'s reads of a field declared with each type, Go's number and text helpers
/// (`goParseInt`, `goParseFloat`, `goQuote`, `goTrimSpace`, `goFormat`), ``GoDuration`` and `parseDurationSeconds`, and
/// RFC 3339 times. No engine's internals. The first byte chooses how the rest is
/// read: even, as a JSON object whose members are the request fields; odd, as the text of one field (also tried as a
/// number).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFields(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzBytes(fuzzInput(data, size))
    let mode = input.byte()
    let rest = Array(input.rest)
    var fields: [String: JSONValue] = [:]
    if mode & 1 == 0 {
        guard let value = try? JSONValue.parse(rest) else { return 0 }
        switch value {
        case .object(let o): fields = o
        default: fields = ["v": value]
        }
    } else {
        let text = String(decoding: rest, as: UTF8.self)
        fields = ["v": .string(text)]
        if let i = Int64(text) { fields["i"] = .int(i) }
        if let d = Double(text) { fields["d"] = .double(d) }
    }

    for (key, value) in fields.prefix(16) {
        checkConversions(key, value)
        // FieldData with one type per input (chosen by the first byte's other bits): all thirteen per field cost most of
        // the time for little more coverage.
        checkFieldData(key, value, FieldType.allCases[Int(mode >> 1) % FieldType.allCases.count])
        checkDurations(value)

        _ = value.intValue
        _ = value.boolValue
        _ = FieldValue.goFormat(value)
        _ = FieldValue.goTypeName(value)
        if case .string(let s) = value {
            checkText(s)
            checkDurationText(s)
        }
    }
    return 0
}

/// Every type's conversion is total and gives the normalised shape its documentation promises; the related types
/// agree with one another.
func checkConversions(_ key: String, _ value: JSONValue) {
    var results: [FieldType: Result<JSONValue, FieldValue.Failure>] = [:]
    for type in FieldType.allCases {
        let result = FieldValue.convert(value, as: type, field: key)
        results[type] = result
        guard case .success(let c) = result else { continue }
        switch type {
        case .string, .lowerCaseString, .nameString:
            fuzzCheck(c.stringValue != nil, "\(type) converted to \(c)")
        case .int, .durationSecond, .signedDurationSecond:
            fuzzCheck({ if case .int = c { return true } else { return false } }(), "\(type) converted to \(c)")
        case .bool:
            fuzzCheck({ if case .bool = c { return true } else { return false } }(), "\(type) converted to \(c)")
        case .float:
            // Go's ParseFloat reads "inf", "infinity" and "nan" (any case, inf signed) as the special values, and
            // OpenBao takes them (FieldValueFixtureTests records `"inf"`); any other input converts to a finite value.
            if case .double(let d) = c { fuzzCheck(d.isFinite || isGoFloatSpecialText(value), "float converted \(value) to \(d)") } else {
                fuzzCheck(false, "float converted to \(c)")
            }
        case .commaStringSlice, .stringSlice:
            fuzzCheck(c.arrayValue?.allSatisfy { $0.stringValue != nil } == true, "\(type) converted to \(c)")
        case .commaIntSlice:
            fuzzCheck(
                c.arrayValue?.allSatisfy { if case .int = $0 { return true } else { return false } } == true,
                "\(type) converted to \(c)")
        case .map:
            fuzzCheck(c.isNull || c.objectValue != nil, "map converted to \(c)")
        case .kvPairs:
            fuzzCheck(
                c.isNull || c.objectValue?.values.allSatisfy { $0.stringValue != nil } == true, "kv_pairs converted to \(c)")
        case .slice:
            fuzzCheck(c.arrayValue != nil, "slice converted \(value) to \(c)")
        case .raw:
            fuzzCheck(c.sameJSON(value), "raw converted \(value) to \(c)")
        }
    }

    // A lowercase string is the string lowercased; a name string is the string when it converts at all.
    let string = try? results[.string]!.get()
    let lower = try? results[.lowerCaseString]!.get()
    fuzzCheck((string == nil) == (lower == nil), "string and lowercase_string disagree on \(value)")
    if let s = string?.stringValue {
        fuzzCheck(lower?.stringValue == FieldValue.goToLower(s), "lowercase_string of \(value) is not goToLower")
        if let name = try? results[.nameString]!.get() {
            fuzzCheck(name.stringValue == s, "name_string of \(value) is \(name)")
        }
    } else {
        fuzzCheck((try? results[.nameString]!.get()) == nil, "name_string converts \(value), string does not")
    }
    let direct = FieldValue.string(value)
    fuzzCheck((try? direct.get()) == string?.stringValue, "FieldValue.string and convert disagree on \(value)")

    // Durations: the unsigned type is the signed one without negative results; both are Go's int(d.Seconds()) of
    // parseutil's duration.
    let signed = try? results[.signedDurationSecond]!.get()
    let unsigned = try? results[.durationSecond]!.get()
    if let u = unsigned {
        fuzzCheck(signed == u, "duration_second \(u) but signed_duration_second \(String(describing: signed)) for \(value)")
        if case .int(let n) = u { fuzzCheck(n >= 0, "duration_second of \(value) is negative: \(n)") }
    } else if case .int(let n) = signed {
        fuzzCheck(n < 0, "signed_duration_second converts \(value) to \(n), duration_second refuses it")
    }
    let viaNanos = try? GoDuration.parseDurationNanoseconds(value).get()
    if case .int(let n) = signed {
        fuzzCheck(viaNanos.map { GoDuration.goSeconds(nanoseconds: $0) } == n, "signed duration \(n) of \(value) is not goSeconds")
    } else {
        fuzzCheck(viaNanos == nil, "parseDurationNanoseconds accepts \(value), signed_duration_second refuses it")
    }

    // An int field reads a JSON integer as itself, and the slice types agree with their element types.
    if case .int(let i) = value { fuzzCheck((try? results[.int]!.get()) == .int(i), "int of \(i) is not \(i)") }
    if case .success(.array(let a)) = results[.commaStringSlice]!, case .string(let s) = value, !s.isEmpty {
        fuzzCheck(a.count == s.utf8.filter { $0 == UInt8(ascii: ",") }.count + 1, "comma_string_slice of \(s) has \(a.count) parts")
    }
    if case .success(.array(let a)) = results[.stringSlice]!, case .string(let s) = value, !s.isEmpty {
        fuzzCheck(a == [.string(FieldValue.goTrimSpace(s))], "string_slice of \(s) is \(a)")
    }
}

/// ``FieldData`` over a schema declaring the field with `type`: validation accepts exactly what converts (a null
/// duration counts as not sent), and reads never fail with anything but the conversion's error.
func checkFieldData(_ key: String, _ value: JSONValue, _ type: FieldType) {
    do {
        let data = FieldData(raw: [key: value], schema: [key: Field(key, type)])
        let converts = (try? FieldValue.convert(value, as: type, field: key).get()) != nil
        let failure = data.validationFailure()
        fuzzCheck((failure == nil) == converts, "\(type): validation \(failure ?? "passes") but convert \(converts) for \(value)")
        fuzzCheck(data.has(key), "has(\(key)) is false")
        let unsetDuration = value.isNull && (type == .durationSecond || type == .signedDurationSecond)
        do {
            let got = try data.getOk(key)
            fuzzCheck(unsetDuration ? got == nil : converts && got != nil, "\(type): getOk \(String(describing: got)) of \(value)")
        } catch {
            fuzzCheck(!converts && !unsetDuration, "\(type): getOk of \(value) throws \(error) but it converts")
        }
    }
}

/// Duration values: parseutil's duration of a JSON value stays within Go's `time.Duration`, and the seconds and
/// nanoseconds forms agree.
func checkDurations(_ value: JSONValue) {
    _ = parseDurationSeconds(value)
    let seconds = GoDuration.parseDurationSecond(value)
    let nanos = GoDuration.parseDurationNanoseconds(value)
    if case .success(let s) = seconds {
        fuzzCheck(s.magnitude <= GoDuration.maxSeconds.magnitude, "duration \(s)s is past Go's range")
        fuzzCheck((try? nanos.get()).map { $0 / 1_000_000_000 } == s, "duration \(s)s but \(nanos) ns for \(value)")
    } else {
        fuzzCheck((try? nanos.get()) == nil, "nanoseconds \(nanos) of \(value) but seconds fail")
    }
}

/// Go's number and text helpers on arbitrary text.
func checkText(_ s: String) {
    let trimmed = FieldValue.goTrimSpace(s)
    fuzzCheck(FieldValue.goTrimSpace(trimmed) == trimmed, "goTrimSpace is not idempotent on \(s.debugDescription)")
    let quoted = FieldValue.goQuote(s)
    // (Bytes, not Characters: a leading combining mark joins the opening quote into one Character.)
    let q = Array(quoted.utf8)
    fuzzCheck(q.count >= 2 && q.first == 0x22 && q.last == 0x22, "goQuote(\(s.debugDescription)) = \(quoted)")
    _ = FieldValue.goToLower(s)
    if !s.isEmpty, let b = FieldValue.goBool(s) {
        fuzzCheck((try? FieldValue.bool(.string(s)).get()) == b, "bool of \(s.debugDescription) is not goBool")
    }

    // A plain decimal integer (no prefix, no leading zero, no underscore) parses as Swift parses it.
    let u = Array(s.utf8)
    let digits = u.first == UInt8(ascii: "-") || u.first == UInt8(ascii: "+") ? u.dropFirst() : u[...]
    let plainInt = !digits.isEmpty && digits.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && (digits.first != 0x30 || digits.count == 1)
    let parsed = FieldValue.goParseInt(s)
    if plainInt {
        if let i = Int64(s) {
            fuzzCheck(parsed == .success(i), "goParseInt(\(s)) = \(parsed), not \(i)")
        } else {
            fuzzCheck(parsed == .failure(.range), "goParseInt(\(s)) = \(parsed), not a range error")
        }
    }
    if case .success(let i) = parsed, !s.contains("_") {
        // Whatever the base, the value is within Int64 and a decimal rendering parses back to it.
        fuzzCheck(FieldValue.goParseInt(String(i)) == .success(i), "goParseInt(String(\(i))) differs")
    }

    // A plain decimal float parses as Swift's (correctly rounded) parser reads it.
    let float = FieldValue.goParseFloat(s)
    if isPlainDecimalFloat(digits), let d = Double(s) {
        if d.isFinite {
            fuzzCheck(float == .success(d), "goParseFloat(\(s)) = \(float), not \(d)")
        } else {
            fuzzCheck(float == .failure(.range), "goParseFloat(\(s)) = \(float), not a range error")
        }
    }
    if case .success(let d) = float { fuzzCheck(!d.isNaN || s.lowercased().contains("nan"), "goParseFloat(\(s)) is NaN") }
}

/// `digits(.digits)?([eE][+-]?digits)?` with at least one digit before the point.
func isPlainDecimalFloat(_ u: ArraySlice<UInt8>) -> Bool {
    var i = u.startIndex
    func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    let start = i
    while i < u.endIndex, isDigit(u[i]) { i += 1 }
    guard i > start else { return false }
    if i < u.endIndex, u[i] == UInt8(ascii: ".") {
        i += 1
        let f = i
        while i < u.endIndex, isDigit(u[i]) { i += 1 }
        guard i > f else { return false }
    }
    if i < u.endIndex, u[i] == UInt8(ascii: "e") || u[i] == UInt8(ascii: "E") {
        i += 1
        if i < u.endIndex, u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") { i += 1 }
        let e = i
        while i < u.endIndex, isDigit(u[i]) { i += 1 }
        guard i > e else { return false }
    }
    return i == u.endIndex
}

/// Duration text: Go's parser and the seconds parser must not crash; what they accept formats back to itself.
func checkDurationText(_ s: String) {
    _ = parseDurationSeconds(s)
    _ = GoDuration.parseGoDuration(s)
    if case .success(let seconds) = GoDuration.parseSeconds(s) {
        fuzzCheck(seconds.magnitude <= GoDuration.maxSeconds.magnitude, "parseSeconds(\(s)) = \(seconds) is past Go's range")
        let text = GoDuration.format(seconds: seconds)
        let back = GoDuration.parseSeconds(text)
        fuzzCheck(back == .success(seconds), "GoDuration.format(\(seconds)) = \(text) parses back as \(back)")
    }
    if let date = parseVaultTime(s) {
        let text = formatVaultTime(date)
        fuzzCheck(parseVaultTime(text) != nil, "formatVaultTime of a parsed time does not parse: \(s) -> \(text)")
    }
}

/// Whether `value` is text Go's `strconv.ParseFloat` reads as infinity or NaN.
func isGoFloatSpecialText(_ value: JSONValue) -> Bool {
    guard case .string(let s) = value else { return false }
    // ASCII case folding only, as Go's special-value check.
    var t = s.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }[...]
    let signed = t.first == UInt8(ascii: "+") || t.first == UInt8(ascii: "-")
    if signed { t = t.dropFirst() }
    return t.elementsEqual("inf".utf8) || t.elementsEqual("infinity".utf8) || (!signed && t.elementsEqual("nan".utf8))
}
