import Foundation

/// Go-compatible duration parsing and formatting, as OpenBao reads `ttl` / `delete_version_after` and prints
/// `time.Duration` values.
///
/// This is the one duration parser of the code base: ``parseGoDuration(_:)`` is Go's `time.ParseDuration` (exact
/// integer arithmetic, overflow is an error), ``parseSeconds(_:)`` and ``parseDurationSecond(_:)`` are OpenBao's
/// `parseutil.ParseDurationSecond` for text and for JSON values. None of them traps on any input.
public enum GoDuration {
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var message: String
        public init(message: String) { self.message = message }
        public var description: String { message }
    }

    /// `parseutil`'s text when seconds (or days) times the unit leaves Int64 nanoseconds.
    public static let overflowMessage = "multiplication of durations resulted in overflow, one operand may be too large"
    /// `parseutil`'s text for a value that is neither a number nor a string.
    public static let unparsableMessage = "could not parse duration from input"

    /// Largest whole number of seconds a Go `time.Duration` holds.
    public static let maxSeconds: Int64 = Int64.max / 1_000_000_000

    /// Parses duration text as OpenBao's "duration (sec)" fields do (`parseutil.ParseDurationSecond`): empty is 0, an
    /// integer is seconds, an integer with a trailing `d` counts days, anything else is Go `time.ParseDuration` text
    /// truncated to seconds. Values whose nanoseconds leave Int64 (about 292 years) are errors, as in Go.
    public static func parseSeconds(_ text: String) -> Result<Int64, ParseError> {
        parseNanoseconds(text).map { $0 / 1_000_000_000 }
    }

    /// ``parseSeconds(_:)`` before the truncation to seconds: the `time.Duration` (nanoseconds) that
    /// `parseutil.ParseDurationSecond` returns for the text.
    public static func parseNanoseconds(_ text: String) -> Result<Int64, ParseError> {
        if text.isEmpty { return .success(0) }
        if let i = Int64(text) { return secondsTimes(i, 1).map { $0 * 1_000_000_000 } }
        if text.hasSuffix("d") {
            let head = text.dropLast()
            guard let days = Int64(head) else {
                return .failure(ParseError(message: "strconv.ParseInt: parsing \(quote(String(head))): \(parseIntFailure(head))"))
            }
            return secondsTimes(days, 86_400).map { $0 * 1_000_000_000 }
        }
        return parseGoDuration(text)
    }

    /// `parseutil.ParseDurationSecond` of a JSON value, in seconds. OpenBao decodes request numbers as `json.Number`
    /// and parses their text, so a number with a fraction or an exponent is an error (`time: missing unit`,
    /// `time: unknown unit "e"`), an integer counts seconds and one past ~292 years is an overflow.
    public static func parseDurationSecond(_ value: JSONValue) -> Result<Int64, ParseError> {
        switch value {
        case .null: return .success(0)
        case .int(let i): return secondsTimes(i, 1)
        case .double(let d): return parseSeconds(numberText(d))
        case .string(let s): return parseSeconds(s)
        case .bool, .array, .object: return .failure(ParseError(message: unparsableMessage))
        }
    }

    /// ``parseDurationSecond(_:)`` before the truncation to seconds: the `time.Duration` (nanoseconds) OpenBao's
    /// `parseutil.ParseDurationSecond` returns, which `FieldData` turns into seconds with `int(d.Seconds())`
    /// (see ``goSeconds(nanoseconds:)``).
    public static func parseDurationNanoseconds(_ value: JSONValue) -> Result<Int64, ParseError> {
        switch value {
        case .null: return .success(0)
        case .int(let i): return secondsTimes(i, 1).map { $0 * 1_000_000_000 }
        case .double(let d): return parseNanoseconds(numberText(d))
        case .string(let s): return parseNanoseconds(s)
        case .bool, .array, .object: return .failure(ParseError(message: unparsableMessage))
        }
    }

    /// Go's `int(d.Seconds())` for a `time.Duration` of `nanoseconds`: whole seconds plus the fraction as a float64,
    /// truncated. Equal to `nanoseconds / 1e9` except where the float sum rounds up to the next second (a fraction
    /// within half a float64 step of 1, as `16777216.999999999s`), as it does in OpenBao.
    public static func goSeconds(nanoseconds: Int64) -> Int64 {
        let seconds = Double(nanoseconds / 1_000_000_000) + Double(nanoseconds % 1_000_000_000) / 1e9
        return CheckedNumber.int64(truncating: seconds) ?? nanoseconds / 1_000_000_000
    }

    /// The text a JSON number most likely had, for the messages OpenBao derives from `json.Number`: integers beyond
    /// Int64 as their digits, other values in Swift's shortest form with the exponent written as JSON usually does
    /// (`1e300`, `1.5`).
    public static func numberText(_ d: Double) -> String {
        if d.isFinite, d == d.rounded(), abs(d) >= 9.2e18, abs(d) < 1e30 {
            return String(format: "%.0f", d)
        }
        var s = "\(d)"
        if let r = s.range(of: "e+") { s.replaceSubrange(r, with: "e") }
        return s
    }

    static func secondsTimes(_ v: Int64, _ unit: Int64) -> Result<Int64, ParseError> {
        // Go multiplies into nanoseconds (time.Duration) and checks that product.
        guard let secs = CheckedNumber.multiply(v, unit), CheckedNumber.nanoseconds(seconds: secs) != nil else {
            return .failure(ParseError(message: overflowMessage))
        }
        return .success(secs)
    }

    /// The reason Go's `strconv.ParseInt` gives for text that is not an Int64: `value out of range` for digits, else
    /// `invalid syntax`.
    public static func parseIntFailure<S: StringProtocol>(_ s: S) -> String {
        var u = Substring(s)
        if u.first == "+" || u.first == "-" { u = u.dropFirst() }
        if !u.isEmpty, u.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return "value out of range" }
        return "invalid syntax"
    }

    /// Go's `time.ParseDuration`, returning nanoseconds. Integer arithmetic throughout: any overflow of the 2^63
    /// nanosecond range is `time: invalid duration`, as in Go.
    public static func parseGoDuration(_ text: String) -> Result<Int64, ParseError> {
        // Built only on failure: quoting the text on every call cost more than the parse.
        var invalid: ParseError { ParseError(message: "time: invalid duration " + quote(text)) }
        let s = Array(text.utf8)
        var i = 0
        var negative = false
        if let c = s.first, c == UInt8(ascii: "-") || c == UInt8(ascii: "+") {
            negative = c == UInt8(ascii: "-")
            i = 1
        }
        if s.count - i == 1, s[i] == UInt8(ascii: "0") { return .success(0) }
        if i == s.count { return .failure(invalid) }
        let limit: UInt64 = 1 << 63
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        var total: UInt64 = 0
        while i < s.count {
            guard s[i] == UInt8(ascii: ".") || isDigit(s[i]) else { return .failure(invalid) }
            // Integer part: overflow past 2^63 is an error.
            var v: UInt64 = 0
            let intStart = i
            while i < s.count, isDigit(s[i]) {
                guard v <= limit / 10 else { return .failure(invalid) }
                v = v * 10 + UInt64(s[i] - 0x30)
                guard v <= limit else { return .failure(invalid) }
                i += 1
            }
            let pre = i > intStart
            // Fraction: digits past what fits are ignored.
            var f: UInt64 = 0
            var scale = 1.0
            var post = false
            if i < s.count, s[i] == UInt8(ascii: ".") {
                i += 1
                let fracStart = i
                var overflow = false
                while i < s.count, isDigit(s[i]) {
                    defer { i += 1 }
                    if overflow { continue }
                    guard f <= (limit - 1) / 10 else {
                        overflow = true
                        continue
                    }
                    let y = f * 10 + UInt64(s[i] - 0x30)
                    guard y <= limit else {
                        overflow = true
                        continue
                    }
                    f = y
                    scale *= 10
                }
                post = i > fracStart
            }
            if !pre && !post { return .failure(invalid) }
            let unitStart = i
            while i < s.count, s[i] != UInt8(ascii: "."), !isDigit(s[i]) { i += 1 }
            if i == unitStart { return .failure(ParseError(message: "time: missing unit in duration " + quote(text))) }
            let unitBytes = s[unitStart..<i]
            let unit: UInt64
            switch String(decoding: unitBytes, as: UTF8.self) {
            case "ns": unit = 1
            case "us", "\u{00B5}s", "\u{03BC}s": unit = 1_000
            case "ms": unit = 1_000_000
            case "s": unit = 1_000_000_000
            case "m": unit = 60_000_000_000
            case "h": unit = 3_600_000_000_000
            default:
                let u = String(decoding: unitBytes, as: UTF8.self)
                return .failure(ParseError(message: "time: unknown unit " + quote(u) + " in duration " + quote(text)))
            }
            guard v <= limit / unit else { return .failure(invalid) }
            v *= unit
            if f > 0 {
                // Fractions of an hour at most: 3.6e12 ns, well inside UInt64.
                let frac = Double(f) * (Double(unit) / scale)
                guard frac.isFinite, frac >= 0, frac < 1.8e19 else { return .failure(invalid) }
                v += UInt64(frac)
                guard v <= limit else { return .failure(invalid) }
            }
            let (sum, wrapped) = total.addingReportingOverflow(v)
            guard !wrapped, sum <= limit else { return .failure(invalid) }
            total = sum
        }
        if negative { return .success(total == limit ? Int64.min : -Int64(total)) }
        guard total <= limit - 1 else { return .failure(invalid) }
        return .success(Int64(total))
    }

    /// Go's `time` package quoting of the input in its messages: `"` and `\` escaped, control and non-ASCII bytes
    /// as `\xNN`.
    public static func quote(_ s: String) -> String {
        // Byte by byte: every byte of a non-ASCII scalar is >= 0x80, so this is Go's loop over bytes.
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = [UInt8(ascii: "\"")]
        out.reserveCapacity(s.utf8.count + 2)
        for b in s.utf8 {
            if b >= 0x80 || b < 0x20 {
                out.append(UInt8(ascii: "\\"))
                out.append(UInt8(ascii: "x"))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0x0F)])
            } else {
                if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }

    /// Go's `time.Duration.String()` for a whole number of seconds (`0s`, `45s`, `30m0s`, `1h0m0s`, `-1s`).
    public static func format(seconds: Int64) -> String {
        if seconds == 0 { return "0s" }
        let negative = seconds < 0
        let magnitude = seconds.magnitude
        let h = magnitude / 3600
        let m = (magnitude % 3600) / 60
        let s = magnitude % 60
        var out = negative ? "-" : ""
        if h > 0 {
            out += "\(h)h\(m)m\(s)s"
        } else if m > 0 {
            out += "\(m)m\(s)s"
        } else {
            out += "\(s)s"
        }
        return out
    }
}
