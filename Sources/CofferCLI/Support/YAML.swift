import CofferClient
import Foundation

/// Renders a JSON value as YAML in the shape `bao -format=yaml` prints.
///
/// `bao` turns its JSON output into YAML with Go's yaml.v2 (through sigs.k8s.io/yaml), so the output follows that
/// emitter's habits, which this type reproduces from its observed behaviour:
/// - block style throughout; only empty maps and lists are written inline (`{}`, `[]`); a list inside a map is not
///   indented (`key:` then `- item` at the key's column);
/// - map keys in yaml.v2's "natural" order (letters before other characters, runs of digits compared as numbers);
/// - a string that would read back as something else (`"2"`, `"true"`, `"null"`, `""`, timestamps, `"1:20"`) is
///   double-quoted; one that cannot be plain (indicators, leading or trailing spaces) is single-quoted; one with
///   characters that need escapes (tabs, control characters, characters beyond U+FFFF) is double-quoted and escaped;
///   one with line breaks is a literal block (`|`, `|-`, `|+`, with an indentation indicator when it starts with a
///   space or a break);
/// - plain and quoted scalars are folded at a space once the line is past column 80;
/// - numbers are written as YAML reads the JSON text back: integers as they are, anything else as Go's shortest `%g`
///   (`1e+20`, `1.2345675e+06`).
enum YAML {
    /// The YAML text of `value`, without a trailing newline (`bao` trims its output).
    static func render(_ value: JSON) -> String {
        var emitter = YAMLEmitter()
        emitter.document(value)
        return emitter.output.trimmingWhitespace()
    }
}

/// The block emitter behind ``YAML/render(_:)``: it tracks the output column as yaml.v2 does, to fold long lines.
struct YAMLEmitter {
    private(set) var output = ""
    private var column = 0
    private static let width = 80
    private static let indentStep = 2

    mutating func document(_ value: JSON) {
        switch value {
        case .object(let members) where !members.isEmpty:
            mapping(members, indent: 0, inline: false)
        case .array(let items) where !items.isEmpty:
            sequence(items, indent: 0, inline: false)
        default:
            scalar(value, indent: Self.indentStep, leadingSpace: false)
        }
    }

    // MARK: Collections

    private mutating func mapping(_ members: [JSON.Member], indent: Int, inline: Bool) {
        let sorted = members.sorted { YAMLKeyOrder.less($0.key, $1.key) }
        for (index, member) in sorted.enumerated() {
            if !(index == 0 && inline) { newline(indent: indent) }
            if member.key.utf8.count > 128 || member.key.unicodeScalars.contains(where: YAMLScalarAnalysis.isBreak) {
                // Too long or multi-line for a simple key: `? key` then `: value`, the value's collection inline.
                put("?")
                scalar(.string(member.key), indent: indent + Self.indentStep, leadingSpace: true)
                newline(indent: indent)
                put(":")
                switch member.value {
                case .object(let nested) where !nested.isEmpty:
                    put(" ")
                    mapping(nested, indent: indent + Self.indentStep, inline: true)
                case .array(let items) where !items.isEmpty:
                    put(" ")
                    sequence(items, indent: indent + Self.indentStep, inline: true)
                default:
                    scalar(member.value, indent: indent + Self.indentStep, leadingSpace: true)
                }
                continue
            }
            key(member.key)
            put(":")
            switch member.value {
            case .object(let nested) where !nested.isEmpty:
                mapping(nested, indent: indent + Self.indentStep, inline: false)
            case .array(let items) where !items.isEmpty:
                sequence(items, indent: indent, inline: false)
            default:
                scalar(member.value, indent: indent + Self.indentStep, leadingSpace: true)
            }
        }
    }

    private mutating func sequence(_ items: [JSON], indent: Int, inline: Bool) {
        for (index, item) in items.enumerated() {
            if !(index == 0 && inline) { newline(indent: indent) }
            put("-")
            switch item {
            case .object(let members) where !members.isEmpty:
                put(" ")
                mapping(members, indent: indent + Self.indentStep, inline: true)
            case .array(let nested) where !nested.isEmpty:
                put(" ")
                sequence(nested, indent: indent + Self.indentStep, inline: true)
            default:
                scalar(item, indent: indent + Self.indentStep, leadingSpace: true)
            }
        }
    }

    // MARK: Scalars

    /// A map key: never folded, never a block.
    private mutating func key(_ text: String) {
        let scalars = Array(text.unicodeScalars)
        let analysis = YAMLScalarAnalysis(scalars)
        let requested: YAMLScalarStyle = YAMLResolver.readsAsString(text) ? .plain : .doubleQuoted
        let style = analysis.allowed(requested, simpleKey: true)
        write(scalars, style: style, indent: 0, allowBreaks: false)
    }

    private mutating func scalar(_ value: JSON, indent: Int, leadingSpace: Bool) {
        if leadingSpace { put(" ") }
        switch value {
        case .null: put("null")
        case .bool(let b): put(b ? "true" : "false")
        case .number(let literal): put(YAMLNumber.format(literal))
        case .array: put("[]")
        case .object: put("{}")
        case .string(let text):
            let scalars = Array(text.unicodeScalars)
            let requested: YAMLScalarStyle
            if scalars.contains("\n") {
                requested = .literal
            } else if YAMLResolver.readsAsString(text) {
                requested = .plain
            } else {
                requested = .doubleQuoted
            }
            let style = YAMLScalarAnalysis(scalars).allowed(requested, simpleKey: false)
            write(scalars, style: style, indent: indent, allowBreaks: true)
        }
    }

    private mutating func write(_ s: [Unicode.Scalar], style: YAMLScalarStyle, indent: Int, allowBreaks: Bool) {
        switch style {
        case .plain: writePlain(s, indent: indent, allowBreaks: allowBreaks)
        case .singleQuoted: writeSingleQuoted(s, indent: indent, allowBreaks: allowBreaks)
        case .doubleQuoted: writeDoubleQuoted(s, indent: indent, allowBreaks: allowBreaks)
        case .literal: writeLiteral(s, indent: indent)
        }
    }

    private mutating func writePlain(_ s: [Unicode.Scalar], indent: Int, allowBreaks: Bool) {
        var spaces = false
        for (i, c) in s.enumerated() {
            if c == " " {
                let nextIsSpace = i + 1 < s.count && s[i + 1] == " "
                if allowBreaks && !spaces && column > Self.width && !nextIsSpace {
                    newline(indent: indent)
                } else {
                    putScalar(c)
                }
                spaces = true
            } else {
                putScalar(c)
                spaces = false
            }
        }
    }

    private mutating func writeSingleQuoted(_ s: [Unicode.Scalar], indent: Int, allowBreaks: Bool) {
        put("'")
        var spaces = false
        for (i, c) in s.enumerated() {
            if c == " " {
                let nextIsSpace = i + 1 < s.count && s[i + 1] == " "
                if allowBreaks && !spaces && column > Self.width && i != 0 && i != s.count - 1 && !nextIsSpace {
                    newline(indent: indent)
                } else {
                    putScalar(c)
                }
                spaces = true
            } else {
                if c == "'" { put("'") }
                putScalar(c)
                spaces = false
            }
        }
        put("'")
    }

    private mutating func writeDoubleQuoted(_ s: [Unicode.Scalar], indent: Int, allowBreaks: Bool) {
        put("\"")
        var spaces = false
        for (i, c) in s.enumerated() {
            if !YAMLScalarAnalysis.isPrintable(c) || c.value == 0xFEFF || YAMLScalarAnalysis.isBreak(c) || c == "\"" || c == "\\" {
                put(Self.escape(c))
                spaces = false
            } else if c == " " {
                if allowBreaks && !spaces && column > Self.width && i != 0 && i != s.count - 1 {
                    newline(indent: indent)
                    if i + 1 < s.count && s[i + 1] == " " { put("\\") }
                } else {
                    putScalar(c)
                }
                spaces = true
            } else {
                putScalar(c)
                spaces = false
            }
        }
        put("\"")
    }

    private mutating func writeLiteral(_ s: [Unicode.Scalar], indent: Int) {
        put("|")
        if let first = s.first, first == " " || first == "\n" { put(String(Self.indentStep)) }
        if s.last != "\n" {
            put("-")
        } else if s.count == 1 || s[s.count - 2] == "\n" {
            put("+")
        }
        output += "\n"
        column = 0
        var atLineStart = true
        for c in s {
            if c == "\n" {
                output += "\n"
                column = 0
                atLineStart = true
            } else {
                if atLineStart {
                    put(String(repeating: " ", count: indent))
                    atLineStart = false
                }
                putScalar(c)
            }
        }
    }

    static func escape(_ c: Unicode.Scalar) -> String {
        switch c.value {
        case 0x00: return "\\0"
        case 0x07: return "\\a"
        case 0x08: return "\\b"
        case 0x09: return "\\t"
        case 0x0A: return "\\n"
        case 0x0B: return "\\v"
        case 0x0C: return "\\f"
        case 0x0D: return "\\r"
        case 0x1B: return "\\e"
        case 0x22: return "\\\""
        case 0x5C: return "\\\\"
        case 0x85: return "\\N"
        case 0xA0: return "\\_"
        case 0x2028: return "\\L"
        case 0x2029: return "\\P"
        default:
            let hex = String(c.value, radix: 16, uppercase: true)
            if c.value <= 0xFF { return "\\x" + String(repeating: "0", count: 2 - hex.count) + hex }
            if c.value <= 0xFFFF { return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex }
            return "\\U" + String(repeating: "0", count: 8 - hex.count) + hex
        }
    }

    // MARK: Output

    /// Ends the line (unless nothing was written yet, or a literal block's last break already ended it) and indents the
    /// next one.
    private mutating func newline(indent: Int) {
        if !output.isEmpty, !(column == 0 && output.hasSuffix("\n")) { output += "\n" }
        column = 0
        put(String(repeating: " ", count: indent))
    }

    private mutating func put(_ text: String) {
        output += text
        column += text.unicodeScalars.count
    }

    private mutating func putScalar(_ c: Unicode.Scalar) {
        output.unicodeScalars.append(c)
        column += 1
    }
}

enum YAMLScalarStyle {
    case plain, singleQuoted, doubleQuoted, literal
}

/// What a string's characters allow, as yaml.v2's emitter works it out before it picks a style.
struct YAMLScalarAnalysis {
    var blockPlainAllowed = true
    var singleQuotedAllowed = true
    var blockAllowed = true
    var multiline = false

    init(_ s: [Unicode.Scalar]) {
        guard !s.isEmpty else {
            blockPlainAllowed = false
            return
        }
        var blockIndicators = false
        var specialCharacters = false
        var leadingSpace = false, leadingBreak = false, trailingSpace = false, trailingBreak = false
        var breakSpace = false, spaceBreak = false
        var previousSpace = false, previousBreak = false
        var lineBreaks = false
        if s.count >= 3, (s[0] == "-" && s[1] == "-" && s[2] == "-") || (s[0] == "." && s[1] == "." && s[2] == ".") {
            blockIndicators = true
        }
        var precededByWhitespace = true
        for (i, c) in s.enumerated() {
            let followedByWhitespace = i + 1 >= s.count || Self.isBlank(s[i + 1])
            if i == 0 {
                switch c {
                case "#", ",", "[", "]", "{", "}", "&", "*", "!", "|", ">", "'", "\"", "%", "@", "`":
                    blockIndicators = true
                case "?", ":", "-":
                    if followedByWhitespace { blockIndicators = true }
                default: break
                }
            } else {
                switch c {
                case ":":
                    if followedByWhitespace { blockIndicators = true }
                case "#":
                    if precededByWhitespace { blockIndicators = true }
                default: break
                }
            }
            if !Self.isPrintable(c) || c.value == 0xFEFF { specialCharacters = true }
            if Self.isBreak(c) { lineBreaks = true }
            if c == " " {
                if i == 0 { leadingSpace = true }
                if i == s.count - 1 { trailingSpace = true }
                if previousBreak { breakSpace = true }
                previousSpace = true
                previousBreak = false
            } else if Self.isBreak(c) {
                if i == 0 { leadingBreak = true }
                if i == s.count - 1 { trailingBreak = true }
                if previousSpace { spaceBreak = true }
                previousSpace = false
                previousBreak = true
            } else {
                previousSpace = false
                previousBreak = false
            }
            precededByWhitespace = Self.isBlank(c)
        }
        multiline = lineBreaks
        if leadingSpace || leadingBreak || trailingSpace || trailingBreak { blockPlainAllowed = false }
        if trailingSpace { blockAllowed = false }
        if breakSpace {
            blockPlainAllowed = false
            singleQuotedAllowed = false
        }
        if spaceBreak || specialCharacters {
            blockPlainAllowed = false
            singleQuotedAllowed = false
            blockAllowed = false
        }
        if lineBreaks { blockPlainAllowed = false }
        if blockIndicators { blockPlainAllowed = false }
        // Line separators other than \n would be written raw inside quotes; escape them instead.
        if s.contains(where: { Self.isBreak($0) && $0 != "\n" }) {
            singleQuotedAllowed = false
            blockAllowed = false
        }
    }

    /// The style actually used when `requested` is asked for.
    func allowed(_ requested: YAMLScalarStyle, simpleKey: Bool) -> YAMLScalarStyle {
        var style = requested
        if style == .plain, !blockPlainAllowed { style = .singleQuoted }
        if style == .singleQuoted, !singleQuotedAllowed { style = .doubleQuoted }
        if style == .literal, !blockAllowed || simpleKey { style = .doubleQuoted }
        return style
    }

    /// yaml.v2's printable set: no C0 controls but line feed, no DEL or C1 controls, nothing beyond U+FFFD.
    static func isPrintable(_ c: Unicode.Scalar) -> Bool {
        let v = c.value
        return v == 0x0A || (0x20...0x7E).contains(v) || (0xA0...0xD7FF).contains(v) || (0xE000...0xFFFD).contains(v)
    }

    static func isBreak(_ c: Unicode.Scalar) -> Bool {
        c == "\n" || c == "\r" || c.value == 0x85 || c.value == 0x2028 || c.value == 0x2029
    }

    static func isBlank(_ c: Unicode.Scalar) -> Bool {
        c == " " || c == "\t" || isBreak(c) || c.value == 0
    }
}

/// yaml.v2's order of map keys: letters before other characters, digit runs compared by value.
enum YAMLKeyOrder {
    static func less(_ a: String, _ b: String) -> Bool {
        let ar = Array(a.unicodeScalars)
        let br = Array(b.unicodeScalars)
        var i = 0
        while i < ar.count && i < br.count {
            if ar[i] == br[i] {
                i += 1
                continue
            }
            let al = ar[i].properties.isAlphabetic
            let bl = br[i].properties.isAlphabetic
            if al && bl { return ar[i].value < br[i].value }
            if al || bl { return bl }
            var an: UInt64 = 0, bn: UInt64 = 0
            if ar[i] == "0" || br[i] == "0" {
                var j = i - 1
                while j >= 0 && isDigit(ar[j]) {
                    if ar[j] != "0" {
                        an = 1
                        bn = 1
                        break
                    }
                    j -= 1
                }
            }
            var ai = i
            while ai < ar.count && isDigit(ar[ai]) {
                an = an &* 10 &+ UInt64(ar[ai].value - 48)
                ai += 1
            }
            var bi = i
            while bi < br.count && isDigit(br[bi]) {
                bn = bn &* 10 &+ UInt64(br[bi].value - 48)
                bi += 1
            }
            if an != bn { return an < bn }
            if ai != bi { return ai < bi }
            return ar[i].value < br[i].value
        }
        return ar.count < br.count
    }

    private static func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }
}

/// Whether a plain string reads back as a string under YAML 1.1's implicit types, as yaml.v2 resolves them.
enum YAMLResolver {
    static let nonStrings: Set<String> = [
        "~", "null", "Null", "NULL",
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
        "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
        ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
    ]

    static func readsAsString(_ s: String) -> Bool {
        if s.isEmpty || nonStrings.contains(s) { return false }
        if isBase60Float(s) { return false }
        guard let first = s.unicodeScalars.first, "+-.0123456789".unicodeScalars.contains(first) else { return true }
        let plain = s.replacingOccurrences(of: "_", with: "")
        if isGoInteger(plain) || isYAMLFloat(plain) { return false }
        if ("0"..."9").contains(first), isTimestamp(s) { return false }
        return true
    }

    /// Go's `strconv.ParseInt(s, 0, 64)` or `ParseUint(s, 0, 64)` succeeds.
    static func isGoInteger(_ s: String) -> Bool {
        var body = Substring(s)
        var negative = false
        if body.hasPrefix("+") || body.hasPrefix("-") {
            negative = body.hasPrefix("-")
            body = body.dropFirst()
        }
        var radix = 10
        let lower = body.lowercased()
        if lower.hasPrefix("0x") {
            radix = 16
            body = body.dropFirst(2)
        } else if lower.hasPrefix("0o") {
            radix = 8
            body = body.dropFirst(2)
        } else if lower.hasPrefix("0b") {
            radix = 2
            body = body.dropFirst(2)
        } else if body.hasPrefix("0") && body.count > 1 {
            radix = 8
            body = body.dropFirst()
        }
        guard !body.isEmpty, let magnitude = UInt64(body, radix: radix) else { return false }
        if negative { return magnitude <= UInt64(Int64.max) + 1 }
        return true
    }

    /// yaml.v2's float pattern, and a finite value.
    static func isYAMLFloat(_ s: String) -> Bool {
        var u = Array(s.utf8)[...]
        if let f = u.first, f == UInt8(ascii: "+") || f == UInt8(ascii: "-") { u = u.dropFirst() }
        func digits(_ u: inout ArraySlice<UInt8>) -> Int {
            var n = 0
            while let c = u.first, c >= 48 && c <= 57 {
                u = u.dropFirst()
                n += 1
            }
            return n
        }
        if u.first == UInt8(ascii: ".") {
            u = u.dropFirst()
            guard digits(&u) > 0 else { return false }
        } else {
            guard digits(&u) > 0 else { return false }
            if u.first == UInt8(ascii: ".") {
                u = u.dropFirst()
                _ = digits(&u)
            }
        }
        if let e = u.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            u = u.dropFirst()
            if let sign = u.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { u = u.dropFirst() }
            guard digits(&u) > 0 else { return false }
        }
        guard u.isEmpty, let value = Double(s) else { return false }
        return value.isFinite
    }

    /// `[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?`
    static func isBase60Float(_ s: String) -> Bool {
        var u = Array(s.utf8)[...]
        if let f = u.first, f == UInt8(ascii: "+") || f == UInt8(ascii: "-") { u = u.dropFirst() }
        func isDigit(_ c: UInt8?) -> Bool { c.map { $0 >= 48 && $0 <= 57 } ?? false }
        guard isDigit(u.first) else { return false }
        u = u.dropFirst()
        while let c = u.first, isDigit(c) || c == UInt8(ascii: "_") { u = u.dropFirst() }
        var groups = 0
        while u.first == UInt8(ascii: ":") {
            u = u.dropFirst()
            if let a = u.first, a >= 48 && a <= 53, isDigit(u.dropFirst().first) {
                u = u.dropFirst(2)
            } else if isDigit(u.first) {
                u = u.dropFirst()
            } else {
                return false
            }
            groups += 1
        }
        guard groups > 0 else { return false }
        if u.first == UInt8(ascii: ".") {
            u = u.dropFirst()
            while let c = u.first, isDigit(c) || c == UInt8(ascii: "_") { u = u.dropFirst() }
        }
        return u.isEmpty
    }

    /// The timestamp forms yaml.v2 accepts: `2006-1-2`, `2006-1-2T15:4:5.999999999Z07:00` (or `t`) and
    /// `2006-1-2 15:4:5.999999999`, with valid ranges.
    static func isTimestamp(_ s: String) -> Bool {
        let u = Array(s.utf8)
        var i = 0
        func number(maxDigits: Int) -> Int? {
            var n = 0
            var count = 0
            while i < u.count, count < maxDigits, u[i] >= 48 && u[i] <= 57 {
                n = n * 10 + Int(u[i] - 48)
                i += 1
                count += 1
            }
            return count == 0 ? nil : n
        }
        func expect(_ c: Character) -> Bool {
            guard i < u.count, u[i] == c.asciiValue else { return false }
            i += 1
            return true
        }
        guard u.count >= 5, u[0...3].allSatisfy({ $0 >= 48 && $0 <= 57 }), u[4] == UInt8(ascii: "-") else { return false }
        guard let year = number(maxDigits: 4), expect("-"), let month = number(maxDigits: 2), expect("-"),
            let day = number(maxDigits: 2), (1...12).contains(month)
        else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard (1...days).contains(day) else { return false }
        if i == u.count { return true }
        let separator = u[i]
        guard separator == UInt8(ascii: "T") || separator == UInt8(ascii: "t") || separator == UInt8(ascii: " ") else { return false }
        i += 1
        guard let hour = number(maxDigits: 2), expect(":"), let minute = number(maxDigits: 2), expect(":"),
            let second = number(maxDigits: 2), hour < 24, minute < 60, second < 60
        else { return false }
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            guard number(maxDigits: 9) != nil else { return false }
        }
        if separator == UInt8(ascii: " ") { return i == u.count }
        if expect("Z") { return i == u.count }
        guard i < u.count, u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") else { return false }
        i += 1
        guard let zh = number(maxDigits: 2), expect(":"), let zm = number(maxDigits: 2), zh < 24, zm < 60 else { return false }
        return i == u.count
    }
}

/// A JSON number as yaml.v2 writes it back after reading the JSON text.
enum YAMLNumber {
    static func format(_ literal: String) -> String {
        if let i = Int64(literal) { return String(i) }
        if !literal.hasPrefix("-"), let u = UInt64(literal) { return String(u) }
        guard let d = Double(literal), d.isFinite else { return literal }
        return goShortest(d)
    }

    /// Go's `strconv.FormatFloat(d, 'g', -1, 64)`.
    static func goShortest(_ d: Double) -> String {
        if d == 0 { return d.sign == .minus ? "-0" : "0" }
        // Swift's description holds the shortest round-trip digits; take them and the decimal exponent.
        var text = "\(abs(d))"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        var digits = ""
        var pointPosition = text.count
        if let dot = text.firstIndex(of: ".") {
            pointPosition = text.distance(from: text.startIndex, to: dot)
            digits = text.replacingOccurrences(of: ".", with: "")
        } else {
            digits = text
        }
        // Strip leading zeros (moving the point) and trailing zeros.
        var decimalPoint = pointPosition + exponent
        while digits.hasPrefix("0") && digits.count > 1 {
            digits.removeFirst()
            decimalPoint -= 1
        }
        while digits.hasSuffix("0") && digits.count > 1 { digits.removeLast() }
        let sign = d < 0 ? "-" : ""
        let exp = decimalPoint - 1
        // %e when the exponent is below -4 or at least 6 (the precision Go uses for the shortest form).
        if exp < -4 || exp >= 6 {
            var mantissa = String(digits.prefix(1))
            if digits.count > 1 { mantissa += "." + digits.dropFirst() }
            let expSign = exp < 0 ? "-" : "+"
            let magnitude = abs(exp)
            return sign + mantissa + "e" + expSign + (magnitude < 10 ? "0" : "") + String(magnitude)
        }
        if decimalPoint <= 0 {
            return sign + "0." + String(repeating: "0", count: -decimalPoint) + digits
        }
        if decimalPoint >= digits.count {
            return sign + digits + String(repeating: "0", count: decimalPoint - digits.count)
        }
        let index = digits.index(digits.startIndex, offsetBy: decimalPoint)
        return sign + digits[..<index] + "." + digits[index...]
    }
}
