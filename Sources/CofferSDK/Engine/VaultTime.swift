import Foundation

/// RFC 3339 with nanoseconds as Go prints `time.Time` in JSON (e.g. `2024-01-02T03:04:05.123456789Z`).
public func formatVaultTime(_ date: Date) -> String { formatVaultTime(date, milliseconds: false) }

/// With `milliseconds`, the fraction is always three digits (log timestamps, as OpenBao's logger writes them).
public func formatVaultTime(_ date: Date, milliseconds: Bool) -> String {
    let t = date.timeIntervalSince1970
    // Clamped: a date pushed far out by a client-chosen TTL must not trap here.
    let secs = CheckedNumber.int64(clamping: t.rounded(.down))
    let nanos = CheckedNumber.int64(clamping: ((t - Double(secs)) * 1e9).rounded())
    var tm = tm()
    var s = time_t(secs)
    gmtime_r(&s, &tm)
    let year = Int(tm.tm_year) + 1900
    guard (0...9999).contains(year), (0..<1_000_000_000).contains(nanos) else {
        return formatVaultTimeWithFormat(tm: tm, nanos: nanos)
    }
    // Written by hand: this runs for every token lookup and KV read, and String(format:) is slow.
    var out: [UInt8] = []
    out.reserveCapacity(30)
    func digits(_ v: Int, _ width: Int) {
        var d = 1
        for _ in 1..<width { d *= 10 }
        var v = v
        while d > 0 {
            out.append(UInt8(ascii: "0") + UInt8(v / d))
            v %= d
            d /= 10
        }
    }
    digits(year, 4)
    out.append(UInt8(ascii: "-"))
    digits(Int(tm.tm_mon) + 1, 2)
    out.append(UInt8(ascii: "-"))
    digits(Int(tm.tm_mday), 2)
    out.append(UInt8(ascii: "T"))
    digits(Int(tm.tm_hour), 2)
    out.append(UInt8(ascii: ":"))
    digits(Int(tm.tm_min), 2)
    out.append(UInt8(ascii: ":"))
    digits(Int(tm.tm_sec), 2)
    if milliseconds {
        out.append(UInt8(ascii: "."))
        digits(Int(nanos / 1_000_000), 3)
    } else if nanos != 0 {
        out.append(UInt8(ascii: "."))
        digits(Int(nanos), 9)
        while out.last == UInt8(ascii: "0") { out.removeLast() }
    }
    out.append(UInt8(ascii: "Z"))
    return String(decoding: out, as: UTF8.self)
}

private func formatVaultTimeWithFormat(tm: tm, nanos: Int64) -> String {
    let base = String(
        format: "%04d-%02d-%02dT%02d:%02d:%02d", Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1, Int(tm.tm_mday), Int(tm.tm_hour),
        Int(tm.tm_min), Int(tm.tm_sec))
    if nanos == 0 { return base + "Z" }
    var frac = String(format: "%09lld", nanos)
    while frac.hasSuffix("0") { frac.removeLast() }
    return base + "." + frac + "Z"
}

/// Parses RFC 3339 timestamps as written by ``formatVaultTime(_:)``: `YYYY-MM-DDTHH:MM:SS`, an optional fraction of
/// any length, then `Z` or a `±HH:MM` offset. Parsed by hand rather than with `ISO8601DateFormatter`, which on Linux
/// loads and initialises ICU (several MiB resident) for what is fixed-width arithmetic.
public func parseVaultTime(_ s: String) -> Date? {
    var u = s.utf8[...]
    func number(_ width: Int) -> Int? {
        guard u.count >= width else { return nil }
        var v = 0
        for _ in 0..<width {
            let b = u.first!
            guard b >= 0x30 && b <= 0x39 else { return nil }
            v = v * 10 + Int(b - 0x30)
            u = u.dropFirst()
        }
        return v
    }
    func expect(_ c: Character) -> Bool {
        guard let b = u.first, b == c.asciiValue! else { return false }
        u = u.dropFirst()
        return true
    }
    guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2) else { return nil }
    guard let sep = u.first, sep == UInt8(ascii: "T") || sep == UInt8(ascii: "t") else { return nil }
    u = u.dropFirst()
    guard let hour = number(2), expect(":"), let minute = number(2), expect(":"), let second = number(2) else { return nil }
    guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour < 24, minute < 60, second < 60
    else { return nil }
    var fraction = 0.0
    if expect(".") {
        var scale = 0.1
        var any = false
        while let b = u.first, b >= 0x30 && b <= 0x39 {
            fraction += Double(b - 0x30) * scale
            scale /= 10
            any = true
            u = u.dropFirst()
        }
        guard any else { return nil }
    }
    var offset = 0
    guard let zone = u.first else { return nil }
    u = u.dropFirst()
    switch zone {
    case UInt8(ascii: "Z"), UInt8(ascii: "z"): break
    case UInt8(ascii: "+"), UInt8(ascii: "-"):
        guard let oh = number(2), expect(":"), let om = number(2), oh < 24, om < 60 else { return nil }
        offset = (oh * 60 + om) * 60 * (zone == UInt8(ascii: "-") ? -1 : 1)
    default: return nil
    }
    guard u.isEmpty else { return nil }
    let seconds = daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset
    return Date(timeIntervalSince1970: Double(seconds) + fraction)
}

private func daysIn(month: Int, year: Int) -> Int {
    switch month {
    case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (the well-known era-based conversion).
private func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
}
