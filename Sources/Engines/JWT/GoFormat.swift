import CofferSDK
import Foundation

/// `%v` of values as OpenBao's Go code prints them in error messages. Unlike ``FieldValue/goFormat(_:)`` (request
/// fields, whose numbers are `json.Number` text), claims are decoded into `float64`, printed with Go's `%v` rules.
enum GoFormat {
    /// `%v` of a value decoded from JSON into `interface{}`.
    static func value(_ v: JSONValue) -> String {
        switch v {
        case .null: return "<nil>"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return float(d)
        case .string(let s): return s
        case .array(let a): return "[" + a.map(value).joined(separator: " ") + "]"
        case .object(let o): return "map[" + o.keys.sorted().map { "\($0):\(value(o[$0]!))" }.joined(separator: " ") + "]"
        }
    }

    /// `%v` of a float64 (Go's `strconv.FormatFloat(f, 'g', -1, 64)` with its exponent threshold of 21).
    static func float(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d > 0 ? "+Inf" : "-Inf" }
        if d == d.rounded(), abs(d) < 1e21 { return String(format: "%.0f", d) }
        let exp = d == 0 ? 0 : Int(floor(log10(abs(d))))
        if exp < -4 || exp >= 21 {
            var s = "\(d)"  // Swift: 1e-05 / 1.5e+22
            if let e = s.firstIndex(of: "e") {
                var mant = String(s[..<e])
                var ex = String(s[s.index(after: e)...])
                if mant.hasSuffix(".0") { mant.removeLast(2) }
                var sign = "+"
                if ex.hasPrefix("-") { sign = "-"; ex.removeFirst() } else if ex.hasPrefix("+") { ex.removeFirst() }
                if ex.count < 2 { ex = "0" + ex }
                s = mant + "e" + sign + ex
            }
            return s
        }
        return "\(d)"
    }

    /// `%v` of a `[]string`.
    static func list(_ l: [String]) -> String { "[" + l.joined(separator: " ") + "]" }
}

/// Query escaping as Go's `url.QueryEscape` (space becomes `+`).
func goQueryEscape(_ s: String) -> String {
    var out = ""
    for b in s.utf8 {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
            out.unicodeScalars.append(Unicode.Scalar(b))
        case UInt8(ascii: " "):
            out += "+"
        default:
            out += String(format: "%%%02X", b)
        }
    }
    return out
}

/// `url.Values.Encode()`: keys sorted, `k=v` joined with `&`.
func goEncodeValues(_ values: [(String, String)]) -> String {
    values.sorted { $0.0 < $1.0 }.map { goQueryEscape($0.0) + "=" + goQueryEscape($0.1) }.joined(separator: "&")
}

func base64URLEncode(_ bytes: some Sequence<UInt8>) -> String {
    Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}

/// Strict base64url (no padding required); nil on a bad character, with the offset of the first bad byte.
func base64URLDecode(_ s: Substring) -> Result<[UInt8], Base64Error> {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(s.utf8.count * 3 / 4)
    var buffer: UInt32 = 0
    var bits = 0
    for (i, c) in s.utf8.enumerated() {
        let v: UInt32
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = UInt32(c - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): v = UInt32(c - UInt8(ascii: "a") + 26)
        case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt32(c - UInt8(ascii: "0") + 52)
        case UInt8(ascii: "-"): v = 62
        case UInt8(ascii: "_"): v = 63
        default: return .failure(Base64Error(offset: i))
        }
        buffer = (buffer << 6) | v
        bits += 6
        if bits >= 8 {
            bits -= 8
            bytes.append(UInt8((buffer >> UInt32(bits)) & 0xFF))
        }
    }
    if s.utf8.count % 4 == 1 { return .failure(Base64Error(offset: s.utf8.count - 1)) }
    return .success(bytes)
}

struct Base64Error: Error {
    var offset: Int
    var description: String { "illegal base64 data at input byte \(offset)" }
}

func randomToken(bytes: Int = 20) -> String {
    var g = SystemRandomNumberGenerator()
    return base64URLEncode((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &g) })
}

func randomAlphanumeric(_ n: Int) -> String {
    let chars = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    var g = SystemRandomNumberGenerator()
    return String((0..<n).map { _ in chars[Int.random(in: 0..<chars.count, using: &g)] })
}
