import Foundation

/// Tests on eight bytes at once (the classic "has a zero byte" bit trick): each answers whether *any* of the eight bytes
/// is of a kind, exactly, so a word that answers no is skipped whole and one that answers yes is looked at byte by byte.
enum SWAR {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// Nonzero when some byte is below `n` (n ≤ 128).
    @inline(__always) static func less(_ x: UInt64, _ n: UInt8) -> UInt64 {
        (x &- ones &* UInt64(n)) & ~x & highs
    }

    /// Nonzero when some byte equals `c`.
    @inline(__always) static func equal(_ x: UInt64, _ c: UInt8) -> UInt64 {
        let v = x ^ (ones &* UInt64(c))
        return (v &- ones) & ~v & highs
    }

    /// Some byte is in ``jsonEscapeTable``: a control character, `"`, `\`, `<`, `>` or `&`. Setting bit 2 maps `"`
    /// (0x22) and `&` (0x26) both to 0x26 and no other byte there; setting bit 1 does the same for `<` and `>`.
    @inline(__always) static func mayNeedJSONEscape(_ x: UInt64) -> Bool {
        less(x, 0x20) | equal(x | (ones &* 0x04), 0x26) | equal(x, 0x5C) | equal(x | (ones &* 0x02), 0x3E) != 0
    }

    /// Some byte is in ``jsonStringStopTable``: a control character, `"` or `\`.
    @inline(__always) static func mayStopJSONString(_ x: UInt64) -> Bool {
        less(x, 0x20) | equal(x, 0x22) | equal(x, 0x5C) != 0
    }
}
