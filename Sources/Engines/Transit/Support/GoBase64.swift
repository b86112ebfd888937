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
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            t[Int(c)] = Int16(i)
        }
        return t
    }()

    static func decode(_ text: String) throws(DecodeError) -> [UInt8] {
        // Fast path: canonical padded base64, which Foundation decodes exactly as Go does. Anything it refuses
        // (line breaks, non-zero unused bits, errors) takes the Go-compatible path below.
        if let data = Data(base64Encoded: text) { return [UInt8](data) }
        let table = Self.table
        var text = text
        let result = text.withUTF8 { src in
            Result { () throws(DecodeError) -> [UInt8] in try decodeBuffer(src, table: table) }
        }
        return try result.get()
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
        Data(bytes).base64EncodedString()
    }

    /// Unpadded base64url, as JWS signatures are written.
    static func encodeURL(_ bytes: some DataProtocol) -> String {
        var s = Data(bytes).base64EncodedString()
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
