/// Lower-case hex text of bytes, written without `String(format:)` (which costs a Foundation format parse per byte
/// and sits on the request path: token and secret-ID hashes). Inlinable, so that it is specialized for the caller's
/// byte sequence instead of walking it through protocol witnesses.
@inlinable
public func hexEncoded(_ bytes: some Sequence<UInt8>) -> String {
    let digits: StaticString = "0123456789abcdef"
    let d = digits.utf8Start
    var out: [UInt8] = []
    out.reserveCapacity(bytes.underestimatedCount * 2)
    for b in bytes {
        out.append(d[Int(b >> 4)])
        out.append(d[Int(b & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}
