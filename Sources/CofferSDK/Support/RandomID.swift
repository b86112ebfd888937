/// Generates random identifiers from the system CSPRNG.
public enum RandomID {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// Base62 text of `count` characters, uniformly chosen (rejection sampling).
    public static func base62(_ count: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        var out = [UInt8]()
        out.reserveCapacity(count)
        // Eight random bytes per draw: each draw is a getrandom(2) call.
        while out.count < count {
            var word = rng.next()
            for _ in 0..<8 where out.count < count {
                let b = UInt8(truncatingIfNeeded: word)
                word >>= 8
                if b < 248 { out.append(alphabet[Int(b % 62)]) }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func uuid() -> String {
        var rng = SystemRandomNumberGenerator()
        var words = (rng.next() as UInt64, rng.next() as UInt64)
        let hex = withUnsafeBytes(of: &words) { hexEncoded($0) }
        let c = Array(hex)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-"
            + String(c[20..<32])
    }

    public static func hex(_ bytes: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        var out: [UInt8] = []
        out.reserveCapacity(bytes + 7)
        while out.count < bytes { withUnsafeBytes(of: rng.next() as UInt64) { out += $0 } }
        return hexEncoded(out.prefix(bytes))
    }
}
