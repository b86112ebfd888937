import CofferSDK
import Foundation
import Testing

/// One recorded request of `Fixtures/openbao-field-types.json`: a value sent to a field of a real OpenBao 2.7.2, and
/// what it answered (see the file's `conventions`).
struct OpenBaoFieldCase: Sendable, CustomStringConvertible {
    var type: String
    var endpoint: String
    var field: String
    /// `Field validation failed: ` or empty (paths with an existence check).
    var errorPrefix: String
    var sentinel: JSONValue?
    var inputJSON: String
    var ok: Bool
    var value: JSONValue?
    var error: String?
    var layer: String?

    var description: String { "\(type) \(endpoint) \(inputJSON)" }
}

/// The recorded cases, and the checks of ``FieldValue`` and ``FieldData`` against them.
enum OpenBaoFieldFixture {
    static let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/openbao-field-types.json")

    static let document: JSONValue? = {
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONValue.parse(data)
    }()

    static let cases: [OpenBaoFieldCase] = {
        guard case .object(let types)? = document?["types"] else { return [] }
        var out: [OpenBaoFieldCase] = []
        for (type, t) in types.sorted(by: { $0.key < $1.key }) {
            for endpoint in t["endpoints"]?.arrayValue ?? [] {
                let sentinel = endpoint["sentinel_json"]?.stringValue.flatMap { try? JSONValue.parse($0) }
                for c in endpoint["cases"]?.arrayValue ?? [] {
                    out.append(
                        OpenBaoFieldCase(
                            type: type, endpoint: endpoint["id"]?.stringValue ?? "", field: endpoint["field"]?.stringValue ?? "",
                            errorPrefix: endpoint["framework_error_prefix"]?.stringValue ?? "", sentinel: sentinel,
                            inputJSON: c["input_json"]?.stringValue ?? "", ok: c["ok"] == .bool(true), value: c["value"],
                            error: c["error"]?.stringValue, layer: c["layer"]?.stringValue))
                }
            }
        }
        return out
    }()

    /// How Coffer converts each OpenBao type. TypeInt64 has no FieldType (no Coffer path declares one) but its rules
    /// are TypeInt's with `int64` in the texts (`FieldValue.int(_:goType:)`). Not checked here: TypeTime (no FieldType,
    /// no Coffer path declares one) and TypeSlice, whose recorded errors all come from transit's handler (replayed by
    /// TransitEngineTests.OpenBaoFixtureTests).
    enum Conversion: Sendable {
        case type(FieldType)
        case int64
    }

    static let conversions: [String: Conversion] = [
        "TypeString": .type(.string), "TypeLowerCaseString": .type(.lowerCaseString), "TypeInt": .type(.int),
        "TypeInt64": .int64, "TypeFloat": .type(.float), "TypeBool": .type(.bool),
        "TypeDurationSecond": .type(.durationSecond), "TypeSignedDurationSecond": .type(.signedDurationSecond),
        "TypeCommaStringSlice": .type(.commaStringSlice), "TypeStringSlice": .type(.stringSlice),
        "TypeCommaIntSlice": .type(.commaIntSlice), "TypeMap": .type(.map), "TypeKVPairs": .type(.kvPairs),
    ]

    /// The endpoints whose read-back is the converted value itself, per type (others post-process it: kv's
    /// `max_versions` reads -1 as 4294967295, approle sorts and lowercases policies, kv data re-normalises numbers,
    /// sys tune merges options, `delete_version_after` is a Go duration string...).
    static let echoEndpoints: [String: Set<String>] = [
        "TypeString": ["string/sys-mounts-tune-description", "string/jwt-role-bound_subject"],
        "TypeLowerCaseString": ["lowercasestring/jwt-config-default_role"],
        "TypeInt": ["int/approle-role-token_num_uses"],
        "TypeInt64": ["int64/sys-rotate-config-max_operations"],
        "TypeFloat": ["float/sys-quotas-rate-limit-rate"],
        "TypeBool": ["bool/kv-config-cas_required", "bool/approle-role-token_no_default_policy"],
        "TypeDurationSecond": ["duration/approle-role-token-ttl-subpath", "duration/approle-role-token_ttl"],
        "TypeSignedDurationSecond": ["signedduration/jwt-role-clock_skew_leeway"],
        "TypeCommaStringSlice": ["commastringslice/jwt-role-oidc_scopes"],
        "TypeStringSlice": ["stringslice/sys-config-ui-headers-values"],
        // The read-back is the versions among 1...3 (the secret's) that the call deleted.
        "TypeCommaIntSlice": ["commaintslice/kv-delete-versions"],
        "TypeMap": ["map/jwt-role-bound_claims"],
        "TypeKVPairs": ["kvpairs/jwt-role-claim_mappings", "kvpairs/identity-entity-name-metadata"],
    ]

    /// Cases Coffer cannot match, by `type|input_json`, with the reason. All come from one limit: OpenBao sees a JSON
    /// number as its literal text (json.Number), ``JSONValue`` keeps `.int` for integer literals within Int64 and
    /// `.double` otherwise, so `-0` reads as `0`, `1e3`/`1E3` as `1000.0`, `1e-3` as `0.001`, and
    /// `-9223372036854775809` as the double -2^63 (`-9223372036854775808`).
    static let exceptions: [String: String] = {
        let negativeZero = "-0 parses as .int(0): the literal's sign is lost"
        let exponent = "the literal's text is lost: JSONValue holds the double, written back as 1000.0"
        let smallExponent = "the literal's text is lost: JSONValue holds the double, written back as 0.001"
        let belowInt64 = "-9223372036854775809 is the double -2^63, written back as -9223372036854775808"
        var out: [String: String] = [:]
        // Types that keep a number's text.
        for type in ["TypeString", "TypeLowerCaseString", "TypeCommaStringSlice", "TypeStringSlice"] {
            out["\(type)|-0"] = negativeZero
            out["\(type)|1e3"] = exponent
            out["\(type)|1E3"] = exponent
            out["\(type)|1e-3"] = smallExponent
            out["\(type)|-9223372036854775809"] = belowInt64
        }
        out["TypeBool|-0"] = negativeZero + " (0 is false; OpenBao's ParseBool refuses \"-0\")"
        for type in ["TypeDurationSecond", "TypeSignedDurationSecond"] {
            out["\(type)|1e3"] = exponent + " (missing unit in \"1000.0\" instead of unknown unit \"e\")"
            out["\(type)|1E3"] = exponent + " (missing unit in \"1000.0\" instead of unknown unit \"E\")"
            out["\(type)|1e-3"] = smallExponent + " (missing unit in \"0.001\" instead of unknown unit \"e-\")"
            out["\(type)|-9223372036854775809"] = belowInt64 + ": an overflow instead of an invalid duration"
        }
        return out
    }()

    static func key(_ c: OpenBaoFieldCase) -> String { "\(c.type)|\(c.inputJSON)" }

    /// A JSON number as a double (`1` and `1.0` alike).
    static func number(_ v: JSONValue) -> Double? {
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// The mismatches of one case (empty when Coffer answers as OpenBao did).
    static func mismatches(_ c: OpenBaoFieldCase) -> [String] {
        guard let conversion = conversions[c.type] else { return [] }
        let input: JSONValue
        do { input = try JSONValue.parse(c.inputJSON) } catch { return ["input does not parse: \(error)"] }
        var out: [String] = []

        // What Coffer answers: FieldData's validation text, and the converted value.
        let failure: String?
        let converted: JSONValue?
        var fields: FieldData? = nil
        switch conversion {
        case .type(let t):
            let d = FieldData(raw: [c.field: input], schema: [c.field: Field(c.field, t)])
            fields = d
            failure = d.validationFailure()
            converted = try? FieldValue.convert(input, as: t, field: c.field).get()
        case .int64:
            switch FieldValue.int(input, goType: "int64") {
            case .success(let i):
                failure = nil
                converted = .int(i)
            case .failure(let f):
                failure = FieldData.conversionError(c.field, f.message)
                converted = nil
            }
        }

        if c.layer == "framework" {
            // Framework-layer errors: exactly OpenBao's text, with the endpoint's prefix.
            let expected = c.error ?? ""
            if let failure {
                if c.errorPrefix + failure != expected { out.append("error \(String(reflecting: failure)), OpenBao \(String(reflecting: expected))") }
            } else {
                out.append("converted to \(converted.map { $0.serialized() } ?? "nil"), OpenBao failed: \(String(reflecting: expected))")
            }
            return out
        }
        // Accepted by OpenBao's framework (a handler-layer error comes after a successful conversion).
        if let failure {
            out.append("failed with \(String(reflecting: failure)), OpenBao's framework accepted it")
            return out
        }
        guard c.ok, echoEndpoints[c.type]?.contains(c.endpoint) == true, let converted else { return out }
        let readBack = c.value ?? .null

        // The value OpenBao stored, in the form the endpoint reads it back.
        let expected: JSONValue
        switch c.type {
        case "TypeCommaIntSlice":
            // The versions among the secret's 1...3 that the call deleted.
            expected = .array(Set((converted.arrayValue ?? []).compactMap(\.intValue)).intersection([1, 2, 3]).sorted().map { .int($0) })
        case "TypeFloat":
            // 1 and 1.0 alike.
            if let a = number(converted), a == number(readBack) { expected = readBack } else { expected = converted }
        default: expected = converted
        }
        if expected == readBack { return out }
        // A read-back equal to the value set before the case: OpenBao took the input as not sent.
        if let sentinel = c.sentinel, readBack == sentinel {
            let read: JSONValue?
            do { read = try fields?.getOk(c.field) } catch { return out + ["FieldData.getOk threw \(error)"] }
            // (JSONValue is ExpressibleByNilLiteral: match the optional's case, not `nil`.)
            if case .some(let r) = read { out.append("OpenBao took it as not sent; FieldData.getOk reads \(r.serialized())") }
            return out
        }
        out.append("converted to \(converted.serialized()), OpenBao read back \(readBack.serialized())")
        return out
    }
}

/// ``FieldValue`` against every recorded case of OpenBao 2.7.2 (`Fixtures/openbao-field-types.json`): framework-layer
/// errors with OpenBao's exact text, accepted values converted, and the converted value equal to the read-back where
/// the endpoint stores it unchanged. The rules themselves, with literal values, follow in ``FieldValueRuleTests``.
@Suite struct FieldValueFixtureTests {
    static let types = OpenBaoFieldFixture.conversions.keys.sorted()

    @Test func fixtureLoads() {
        #expect(OpenBaoFieldFixture.document?["openbao_version"] == "2.7.2")
        #expect(OpenBaoFieldFixture.cases.count == 3003)
        for type in Self.types {
            #expect(OpenBaoFieldFixture.cases.contains { $0.type == type }, "no recorded case for \(type)")
        }
    }

    @Test(arguments: types) func recordedCases(type: String) {
        let cases = OpenBaoFieldFixture.cases.filter { $0.type == type }
        #expect(!cases.isEmpty)
        var excepted: Set<String> = []
        for c in cases {
            let problems = OpenBaoFieldFixture.mismatches(c)
            let key = OpenBaoFieldFixture.key(c)
            if OpenBaoFieldFixture.exceptions[key] != nil {
                if !problems.isEmpty { excepted.insert(key) }
                continue
            }
            #expect(problems.isEmpty, "\(c): \(problems.joined(separator: "; "))")
        }
        // An exception that no longer differs anywhere must leave the list.
        for key in OpenBaoFieldFixture.exceptions.keys where key.hasPrefix(type + "|") {
            #expect(excepted.contains(key), "exception \(key) matches OpenBao now (or is not recorded): remove it")
        }
    }
}

/// The conversion rules with literal values, readable without the fixture (each one recorded from OpenBao 2.7.2).
@Suite struct FieldValueRuleTests {
    func ok(_ json: String, _ type: FieldType, field: String = "f") -> JSONValue? {
        guard let v = try? JSONValue.parse(json) else { return nil }
        return try? FieldValue.convert(v, as: type, field: field).get()
    }

    func error(_ json: String, _ type: FieldType, field: String = "f") -> String? {
        guard let v = try? JSONValue.parse(json) else { return nil }
        if case .failure(let f) = FieldValue.convert(v, as: type, field: field) { return f.message }
        return nil
    }

    @Test func string() {
        #expect(ok(#"" 5 ""#, .string) == " 5 ")
        #expect(ok("1.5", .string) == "1.5")
        #expect(ok("1e300", .string) == "1e300")
        #expect(ok("9223372036854775808", .string) == "9223372036854775808")
        #expect(ok("true", .string) == "1")
        #expect(ok("false", .string) == "0")
        #expect(ok("null", .string) == "")
        #expect(error("[]", .string) == "'' expected type 'string', got unconvertible type '[]interface {}'")
        #expect(error(#"{"a":1}"#, .string) == "'' expected type 'string', got unconvertible type 'map[string]interface {}'")
    }

    @Test func lowerCaseString() {
        #expect(ok(#""MiXeD Case""#, .lowerCaseString) == "mixed case")
        #expect(ok(#""ÄÖÜ""#, .lowerCaseString) == "äöü")
        // Go's unicode.ToLower maps each scalar alone: U+0130 is "i" (Swift's lowercased() gives "i̇").
        #expect(ok(#""İ""#, .lowerCaseString) == "i")
        #expect(ok(#""ΑΣ""#, .lowerCaseString) == "ασ")
        #expect(ok("true", .lowerCaseString) == "1")
        #expect(error("[]", .lowerCaseString) == "'' expected type 'string', got unconvertible type '[]interface {}'")
    }

    @Test func nameString() {
        #expect(ok(#""a-b.c_d""#, .nameString) == "a-b.c_d")
        #expect(error(#""-abc""#, .nameString) == "field does not match the formatting rules")
        #expect(error(#""a b""#, .nameString) == "field does not match the formatting rules")
    }

    @Test func int() {
        for (json, value) in [
            (#""0x10""#, 16), (#""010""#, 8), (#""0b101""#, 5), (#""0o17""#, 15), (#""+5""#, 5), (#""1_000""#, 1000),
            (#""-0x10""#, -16), (#""""#, 0), ("true", 1), ("false", 0), ("null", 0), ("-1", -1),
            ("9223372036854775807", Int64.max), (#""-9223372036854775808""#, Int64.min), (#""0""#, 0),
        ] as [(String, Int64)] {
            #expect(ok(json, .int) == .int(value), "\(json)")
        }
        let syntax = "'' cannot parse value as 'int': strconv.ParseInt: invalid syntax"
        let range = "'' cannot parse value as 'int': strconv.ParseInt: value out of range"
        for json in [#""abc""#, #"" 5 ""#, #""1 ""#, "1.0", "1.5", "1e3", #""1e3""#, #""٣""#, #""_1""#, #""1__0""#, #""0x""#, #""08""#, #""+""#] {
            #expect(error(json, .int) == syntax, "\(json)")
        }
        for json in ["9223372036854775808", #""9223372036854775808""#, "-9223372036854775809", #""0x8000000000000000""#] {
            #expect(error(json, .int) == range, "\(json)")
        }
        #expect(error("[1]", .int) == "'' expected type 'int', got unconvertible type '[]interface {}'")
        #expect(error("{}", .int) == "'' expected type 'int', got unconvertible type 'map[string]interface {}'")
        #expect(FieldValue.int(.string("x"), goType: "int64").failureMessage
            == "'' cannot parse value as 'int64': strconv.ParseInt: invalid syntax")
    }

    @Test func bool() {
        for json in [#""1""#, #""t""#, #""T""#, #""TRUE""#, #""true""#, #""True""#, "1", "true"] {
            #expect(ok(json, .bool) == true, "\(json)")
        }
        for json in [#""0""#, #""f""#, #""F""#, #""FALSE""#, #""false""#, #""False""#, "0", "false", #""""#, "null"] {
            #expect(ok(json, .bool) == false, "\(json)")
        }
        let bad = "'' cannot parse value as 'bool': strconv.ParseBool: invalid syntax"
        for json in ["2", "-1", "1.0", #""yes""#, #"" true""#, #""tRUE""#] {
            #expect(error(json, .bool) == bad, "\(json)")
        }
        #expect(error("[]", .bool) == "'' expected type 'bool', got unconvertible type '[]interface {}'")
    }

    @Test func float() {
        for (json, value) in [
            (#""1e3""#, 1000.0), (#"".5""#, 0.5), (#""2.""#, 2), (#""1_000""#, 1000), (#""0x1p4""#, 16), (#""010""#, 10),
            ("true", 1), (#""""#, 0), ("1e-400", 0), ("1.5", 1.5),
        ] as [(String, Double)] {
            #expect(ok(json, .float) == .double(value), "\(json)")
        }
        #expect(ok(#""inf""#, .float) == .double(.infinity))
        let syntax = "'' cannot parse value as 'float64': strconv.ParseFloat: invalid syntax"
        for json in [#""0x10""#, #""  2""#, #""abc""#, #""1e""#, #""+nan""#, #""infin""#] {
            #expect(error(json, .float) == syntax, "\(json)")
        }
        #expect(error(#""1e400""#, .float) == "'' cannot parse value as 'float64': strconv.ParseFloat: value out of range")
        #expect(error("{}", .float) == "'' expected type 'float64', got unconvertible type 'map[string]interface {}'")
    }

    @Test func durations() {
        for (json, value) in [
            (#""1h""#, 3600), (#""2d""#, 172_800), (#""010""#, 10), (#""+5""#, 5), (#""1500ms""#, 1), (#""1ms""#, 0),
            (#""1.5h""#, 5400), (#""""#, 0), ("300", 300), (#""0d""#, 0),
        ] as [(String, Int64)] {
            #expect(ok(json, .durationSecond) == .int(value), "\(json)")
        }
        #expect(ok(#""-1.5s""#, .signedDurationSecond) == -1)
        #expect(ok(#""-1d""#, .signedDurationSecond) == -86_400)
        #expect(error(#""-5m""#, .durationSecond) == "cannot provide negative value '-300'")
        #expect(error(#""-1d""#, .durationSecond) == "cannot provide negative value '-86400'")
        #expect(error(#""1.5d""#, .durationSecond) == #"strconv.ParseInt: parsing "1.5": invalid syntax"#)
        #expect(error(#""Hello-World""#, .durationSecond) == #"strconv.ParseInt: parsing "Hello-Worl": invalid syntax"#)
        #expect(error(#""10D""#, .durationSecond) == #"time: unknown unit "D" in duration "10D""#)
        #expect(error("1.5", .durationSecond) == #"time: missing unit in duration "1.5""#)
        #expect(error(#"" 5 ""#, .durationSecond) == #"time: invalid duration " 5 ""#)
        #expect(error("9223372036854775807", .durationSecond) == GoDuration.overflowMessage)
        #expect(error("true", .durationSecond) == "could not parse duration from input")
        #expect(error("[]", .signedDurationSecond) == "could not parse duration from input")
        // Go's int(d.Seconds()) rounds up here (the float sum reaches the next second).
        #expect(ok(#""16777216.999999999s""#, .durationSecond) == 16_777_217)
    }

    @Test func nullDurationIsNotSent() throws {
        let d = FieldData(raw: ["ttl": nil, "n": nil], schema: [
            "ttl": Field("ttl", .durationSecond, default: 30), "n": Field("n", .int),
            "missing-from-raw-but-declared": Field("missing-from-raw-but-declared", .signedDurationSecond),
        ])
        // (JSONValue is ExpressibleByNilLiteral: compare with the optional's .none, not `nil`.)
        #expect(try d.getOk("ttl") == Optional<JSONValue>.none)
        #expect(try d.get("ttl") == .int(30))
        #expect(try d.durationIfSet("ttl") == Optional<Int64>.none)
        #expect(try d.getOk("n") == .some(.int(0)))
        #expect(try d.getOk("missing-from-raw-but-declared") == Optional<JSONValue>.none)
        #expect(d.validationFailure() == nil)
    }

    @Test func commaStringSlice() {
        #expect(ok(#""a,b, c""#, .commaStringSlice) == ["a", "b", "c"])
        #expect(ok(#""a,,b""#, .commaStringSlice) == ["a", "", "b"])
        #expect(ok(#"",""#, .commaStringSlice) == ["", ""])
        #expect(ok(#"" ""#, .commaStringSlice) == [""])
        #expect(ok(#""a\\,b""#, .commaStringSlice) == [#"a\"#, "b"])
        #expect(ok(#"["a,b"," c\n"]"#, .commaStringSlice) == ["a,b", "c"])
        #expect(ok(#"["a", 1, true, null]"#, .commaStringSlice) == ["a", "1", "1", ""])
        #expect(ok("1.5", .commaStringSlice) == ["1.5"])
        // A comma followed by a combining mark still splits, as Go's strings.Split splits bytes (FuzzFields found
        // Swift's Character-wise split keeping ",\u{0657}" whole).
        #expect(ok("\"a,\u{0657}b, \u{0301}\"", .commaStringSlice) == ["a", "\u{0657}b", "\u{0301}"])
        #expect(ok("\"1,\u{0301}2\"", .commaIntSlice) == nil)
        #expect(error("\"1,\u{0301}\"", .commaIntSlice)
            == "decoding failed due to the following error(s):\n\n'[1]' cannot parse value as 'int': strconv.ParseInt: invalid syntax")
        for json in [#""""#, "null", "[]", "{}"] {
            #expect(ok(json, .commaStringSlice) == [], "\(json)")
        }
        let head = "1 error(s) decoding:\n\n* '[0]' expected type 'string', got unconvertible type "
        #expect(error(#"{"a":"b"}"#, .commaStringSlice) == head + "'map[string]interface {}', value: 'map[a:b]'")
        #expect(error(#"{"b":[1,2],"a":null}"#, .commaStringSlice) == head + "'map[string]interface {}', value: 'map[a:<nil> b:[1 2]]'")
        #expect(error(#"[["a"]]"#, .commaStringSlice) == head + "'[]interface {}', value: '[a]'")
        // v1 sorts its lines as strings.
        let many = (0..<11).map { _ in "[]" }.joined(separator: ",")
        #expect(error("[\(many)]", .commaStringSlice)?.hasPrefix("11 error(s) decoding:\n\n* '[0]' expected type 'string', got unconvertible type '[]interface {}', value: '[]'\n* '[10]'") == true)
    }

    @Test func stringSlice() {
        #expect(ok(#""a,b, c""#, .stringSlice) == ["a,b, c"])
        #expect(ok(#"" a , b ""#, .stringSlice) == ["a , b"])
        #expect(ok(#"" ""#, .stringSlice) == [""])
        #expect(ok("1e300", .stringSlice) == ["1e300"])
        for json in [#""""#, "null", "[]", "{}"] {
            #expect(ok(json, .stringSlice) == [], "\(json)")
        }
        #expect(error(#"{"a":"b"}"#, .stringSlice)
            == "decoding failed due to the following error(s):\n\n'[0]' expected type 'string', got unconvertible type 'map[string]interface {}'")
        #expect(error(#"[["a"], "b", {}]"#, .stringSlice)
            == "decoding failed due to the following error(s):\n\n'[0]' expected type 'string', got unconvertible type '[]interface {}'\n'[2]' expected type 'string', got unconvertible type 'map[string]interface {}'")
    }

    @Test func commaIntSlice() {
        #expect(ok(#""1,2,3""#, .commaIntSlice) == [1, 2, 3])
        #expect(ok(#"[3,"0x1",true,null]"#, .commaIntSlice) == [3, 1, 1, 0])
        #expect(ok(#"",""#, .commaIntSlice) == [0, 0])
        #expect(ok("2", .commaIntSlice) == [2])
        for json in [#""""#, "null", "[]", "{}"] {
            #expect(ok(json, .commaIntSlice) == [], "\(json)")
        }
        let head = "decoding failed due to the following error(s):\n\n"
        #expect(error(#""a,,b""#, .commaIntSlice)
            == head + "'[0]' cannot parse value as 'int': strconv.ParseInt: invalid syntax\n'[2]' cannot parse value as 'int': strconv.ParseInt: invalid syntax")
        #expect(error(#""1, 2""#, .commaIntSlice) == head + "'[1]' cannot parse value as 'int': strconv.ParseInt: invalid syntax")
        #expect(error("1.0", .commaIntSlice) == head + "'[0]' cannot parse value as 'int': strconv.ParseInt: invalid syntax")
        #expect(error("-9223372036854775809", .commaIntSlice) == head + "'[0]' cannot parse value as 'int': strconv.ParseInt: value out of range")
        #expect(error(#"{"a":1}"#, .commaIntSlice) == head + "'[0]' expected type 'int', got unconvertible type 'map[string]interface {}'")
    }

    @Test func map() {
        #expect(ok(#"{"n":{"deep":[1,{"x":null}]}}"#, .map) == ["n": ["deep": [1, ["x": nil]]]])
        #expect(ok(#"[{"a":1},{"b":2}]"#, .map) == ["a": 1, "b": 2])
        #expect(ok(#"[{"a":1},{"a":2}]"#, .map) == ["a": 2])
        #expect(ok("[]", .map) == [:])
        #expect(ok("{}", .map) == [:])
        #expect(ok("null", .map) == .null)
        #expect(ok("[null]", .map) == .null)
        #expect(error(#""a""#, .map) == "'' expected type 'map[string]interface {}', got unconvertible type 'string'")
        #expect(error("1", .map) == "'' expected type 'map[string]interface {}', got unconvertible type 'json.Number'")
        #expect(error("true", .map) == "'' expected type 'map[string]interface {}', got unconvertible type 'bool'")
        #expect(error(#"["a", 1]"#, .map) == "'[0]' expected type 'map[string]interface {}', got unconvertible type 'string'")
        #expect(error(#"[{}, 1]"#, .map) == "'[1]' expected type 'map[string]interface {}', got unconvertible type 'json.Number'")
        #expect(error(#"[["a"]]"#, .map) == "'[0][0]' expected type 'map[string]interface {}', got unconvertible type 'string'")
    }

    @Test func kvPairs() {
        #expect(ok(#"{"a":1,"b":true,"c":null,"d":1.5}"#, .kvPairs) == ["a": "1", "b": "1", "c": "", "d": "1.5"])
        #expect(ok(#"[{"a":1},{"b":2}]"#, .kvPairs) == ["a": "1", "b": "2"])
        #expect(ok(#""k=v,k2=v2""#, .kvPairs) == ["k": "v,k2=v2"])
        #expect(ok(#"["k=v=w", "e=", " k = v "]"#, .kvPairs) == ["k": "v=w", "e": "", " k ": " v "])
        #expect(ok(#"["a=1","a=2"]"#, .kvPairs) == ["a": "2"])
        #expect(ok("[]", .kvPairs) == [:])
        #expect(ok("{}", .kvPairs) == [:])
        #expect(ok("null", .kvPairs) == .null)
        #expect(ok("[null]", .kvPairs) == .null)
        #expect(error(#"["k=v","bad"]"#, .kvPairs, field: "claim_mappings") == #"invalid key pair at index 1 in field "claim_mappings""#)
        #expect(error(#"["=v"]"#, .kvPairs, field: "metadata") == #"invalid key pair at index 0 in field "metadata""#)
        for json in [#""""#, #""k""#, "1", "true", #"["k=v",1]"#] {
            #expect(error(json, .kvPairs, field: "f")?.hasPrefix("invalid key pair at index ") == true, "\(json)")
        }
        #expect(error(#"{"a":[1,2]}"#, .kvPairs)
            == "decoding failed due to the following error(s):\n\n'[0]' expected type 'string', got unconvertible type 'map[string]interface {}'")
        #expect(error(#"[["a"]]"#, .kvPairs)
            == "decoding failed due to the following error(s):\n\n'[0]' expected type 'string', got unconvertible type '[]interface {}'")
        // FieldData passes the field's name.
        let d = FieldData(raw: ["options": "x"], schema: ["options": Field("options", .kvPairs)])
        #expect(d.validationFailure() == #"error converting input for field "options": invalid key pair at index 0 in field "options""#)
    }
}

extension Result where Failure == GoDuration.ParseError {
    var failureMessage: String? {
        if case .failure(let f) = self { return f.message }
        return nil
    }
}
