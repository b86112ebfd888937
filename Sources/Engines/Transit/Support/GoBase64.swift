import Foundation

/// Base64 as Go's `encoding/base64.StdEncoding` decodes it, with its error text
/// (`illegal base64 data at input byte N`): padding is required, `\r` and `\n` are skipped, and unused trailing
/// bits are ignored (so `aGVsbG9=` decodes to `hello`, as in OpenBao).
enum GoBase64 {
    struct DecodeError: Error, Equatable, CustomStringConvertible {
        var offset: Int
        var description: String { "illegal base64 data at input byte \(offset)" }
    }

    private static let table: [Int16] = {
        var t = [Int16](repeating: -1, count: 256)
        for i in 0..<alphabet.utf8CodeUnitCount { t[Int(alphabet.utf8Start[i])] = Int16(i) }
        return t
    }()

    static func decode(_ text: String) throws(DecodeError) -> [UInt8] {
        // Fast path: canonical padded base64, which Foundation decodes exactly as Go does. Anything it refuses
        // (line breaks, non-zero unused bits, errors) takes the Go-compatible path below.
        let table = Self.table
        var text = text
        let result = text.withUTF8 { src in
            Result { () throws(DecodeError) -> [UInt8] in
                if let bytes = decodeCanonical(src, table: table) { return bytes }
                return try decodeBuffer(src, table: table)
            }
        }
        return try result.get()
    }

    /// The common case, quickly: whole quanta of the alphabet with padding only at the end. Anything else (line
    /// breaks, misplaced padding, bad characters) answers nil and takes ``decodeBuffer(_:table:)``, which also
    /// names the offending byte.
    private static func decodeCanonical(_ src: UnsafeBufferPointer<UInt8>, table: [Int16]) -> [UInt8]? {
        let n = src.count
        guard n % 4 == 0 else { return nil }
        if n == 0 { return [] }
        var pad = 0
        if src[n - 1] == UInt8(ascii: "=") { pad = src[n - 2] == UInt8(ascii: "=") ? 2 : 1 }
        let count = n / 4 * 3 - pad
        return table.withUnsafeBufferPointer { t -> [UInt8]? in
            var ok = true
            let bytes = [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
                var i = 0
                var o = 0
                // Every quantum but the last is four alphabet characters.
                while i + 4 < n {
                    let a = t[Int(src[i])], b = t[Int(src[i + 1])], c = t[Int(src[i + 2])], d = t[Int(src[i + 3])]
                    if (a | b | c | d) < 0 {
                        ok = false
                        break
                    }
                    let v = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                    out[o] = UInt8(truncatingIfNeeded: v >> 16)
                    out[o + 1] = UInt8(truncatingIfNeeded: v >> 8)
                    out[o + 2] = UInt8(truncatingIfNeeded: v)
                    i += 4
                    o += 3
                }
                if ok {
                    // The last: two, three or four characters before the padding; unused low bits are ignored.
                    let a = t[Int(src[i])], b = t[Int(src[i + 1])]
                    let c = pad == 2 ? 0 : t[Int(src[i + 2])]
                    let d = pad >= 1 ? 0 : t[Int(src[i + 3])]
                    if (a | b | c | d) < 0 {
                        ok = false
                    } else {
                        let v = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                        out[o] = UInt8(truncatingIfNeeded: v >> 16)
                        if pad < 2 { out[o + 1] = UInt8(truncatingIfNeeded: v >> 8) }
                        if pad < 1 { out[o + 2] = UInt8(truncatingIfNeeded: v) }
                    }
                }
                initialized = ok ? count : 0
            }
            return ok ? bytes : nil
        }
    }

    private static func decodeBuffer(_ src: UnsafeBufferPointer<UInt8>, table: [Int16]) throws(DecodeError) -> [UInt8] {
        do {
            var out: [UInt8] = []
            out.reserveCapacity(src.count / 4 * 3)
            var acc: UInt32 = 0
            var j = 0
            var si = 0
            while si < src.count {
                let c = src[si]
                if c == 0x0A || c == 0x0D {
                    si += 1
                    continue
                }
                if c == UInt8(ascii: "=") {
                    // Padding: allowed only as the third and/or fourth character of a quantum.
                    switch j {
                    case 0, 1: throw DecodeError(offset: si)
                    case 2:
                        var k = si + 1
                        while k < src.count, src[k] == 0x0A || src[k] == 0x0D { k += 1 }
                        if k == src.count { throw DecodeError(offset: src.count) }
                        if src[k] != UInt8(ascii: "=") { throw DecodeError(offset: k) }
                        si = k + 1
                    default:
                        si += 1
                    }
                    while si < src.count, src[si] == 0x0A || src[si] == 0x0D { si += 1 }
                    if si < src.count { throw DecodeError(offset: si) }
                    // Unused low bits are ignored, as Go's decoder does.
                    if j == 2 {
                        out.append(UInt8(truncatingIfNeeded: acc >> 4))
                    } else {
                        out.append(UInt8(truncatingIfNeeded: acc >> 10))
                        out.append(UInt8(truncatingIfNeeded: acc >> 2))
                    }
                    return out
                }
                let v = table[Int(c)]
                if v < 0 { throw DecodeError(offset: si) }
                acc = acc << 6 | UInt32(v)
                j += 1
                si += 1
                if j == 4 {
                    out.append(UInt8(truncatingIfNeeded: acc >> 16))
                    out.append(UInt8(truncatingIfNeeded: acc >> 8))
                    out.append(UInt8(truncatingIfNeeded: acc))
                    acc = 0
                    j = 0
                }
            }
            if j != 0 { throw DecodeError(offset: src.count - j) }
            return out
        }
    }

    static func encode(_ bytes: some DataProtocol) -> String {
        if let s = bytes.withContiguousStorageIfAvailable({ encode(buffer: $0) }) { return s }
        return Array(bytes).withUnsafeBufferPointer { encode(buffer: $0) }
    }

    private static let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

    /// Standard padded base64, written straight into the string's storage (Foundation's encoder went through `Data`
    /// and cost about ten instructions a byte on transit's kilobyte payloads).
    private static func encode(buffer src: UnsafeBufferPointer<UInt8>) -> String {
        let n = src.count
        let length = (n + 2) / 3 * 4
        if length == 0 { return "" }
        let a = alphabet.utf8Start
        return String(unsafeUninitializedCapacity: length) { out in
            var i = 0
            var o = 0
            while i + 3 <= n {
                let v = UInt32(src[i]) << 16 | UInt32(src[i + 1]) << 8 | UInt32(src[i + 2])
                out[o] = a[Int(v >> 18)]
                out[o + 1] = a[Int(v >> 12 & 0x3F)]
                out[o + 2] = a[Int(v >> 6 & 0x3F)]
                out[o + 3] = a[Int(v & 0x3F)]
                i += 3
                o += 4
            }
            if i < n {
                let second = i + 1 < n
                let v = UInt32(src[i]) << 16 | (second ? UInt32(src[i + 1]) << 8 : 0)
                out[o] = a[Int(v >> 18)]
                out[o + 1] = a[Int(v >> 12 & 0x3F)]
                out[o + 2] = second ? a[Int(v >> 6 & 0x3F)] : UInt8(ascii: "=")
                out[o + 3] = UInt8(ascii: "=")
                o += 4
            }
            return o
        }
    }

    /// Unpadded base64url, as JWS signatures are written.
    static func encodeURL(_ bytes: some DataProtocol) -> String {
        var s = encode(bytes)
        s = s.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while s.hasSuffix("=") { s.removeLast() }
        return s
    }

    static func decodeURL(_ text: String) -> [UInt8]? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return try? decode(s)
    }
}
