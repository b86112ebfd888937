import Foundation

/// Parses Vault duration input: an integer of seconds (`3600`, `"3600"`), `Nd` for days, or Go duration text
/// (`"1h30m"`, `"768h"`, `"10s"`, `"1.5h"`), as OpenBao's `parseutil.ParseDurationSecond`. Returns seconds, or nil
/// when malformed or out of range (more than ~292 years, which Go's `time.Duration` cannot hold).
/// ``GoDuration/parseDurationSecond(_:)`` gives OpenBao's error text instead of nil.
public func parseDurationSeconds(_ value: JSONValue) -> Int64? {
    if case .string(let s) = value { return parseDurationSeconds(s) }
    return try? GoDuration.parseDurationSecond(value).get()
}

/// Duration text (surrounding blanks ignored), as ``parseDurationSeconds(_:)-(JSONValue)``.
public func parseDurationSeconds(_ text: String) -> Int64? {
    try? GoDuration.parseSeconds(text.trimmingWhitespace()).get()
}
