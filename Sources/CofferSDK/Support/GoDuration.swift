/// Go-compatible duration parsing and formatting, as OpenBao reads `ttl` / `delete_version_after` and prints
/// `time.Duration` values.
public enum GoDuration {
    public struct ParseError: Error, Equatable {
        public var message: String
        public init(message: String) { self.message = message }
    }

    /// Parses duration text as OpenBao's "duration (sec)" fields do: empty is 0, an integer is seconds,
    /// a trailing `d` counts days, anything else is Go `time.ParseDuration` text truncated to seconds.
    public static func parseSeconds(_ text: String) -> Result<Int64, ParseError> {
        if text.isEmpty { return .success(0) }
        if text.hasSuffix("d") {
            let head = text.dropLast()
            if let days = Int64(head) {
                let (r, overflow) = days.multipliedReportingOverflow(by: 86_400)
                if !overflow { return .success(r) }
            }
        }
        if let i = Int64(text) { return .success(i) }
        return parseGoDuration(text).map { $0 / 1_000_000_000 }
    }

    /// Go's `time.ParseDuration`, returning nanoseconds.
    public static func parseGoDuration(_ text: String) -> Result<Int64, ParseError> {
        let quoted = "\"" + text + "\""
        var scalars = Array(text.unicodeScalars)
        var negative = false
        if let first = scalars.first, first == "-" || first == "+" {
            negative = first == "-"
            scalars.removeFirst()
        }
        if scalars.count == 1, scalars[0] == "0" { return .success(0) }
        if scalars.isEmpty { return .failure(ParseError(message: "time: invalid duration " + quoted)) }
        var total: Double = 0
        var i = 0
        func isDigit(_ s: Unicode.Scalar) -> Bool { s.value >= 48 && s.value <= 57 }
        while i < scalars.count {
            var intPart = ""
            var fracPart = ""
            while i < scalars.count, isDigit(scalars[i]) {
                intPart.unicodeScalars.append(scalars[i])
                i += 1
            }
            var sawDot = false
            if i < scalars.count, scalars[i] == "." {
                sawDot = true
                i += 1
                while i < scalars.count, isDigit(scalars[i]) {
                    fracPart.unicodeScalars.append(scalars[i])
                    i += 1
                }
            }
            if intPart.isEmpty && fracPart.isEmpty {
                return .failure(ParseError(message: "time: invalid duration " + quoted))
            }
            _ = sawDot
            var unit = ""
            while i < scalars.count, !isDigit(scalars[i]), scalars[i] != "." {
                unit.unicodeScalars.append(scalars[i])
                i += 1
            }
            if unit.isEmpty { return .failure(ParseError(message: "time: missing unit in duration " + quoted)) }
            let multiplier: Double
            switch unit {
            case "ns": multiplier = 1
            case "us", "\u{00B5}s", "\u{03BC}s": multiplier = 1_000
            case "ms": multiplier = 1_000_000
            case "s": multiplier = 1_000_000_000
            case "m": multiplier = 60_000_000_000
            case "h": multiplier = 3_600_000_000_000
            default:
                return .failure(ParseError(message: "time: unknown unit \"\(unit)\" in duration " + quoted))
            }
            let number = Double((intPart.isEmpty ? "0" : intPart) + "." + (fracPart.isEmpty ? "0" : fracPart)) ?? 0
            total += number * multiplier
            if total >= 9.223372036854775807e18 {
                return .failure(ParseError(message: "time: invalid duration " + quoted))
            }
        }
        let nanos = Int64(total.rounded(.towardZero))
        return .success(negative ? -nanos : nanos)
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
