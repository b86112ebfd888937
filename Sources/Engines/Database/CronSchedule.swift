import Foundation

/// A standard 5-field cron schedule (minute hour day-of-month month day-of-week, UTC) with `*`, lists (`,`), ranges
/// (`-`) and steps (`/`), as Vault's `rotation_schedule`. Day-of-month and day-of-week combine as in cron: when both
/// are restricted, either may match.
struct CronSchedule: Sendable, Equatable {
    struct ParseError: Error, Equatable, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    let minutes: Set<Int>
    let hours: Set<Int>
    let days: Set<Int>
    let months: Set<Int>
    let weekdays: Set<Int>
    let daysRestricted: Bool
    let weekdaysRestricted: Bool

    init(_ text: String) throws(ParseError) {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw ParseError(message: "expected exactly 5 fields, found \(fields.count): [\(text)]")
        }
        minutes = try Self.field(fields[0], 0...59)
        hours = try Self.field(fields[1], 0...23)
        days = try Self.field(fields[2], 1...31)
        months = try Self.field(fields[3], 1...12)
        var wd = try Self.field(fields[4], 0...7)
        if wd.contains(7) { wd.insert(0) }
        weekdays = wd
        daysRestricted = !fields[2].hasPrefix("*")
        weekdaysRestricted = !fields[4].hasPrefix("*")
    }

    static func field(_ text: String, _ range: ClosedRange<Int>) throws(ParseError) -> Set<Int> {
        var out = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            var base = Substring(part)
            var step = 1
            if let slash = part.firstIndex(of: "/") {
                base = part[..<slash]
                let s = part[part.index(after: slash)...]
                guard s.count <= 2, let n = Int(s), n > 0 else { throw ParseError(message: "invalid step \"\(part)\"") }
                step = n
            }
            var lo = range.lowerBound
            var hi = range.upperBound
            if base != "*" {
                let bounds = base.split(separator: "-", omittingEmptySubsequences: false)
                guard (1...2).contains(bounds.count), bounds.allSatisfy({ $0.count <= 2 }),
                    let a = Int(bounds[0]), let b = Int(bounds[bounds.count - 1]),
                    range.contains(a), range.contains(b), a <= b
                else { throw ParseError(message: "invalid value \"\(part)\" (allowed \(range.lowerBound)-\(range.upperBound))") }
                lo = a
                hi = bounds.count == 2 || part.contains("/") ? (bounds.count == 2 ? b : range.upperBound) : a
            }
            for v in stride(from: lo, through: hi, by: step) { out.insert(v) }
        }
        return out
    }

    static var utc: Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC") ?? .current
        return c
    }

    /// The first matching minute strictly after `date` (within five years), or nil.
    func next(after date: Date) -> Date? {
        let cal = Self.utc
        guard var t = cal.date(bySetting: .second, value: 0, of: date.addingTimeInterval(60)) else { return nil }
        // `date(bySetting:)` may move forward to the next minute boundary; make sure we are past `date`.
        if t <= date { t = t.addingTimeInterval(60) }
        let limit = date.addingTimeInterval(5 * 366 * 86400)
        while t < limit {
            let c = cal.dateComponents([.month, .day, .hour, .minute, .weekday], from: t)
            guard let month = c.month, let day = c.day, let hour = c.hour, let minute = c.minute, let weekday = c.weekday else {
                return nil
            }
            if !months.contains(month) {
                guard let start = cal.date(from: cal.dateComponents([.year, .month], from: t)),
                    let nextMonth = cal.date(byAdding: .month, value: 1, to: start)
                else { return nil }
                t = nextMonth
                continue
            }
            let dayOK = days.contains(day)
            let weekdayOK = weekdays.contains(weekday - 1)
            let dateOK = daysRestricted && weekdaysRestricted ? (dayOK || weekdayOK) : (dayOK && weekdayOK)
            if !dateOK {
                guard let next = cal.date(byAdding: .day, value: 1, to: cal.startOfDay(for: t)) else { return nil }
                t = next
                continue
            }
            if !hours.contains(hour) {
                t = t.addingTimeInterval(TimeInterval((60 - minute) * 60))
                continue
            }
            if !minutes.contains(minute) {
                t = t.addingTimeInterval(60)
                continue
            }
            return t
        }
        return nil
    }
}
