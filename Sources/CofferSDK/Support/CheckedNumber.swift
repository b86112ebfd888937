import Foundation

/// Checked conversions for numbers that come from outside (request fields, headers, JSON numbers, claims, stored
/// records): every conversion here returns nil (or a clamped value, where the name says so) instead of trapping.
/// Swift's `Int64(someDouble)`, `Int(someInt64)` on 32-bit, and `a + b` / `a * b` trap on values out of range;
/// code that handles a value a client chose goes through these instead.
public enum CheckedNumber {
    /// 2^63 as a Double: the first value past Int64's range (Int64.max is not representable).
    static let twoToThe63 = 9_223_372_036_854_775_808.0

    /// The integer a double holds exactly; nil for fractions, NaN, infinities and values outside Int64.
    @inlinable public static func int64(exactly d: Double) -> Int64? { Int64(exactly: d) }

    /// The double truncated toward zero (as Go's `int64(f)` and Swift's `Int64(f)`), nil when NaN, infinite or outside
    /// Int64's range (where `Int64(f)` traps).
    public static func int64(truncating d: Double) -> Int64? {
        guard d.isFinite else { return nil }
        let t = d.rounded(.towardZero)
        guard t >= -twoToThe63, t < twoToThe63 else { return nil }
        return Int64(t)
    }

    /// The double truncated toward zero and clamped to Int64's range (NaN is 0): for values that only bound something
    /// (a remaining TTL, a time difference), where saturating is the right answer.
    public static func int64(clamping d: Double) -> Int64 {
        if d.isNaN { return 0 }
        if d >= twoToThe63 { return .max }
        if d < -twoToThe63 { return .min }
        return Int64(d.rounded(.towardZero))
    }

    /// `Int` of an Int64 (the same type on 64-bit platforms, narrower on 32-bit ones).
    @inlinable public static func int(_ v: Int64) -> Int? { Int(exactly: v) }

    /// `Int` of an Int64, clamped (for counts used as limits).
    @inlinable public static func int(clamping v: Int64) -> Int { Int(clamping: v) }

    /// Base-10 Int64 text as Go's `strconv.ParseInt(s, 10, 64)` reads it (optional sign, digits only).
    public static func int64<S: StringProtocol>(_ text: S) -> Int64? { Int64(text) }

    /// `a + b`, nil on overflow.
    @inlinable public static func add(_ a: Int64, _ b: Int64) -> Int64? {
        let (r, o) = a.addingReportingOverflow(b)
        return o ? nil : r
    }

    /// `a - b`, nil on overflow.
    @inlinable public static func subtract(_ a: Int64, _ b: Int64) -> Int64? {
        let (r, o) = a.subtractingReportingOverflow(b)
        return o ? nil : r
    }

    /// `a * b`, nil on overflow.
    @inlinable public static func multiply(_ a: Int64, _ b: Int64) -> Int64? {
        let (r, o) = a.multipliedReportingOverflow(by: b)
        return o ? nil : r
    }

    /// `a + b` saturating at Int64's bounds.
    @inlinable public static func add(clamping a: Int64, _ b: Int64) -> Int64 {
        let (r, o) = a.addingReportingOverflow(b)
        if !o { return r }
        return b > 0 ? .max : .min
    }

    /// Seconds as nanoseconds, nil past Int64 (about 292 years).
    @inlinable public static func nanoseconds(seconds: Int64) -> Int64? { multiply(seconds, 1_000_000_000) }

    /// Whole seconds from a Unix time (or any interval) as Int64, nil when it is not finite or outside Int64.
    public static func seconds(_ interval: TimeInterval) -> Int64? { int64(truncating: interval) }

    /// A point in time `seconds` after `date`, clamped to `Date.distantPast ... Date.distantFuture` so that huge values
    /// (a TTL of 1e18 seconds) neither trap nor produce dates that trap when converted back to integers.
    public static func date(_ date: Date, adding seconds: Int64) -> Date {
        let t = date.timeIntervalSinceReferenceDate + Double(seconds)
        let lo = Date.distantPast.timeIntervalSinceReferenceDate
        let hi = Date.distantFuture.timeIntervalSinceReferenceDate
        return Date(timeIntervalSinceReferenceDate: Swift.min(Swift.max(t.isNaN ? 0 : t, lo), hi))
    }

    /// A Unix time in seconds (a JWT `exp`, a stored creation time) as a Date, nil when it is not finite or lies beyond
    /// what Int64 seconds hold (which `Date` arithmetic converted back to integers would trap on).
    public static func date(unixSeconds: Double) -> Date? {
        guard unixSeconds.isFinite, unixSeconds > -twoToThe63 / 2, unixSeconds < twoToThe63 / 2 else { return nil }
        return Date(timeIntervalSince1970: unixSeconds)
    }

    /// A value in `range`, or nil (HTTP status codes, chunk sizes, counts with a natural limit).
    @inlinable public static func value<T: Comparable>(_ v: T, in range: ClosedRange<T>) -> T? {
        range.contains(v) ? v : nil
    }

    /// An HTTP status code from outside (an `http_status_code` field, a `*code` query parameter): nil outside 100...599.
    public static func httpStatus(_ v: JSONValue) -> Int? {
        guard let i = v.intValue, (100...599).contains(i) else { return nil }
        return Int(i)
    }

    /// An HTTP status code from text: nil unless it is an integer in 100...599.
    public static func httpStatus<S: StringProtocol>(_ text: S) -> Int? {
        guard let i = Int64(text), (100...599).contains(i) else { return nil }
        return Int(i)
    }
}
