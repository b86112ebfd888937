import CofferSDK
import Foundation
import Testing

/// Numbers from outside: every parser and conversion answers a value or an error with OpenBao's text, never a trap.
@Suite struct CheckedNumberTests {
    func seconds(_ s: String) -> Result<Int64, GoDuration.ParseError> { GoDuration.parseSeconds(s) }
    func message(_ r: Result<Int64, GoDuration.ParseError>) -> String? {
        if case .failure(let e) = r { return e.message }
        return nil
    }

    @Test func hugeDurationsAreErrorsWithGoText() {
        // The X-Vault-Wrap-TTL value that trapped in Duration.swift.
        #expect(parseDurationSeconds("99999999999999999999999s") == nil)
        #expect(message(seconds("99999999999999999999999s")) == "time: invalid duration \"99999999999999999999999s\"")
        #expect(message(seconds("99999999999999999999999")) == "time: invalid duration \"99999999999999999999999\"")
        #expect(message(seconds("3000000h")) == "time: invalid duration \"3000000h\"")
        #expect(message(seconds("9223372037s")) == "time: invalid duration \"9223372037s\"")
        #expect(message(seconds("9223372036854775807")) == GoDuration.overflowMessage)
        #expect(message(seconds("9223372037")) == GoDuration.overflowMessage)
        #expect(message(seconds("99999999999d")) == GoDuration.overflowMessage)
        #expect(message(seconds("1.5d")) == "strconv.ParseInt: parsing \"1.5\": invalid syntax")
        #expect(message(seconds("1e300")) == "time: unknown unit \"e\" in duration \"1e300\"")
        #expect(message(seconds("1.5")) == "time: missing unit in duration \"1.5\"")
        #expect(message(seconds("abc")) == "time: invalid duration \"abc\"")
        #expect(message(seconds("5\u{0}s")) == "time: unknown unit \"\\x00s\" in duration \"5\\x00s\"")
    }

    @Test func durationBoundariesAsGo() throws {
        #expect(try seconds("9223372036s").get() == 9_223_372_036)
        #expect(try seconds("9223372036").get() == 9_223_372_036)
        #expect(try seconds("-9223372036").get() == -9_223_372_036)
        #expect(try seconds("106751d").get() == 106_751 * 86_400)
        #expect(message(seconds("106752d")) == GoDuration.overflowMessage)
        #expect(try GoDuration.parseGoDuration("9223372036854775807ns").get() == Int64.max)
        #expect(try GoDuration.parseGoDuration("-9223372036854775808ns").get() == Int64.min)
        #expect(message(GoDuration.parseGoDuration("9223372036854775808ns")) == "time: invalid duration \"9223372036854775808ns\"")
        #expect(try GoDuration.parseGoDuration("2562047h47m16.854775807s").get() == Int64.max)
        #expect(message(GoDuration.parseGoDuration("2562047h47m16.854775808s")) != nil)
        #expect(try GoDuration.parseGoDuration("1.5h").get() == 5_400_000_000_000)
        #expect(try GoDuration.parseGoDuration(".5s").get() == 500_000_000)
        #expect(try GoDuration.parseGoDuration("1.000000000000000000000001s").get() == 1_000_000_000)
        #expect(try GoDuration.parseGoDuration("1h30m").get() == 5_400_000_000_000)
        #expect(try GoDuration.parseGoDuration("5µs").get() == 5_000)
        // Two halves of the range that together wrap UInt64 must be an error, not a trap.
        #expect(message(GoDuration.parseGoDuration("9223372036854775808ns9223372036854775808ns")) != nil)
    }

    @Test func jsonNumbersAsDurations() throws {
        func p(_ v: JSONValue) -> Result<Int64, GoDuration.ParseError> { GoDuration.parseDurationSecond(v) }
        #expect(message(p(.double(1e300))) == "time: unknown unit \"e\" in duration \"1e300\"")
        #expect(message(p(.double(-1e300))) == "time: unknown unit \"e\" in duration \"-1e300\"")
        #expect(message(p(.double(1.5))) == "time: missing unit in duration \"1.5\"")
        #expect(message(p(.double(3600))) == "time: missing unit in duration \"3600.0\"")
        #expect(message(p(.int(Int64.max))) == GoDuration.overflowMessage)
        #expect(message(p(.int(Int64.min))) == GoDuration.overflowMessage)
        // The JSON text is gone by now: the digits shown are the double's (OpenBao shows the literal), the text is Go's.
        #expect(message(p(try JSONValue.parse("99999999999999999999999")))?.hasPrefix("time: invalid duration \"9999999999999999") == true)
        #expect(message(p(try JSONValue.parse("1e400"))) != nil)
        #expect(message(p(.bool(true))) == "could not parse duration from input")
        #expect(message(p(.array([1]))) == "could not parse duration from input")
        #expect(try p(.int(3600)).get() == 3600)
        #expect(try p(.string("1h")).get() == 3600)
        #expect(try p(.null).get() == 0)
        #expect(parseDurationSeconds(.double(1e300)) == nil)
        #expect(parseDurationSeconds(.string(" 10s ")) == 10)
    }

    @Test func checkedHelpers() {
        #expect(CheckedNumber.int64(truncating: 1e300) == nil)
        #expect(CheckedNumber.int64(truncating: -1e300) == nil)
        #expect(CheckedNumber.int64(truncating: .nan) == nil)
        #expect(CheckedNumber.int64(truncating: .infinity) == nil)
        #expect(CheckedNumber.int64(truncating: 9_223_372_036_854_775_808.0) == nil)
        #expect(CheckedNumber.int64(truncating: -9_223_372_036_854_775_808.0) == Int64.min)
        #expect(CheckedNumber.int64(truncating: -1.9) == -1)
        #expect(CheckedNumber.int64(exactly: 1.5) == nil)
        #expect(CheckedNumber.int64(clamping: 1e300) == Int64.max)
        #expect(CheckedNumber.int64(clamping: -1e300) == Int64.min)
        #expect(CheckedNumber.int64(clamping: .nan) == 0)
        #expect(CheckedNumber.add(Int64.max, 1) == nil)
        #expect(CheckedNumber.subtract(Int64.min, 1) == nil)
        #expect(CheckedNumber.multiply(Int64.max, 2) == nil)
        #expect(CheckedNumber.add(clamping: Int64.max, 5) == Int64.max)
        #expect(CheckedNumber.nanoseconds(seconds: 9_223_372_037) == nil)
        #expect(CheckedNumber.nanoseconds(seconds: 9_223_372_036) == 9_223_372_036_000_000_000)
        #expect(CheckedNumber.date(Date(), adding: Int64.max) == Date.distantFuture)
        #expect(CheckedNumber.date(Date(), adding: Int64.min) == Date.distantPast)
        #expect(CheckedNumber.date(unixSeconds: 1e300) == nil)
        #expect(CheckedNumber.httpStatus(.int(1000)) == nil)
        #expect(CheckedNumber.httpStatus(.double(1e300)) == nil)
        #expect(CheckedNumber.httpStatus(.int(418)) == 418)
        #expect(CheckedNumber.httpStatus("-7fffffffffffffff") == nil)
        #expect(formatVaultTime(Date(timeIntervalSince1970: 1e300)).hasSuffix("Z"))
    }

    /// Property: random and hostile text through every parser, random doubles through every helper; the test
    /// passing at all means nothing trapped.
    @Test func randomInputsNeverTrap() throws {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789.+-eEnsuµμmhd \u{0}\"\\xé9")
        let seeds = [
            "99999999999999999999999s", "9223372036854775808ns", "-9223372036854775808ns", "1e300", "-", "+", ".", "..",
            "0", "-0", "+0", "1.", ".1s", "1..1s", "1h-1m", "18446744073709551616ns", String(repeating: "9", count: 400) + "h",
            "0." + String(repeating: "9", count: 400) + "s", String(repeating: "1h", count: 2000), "d", "-d", "9d9",
        ]
        var inputs = seeds
        for _ in 0..<3000 {
            let n = Int.random(in: 0...40, using: &rng)
            inputs.append(String((0..<n).map { _ in alphabet.randomElement(using: &rng)! }))
        }
        for s in inputs {
            _ = GoDuration.parseGoDuration(s)
            _ = GoDuration.parseSeconds(s)
            _ = GoDuration.parseDurationSecond(.string(s))
            _ = parseDurationSeconds(s)
            _ = FieldValue.int(.string(s))
            _ = FieldValue.commaStringSlice(.string(s))
            if let r = try? GoDuration.parseSeconds(s).get() {
                // Whatever parses fits Go's time.Duration, so later arithmetic in nanoseconds cannot overflow.
                #expect(CheckedNumber.nanoseconds(seconds: r) != nil, "\(s)")
            }
        }
        var doubles: [Double] = [.nan, .infinity, -.infinity, 1e300, -1e300, 9.223372036854775807e18, -9.223372036854775808e18,
                                 .greatestFiniteMagnitude, .leastNonzeroMagnitude, 0, -0.0, 1.5]
        for _ in 0..<3000 {
            doubles.append(Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &rng)))
            doubles.append(Double.random(in: -1e20...1e20, using: &rng))
        }
        for d in doubles {
            _ = CheckedNumber.int64(truncating: d)
            _ = CheckedNumber.int64(exactly: d)
            _ = CheckedNumber.int64(clamping: d)
            _ = CheckedNumber.date(unixSeconds: d)
            _ = GoDuration.parseDurationSecond(.double(d))
            _ = FieldValue.int(.double(d))
            _ = FieldValue.commaStringSlice(.array([.double(d)]))
            _ = CheckedNumber.httpStatus(.double(d))
            _ = JSONValue.double(d).intValue
            _ = JSONValue.double(d).serialized()
            if d.isFinite { _ = formatVaultTime(Date(timeIntervalSince1970: d)) }
        }
        for _ in 0..<3000 {
            let i = Int64.random(in: Int64.min...Int64.max, using: &rng)
            _ = GoDuration.parseDurationSecond(.int(i))
            _ = CheckedNumber.date(Date(), adding: i)
            _ = CheckedNumber.add(i, i)
            _ = CheckedNumber.multiply(i, i)
            _ = CheckedNumber.nanoseconds(seconds: i)
        }
    }
}

/// Request fields read through ``FieldData`` (the conversions of ``FieldValue``): bad values are refused with
/// OpenBao's texts, never a trap.
@Suite struct FieldDecodingTests {
    static let schema: [String: Field] = Dictionary(
        uniqueKeysWithValues: [
            Field("policies", .commaStringSlice), Field("big", .int), Field("exp", .int), Field("frac", .int),
            Field("text", .int), Field("ok", .int), Field("ttl", .durationSecond), Field("ttl2", .durationSecond),
            Field("ttl3", .durationSecond),
        ].map { ($0.name, $0) })

    func fields(_ data: [String: JSONValue]) -> FieldData { FieldData(raw: data, schema: Self.schema) }

    @Test func listOfObjectsIsRefused() throws {
        let r = fields(["policies": [["a": 1], [1], "x"]])
        #expect(throws: LogicalError.self) { try r.stringsIfSet("policies") }
        do {
            _ = try r.stringsIfSet("policies")
        } catch let e as LogicalError {
            #expect(
                e.messages == [
                    "error converting input for field \"policies\": 2 error(s) decoding:\n\n* '[0]' expected type 'string', got unconvertible type 'map[string]interface {}', value: 'map[a:1]'\n* '[1]' expected type 'string', got unconvertible type '[]interface {}', value: '[1]'"
                ])
        }
        #expect((try? r.stringsIfSet("policies")) == nil)
        let obj = fields(["policies": ["a": 1]])
        #expect(throws: LogicalError.self) { try obj.stringsIfSet("policies") }
        #expect(try fields(["policies": [.null, "a", true, 5]]).stringsIfSet("policies") == ["", "a", "1", "5"])
        #expect(try fields(["policies": "a, b,,c"]).stringsIfSet("policies") == ["a", "b", "", "c"])
        #expect(try fields(["policies": 5]).stringsIfSet("policies") == ["5"])
        #expect(try fields([:]).stringsIfSet("policies") == nil)
    }

    @Test func intAndDurationFields() throws {
        func message(_ f: () throws -> Int64?) -> String? {
            do {
                _ = try f()
                return nil
            } catch let e as LogicalError {
                return e.messages.first
            } catch { return "\(error)" }
        }
        let r = fields([
            "big": .double(1e20), "exp": .double(1e300), "frac": .double(1.5), "text": "99999999999999999999", "ok": 5,
            "ttl": .double(1e300), "ttl2": .int(Int64.max), "ttl3": "99999999999999999999999s",
        ])
        #expect(message { try r.int("big") } == "error converting input for field \"big\": '' cannot parse value as 'int': strconv.ParseInt: value out of range")
        #expect(message { try r.int("exp") } == "error converting input for field \"exp\": '' cannot parse value as 'int': strconv.ParseInt: invalid syntax")
        #expect(message { try r.int("frac") } == "error converting input for field \"frac\": '' cannot parse value as 'int': strconv.ParseInt: invalid syntax")
        #expect(message { try r.int("text") } == "error converting input for field \"text\": '' cannot parse value as 'int': strconv.ParseInt: value out of range")
        #expect(try r.int("ok") == 5)
        #expect(message { try r.duration("ttl") } == "error converting input for field \"ttl\": time: unknown unit \"e\" in duration \"1e300\"")
        #expect(message { try r.duration("ttl2") } == "error converting input for field \"ttl2\": " + GoDuration.overflowMessage)
        #expect(message { try r.duration("ttl3") } == "error converting input for field \"ttl3\": time: invalid duration \"99999999999999999999999s\"")
    }
}

@Suite struct FuzzEntryTests {
    /// `bytes` as duration text through Go's parser and `parseutil`'s, and, when they parse as JSON, every value of
    /// the document through every field type's conversion. Must never trap, whatever the bytes.
    func fuzzOne(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        _ = GoDuration.parseGoDuration(text)
        _ = GoDuration.parseSeconds(text)
        _ = parseDurationSeconds(text)
        guard let doc = try? JSONValue.parse(bytes) else { return }
        var stack = [doc]
        while let v = stack.popLast() {
            for type in FieldType.allCases { _ = FieldValue.convert(v, as: type, field: "f") }
            _ = CheckedNumber.httpStatus(v)
            if case .double(let d) = v { _ = CheckedNumber.int64(truncating: d) }
            switch v {
            case .array(let a): stack.append(contentsOf: a)
            case .object(let o): stack.append(contentsOf: o.values)
            default: break
            }
        }
    }

    @Test func fuzzOneTakesAnyBytes() {
        var rng = SystemRandomNumberGenerator()
        let seeds: [[UInt8]] = [
            Array("{\"ttl\":1e300,\"policies\":[{\"a\":1}],\"n\":99999999999999999999999,\"x\":[-1e400,1e400]}".utf8),
            Array("99999999999999999999999s".utf8), [], [0xFF, 0xFE, 0x00], Array(String(repeating: "[", count: 600).utf8),
        ]
        for s in seeds { fuzzOne(s) }
        for _ in 0..<2000 {
            let n = Int.random(in: 0...64, using: &rng)
            fuzzOne((0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
    }
}
