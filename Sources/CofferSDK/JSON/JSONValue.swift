import Foundation

/// A JSON value as Vault sends and receives it: request bodies, response `data`, stored engine records.
///
/// Numbers keep the integer/float distinction so that `5` round-trips as `5`, not `5.0`.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

extension JSONValue {
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
    public var boolValue: Bool? {
        switch self {
        case .bool(let b): return b
        case .string(let s):
            switch s.lowercased() {
            case "true", "1", "t": return true
            case "false", "0", "f", "": return false
            default: return nil
            }
        case .int(let i): return i != 0
        default: return nil
        }
    }
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d): return d.rounded() == d ? Int64(exactly: d) : nil
        case .string(let s): return Int64(s)
        default: return nil
        }
    }
    public var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, b in b }))
    }
    public init(nilLiteral: ()) { self = .null }
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int64.self) {
            self = .int(i)
        } else if let d = try? c.decode(Double.self) {
            self = .double(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

extension JSONValue {
    /// How deeply ``parse(_:)`` lets arrays and objects nest (the top-level value is depth 0); deeper text fails with
    /// `exceeded max depth`, as Go's decoder says past its own limit. Keeps the recursion here and in every walker of
    /// the result shallow.
    public static let maxDepth = 512

    /// Parses JSON text (RFC 8259). Duplicate object keys keep the last value, as Go's decoder does.
    public static func parse(_ data: some Collection<UInt8>) throws -> JSONValue {
        try parse(data, maxDepth: maxDepth)
    }

    /// Parses JSON text nested at most `maxDepth` levels: for documents that wrap values of ``maxDepth`` a few
    /// levels down, such as audit entries holding a request body.
    public static func parse(_ data: some Collection<UInt8>, maxDepth: Int) throws -> JSONValue {
        var parser = JSONParser(bytes: Array(data), maxDepth: maxDepth)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == parser.bytes.count else {
            throw JSONParseError("invalid character after top-level value at offset \(parser.index)")
        }
        return value
    }

    public static func parse(_ string: String) throws -> JSONValue {
        try parse(Array(string.utf8))
    }

    /// Serializes compactly with object keys sorted, as Go's encoding/json does for maps.
    public func serialized() -> String {
        String(decoding: serializedBytes(), as: UTF8.self)
    }

    public func serializedData() -> Data { Data(serializedBytes()) }

    /// The UTF-8 bytes of ``serialized()``.
    public func serializedBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(to: &out)
        return out
    }

    public func write(to out: inout String) {
        out += String(decoding: serializedBytes(), as: UTF8.self)
    }

    /// Appends the compact serialization (object keys sorted) as UTF-8.
    public func write(to out: inout [UInt8]) {
        switch self {
        case .null: Self.append("null", to: &out)
        case .bool(let b): Self.append(b ? "true" : "false", to: &out)
        case .int(let i): Self.writeInt(i, to: &out)
        case .double(let d):
            if d.isFinite, d == d.rounded(), abs(d) < 1e15 {
                Self.writeInt(Int64(d), to: &out)
            } else if d.isFinite {
                out.append(contentsOf: "\(d)".utf8)
            } else {
                Self.append("null", to: &out)
            }
        case .string(let s): Self.writeString(s, to: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            var first = true
            for v in a {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                v.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            var first = true
            for (k, v) in o.sorted(by: { $0.key < $1.key }) {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                Self.writeString(k, to: &out)
                out.append(UInt8(ascii: ":"))
                v.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    @inline(__always)
    static func append(_ s: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// Appends `i` in decimal: for hand-written encoders of fixed records.
    public static func writeIntPublic(_ i: Int64, to out: inout [UInt8]) { writeInt(i, to: &out) }

    static func writeInt(_ i: Int64, to out: inout [UInt8]) {
        if i >= 0 && i < 10 {
            out.append(UInt8(ascii: "0") + UInt8(i))
            return
        }
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: 20 digits and a sign fit
        var v = i.magnitude
        withUnsafeMutableBytes(of: &scratch) { buf in
            var p = buf.count
            while v > 0 {
                p -= 1
                buf[p] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
            if i < 0 {
                p -= 1
                buf[p] = UInt8(ascii: "-")
            }
            out.append(contentsOf: buf[p...])
        }
    }

    /// The byte a one-letter escape of a JSON string (`\n`, `\"`, `\/`, …; not `\u`) stands for; nil for another letter.
    public static func unescapedByte(_ letter: UInt8) -> UInt8? {
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): return letter
        case UInt8(ascii: "b"): return 0x08
        case UInt8(ascii: "f"): return 0x0C
        case UInt8(ascii: "n"): return 0x0A
        case UInt8(ascii: "r"): return 0x0D
        case UInt8(ascii: "t"): return 0x09
        default: return nil
        }
    }

    /// The scalar of the `\u` escapes `high` and `low` when they form a UTF-16 surrogate pair.
    public static func surrogatePair(_ high: UInt32, _ low: UInt32) -> UInt32? {
        guard (0xD800..<0xDC00).contains(high), (0xDC00..<0xE000).contains(low) else { return nil }
        return 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
    }

    /// Appends the UTF-8 of the scalar `code` of a `\u` escape (U+FFFD for a lone surrogate).
    public static func appendUTF8(_ code: UInt32, to out: inout [UInt8]) {
        out.append(contentsOf: String(Character(Unicode.Scalar(code) ?? "\u{FFFD}")).utf8)
    }

    /// Appends `s` as a JSON string literal, escaped as Go's encoder does.
    public static func writeStringPublic(_ s: String, to out: inout String) {
        var b: [UInt8] = []
        writeString(s, to: &b)
        out += String(decoding: b, as: UTF8.self)
    }

    /// Appends `s` as a JSON string literal (UTF-8), escaped as Go's encoder does.
    public static func writeStringPublic(_ s: String, to out: inout [UInt8]) { writeString(s, to: &out) }

    static func writeString(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { u in
            out.reserveCapacity(out.count + u.count + 2)
            out.append(UInt8(ascii: "\""))
            var runStart = 0
            let escape = jsonEscapeTable
            let n = u.count
            var j = 0
            while j < n {
                // Eight bytes at a time while none needs escaping (base64 payloads of transit run to kilobytes).
                if let base = u.baseAddress {
                    while j + 8 <= n, !SWAR.mayNeedJSONEscape(UnsafeRawPointer(base + j).loadUnaligned(as: UInt64.self)) { j += 8 }
                }
                guard j < n else { break }
                let b = u[j]
                j += 1
                guard escape[Int(b)] else { continue }
                if j - 1 > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<(j - 1)])) }
                runStart = j
                switch b {
                case 0x22: append("\\\"", to: &out)
                case 0x5C: append("\\\\", to: &out)
                case 0x0A: append("\\n", to: &out)
                case 0x0D: append("\\r", to: &out)
                case 0x09: append("\\t", to: &out)
                case 0x3C: append("\\u003c", to: &out)
                case 0x3E: append("\\u003e", to: &out)
                case 0x26: append("\\u0026", to: &out)
                default:
                    let hex: StaticString = "0123456789abcdef"
                    append("\\u00", to: &out)
                    out.append(hex.utf8Start[Int(b >> 4)])
                    out.append(hex.utf8Start[Int(b & 0x0F)])
                }
            }
            if u.count > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: u[runStart..<u.count])) }
            out.append(UInt8(ascii: "\""))
        }
    }
}

/// Bytes a JSON string cannot hold literally in Go's encoding: control characters, `"`, `\`, and the HTML
/// characters `<`, `>`, `&` that Go escapes.
private let jsonEscapeTable: [Bool] = (0..<256).map { b in
    b < 0x20 || b == 0x22 || b == 0x5C || b == 0x3C || b == 0x3E || b == 0x26
}

/// Bytes that end the escape-free run of a string literal: the closing quote, a backslash, a control character.
private let jsonStringStopTable: [Bool] = (0..<256).map { b in b < 0x20 || b == 0x22 || b == 0x5C }

private struct JSONParser {
    let bytes: [UInt8]
    let maxDepth: Int
    var index = 0

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    mutating func skipWhitespace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
            index += 1
        }
    }

    mutating func parseValue(depth: Int) throws -> JSONValue {
        guard depth < maxDepth else { throw JSONParseError("exceeded max depth") }
        guard index < bytes.count else { throw JSONParseError("unexpected EOF") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            index += 1
            var obj: [String: JSONValue] = [:]
            if closesEmpty(UInt8(ascii: "}")) { return .object(obj) }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                    throw JSONParseError("invalid character looking for beginning of object key string at offset \(index)")
                }
                let key = try parseString()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                    throw JSONParseError("invalid character after object key at offset \(index)")
                }
                index += 1
                skipWhitespace()
                obj[key] = try parseValue(depth: depth + 1)
                if try !another(close: UInt8(ascii: "}"), after: "object key:value pair") { return .object(obj) }
            }
        case UInt8(ascii: "["):
            index += 1
            var arr: [JSONValue] = []
            if closesEmpty(UInt8(ascii: "]")) { return .array(arr) }
            while true {
                skipWhitespace()
                arr.append(try parseValue(depth: depth + 1))
                if try !another(close: UInt8(ascii: "]"), after: "array element") { return .array(arr) }
            }
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        default:
            return try parseNumber()
        }
    }

    /// After an opening bracket: skips white space, and consumes `close` when it follows (an empty container).
    @inline(__always)
    mutating func closesEmpty(_ close: UInt8) -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == close else { return false }
        index += 1
        return true
    }

    /// After an object member or an array element: consumes `,` (true: another follows) or `close` (false).
    @inline(__always)
    mutating func another(close: UInt8, after: StaticString) throws -> Bool {
        skipWhitespace()
        guard index < bytes.count else { throw JSONParseError("unexpected EOF") }
        let b = bytes[index]
        guard b == UInt8(ascii: ",") || b == close else { throw JSONParseError("invalid character after \(after) at offset \(index)") }
        index += 1
        return b != close
    }

    mutating func expectLiteral(_ lit: StaticString) throws {
        let n = lit.utf8CodeUnitCount
        guard index + n <= bytes.count else { throw JSONParseError("invalid character at offset \(index)") }
        for j in 0..<n where bytes[index + j] != lit.utf8Start[j] {
            throw JSONParseError("invalid character at offset \(index)")
        }
        index += n
    }

    mutating func parseNumber() throws -> JSONValue {
        let start = index
        var isFloat = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        let digitsStart = index
        while index < bytes.count {
            let b = bytes[index]
            if b >= 0x30 && b <= 0x39 {
                index += 1
            } else if b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") || b == UInt8(ascii: "+")
                || (b == UInt8(ascii: "-") && index > digitsStart)
            {
                isFloat = true
                index += 1
            } else {
                break
            }
        }
        guard index > digitsStart else { throw JSONParseError("invalid character looking for beginning of value at offset \(start)") }
        if !isFloat && index - digitsStart <= 18 {
            // Up to 18 digits always fit an Int64: no text to build.
            var v: Int64 = 0
            for j in digitsStart..<index { v = v &* 10 &+ Int64(bytes[j] &- UInt8(ascii: "0")) }
            return .int(start == digitsStart ? v : -v)
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if !isFloat, let i = Int64(text) { return .int(i) }
        guard let d = Double(text) else { throw JSONParseError("invalid number literal \"\(text.prefix(32))\"") }
        return .double(d)
    }

    mutating func parseString() throws -> String {
        index += 1  // opening quote
        // Most strings have no escapes: take them as one slice.
        let start = index
        // One table load per byte, without bounds checks: base64 payloads run to kilobytes.
        let stop = bytes.withUnsafeBufferPointer { u -> Int in
            let special = jsonStringStopTable
            var i = start
            if let base = u.baseAddress {
                while i + 8 <= u.count, !SWAR.mayStopJSONString(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)) { i += 8 }
            }
            while i < u.count, !special[Int(u[i])] { i += 1 }
            return i
        }
        index = stop
        if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
            index += 1
            return String(decoding: bytes[start..<(index - 1)], as: UTF8.self)
        }
        var buf = Array(bytes[start..<index])
        while true {
            guard index < bytes.count else { throw JSONParseError("unexpected end of JSON input in string literal") }
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: buf, as: UTF8.self)
            }
            if b < 0x20 { throw JSONParseError("invalid character in string literal at offset \(index)") }
            if b == UInt8(ascii: "\\") {
                index += 1
                guard index < bytes.count else { throw JSONParseError("unexpected end of JSON input") }
                let e = bytes[index]
                index += 1
                if let unescaped = JSONValue.unescapedByte(e) {
                    buf.append(unescaped)
                    continue
                }
                guard e == UInt8(ascii: "u") else { throw JSONParseError("invalid escape in string literal at offset \(index - 1)") }
                var code = try parseHex4()
                if code >= 0xD800 && code < 0xDC00, index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"),
                    bytes[index + 1] == UInt8(ascii: "u")
                {
                    index += 2
                    code = JSONValue.surrogatePair(code, try parseHex4()) ?? code
                }
                JSONValue.appendUTF8(code, to: &buf)
                continue
            }
            buf.append(b)
            index += 1
        }
    }

    mutating func parseHex4() throws -> UInt32 {
        guard index + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else {
            throw JSONParseError("invalid \\u escape at offset \(index)")
        }
        index += 4
        return v
    }
}
