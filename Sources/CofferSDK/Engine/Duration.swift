import Foundation

/// Parses Vault duration input: an integer of seconds (`3600`, `"3600"`) or Go duration text (`"1h30m"`, `"768h"`,
/// `"10s"`, `"1.5h"`), also `d` for days as Vault accepts. Returns seconds, or nil when malformed.
public func parseDurationSeconds(_ value: JSONValue) -> Int64? {
    switch value {
    case .int(let i): return i
    case .double(let d): return Int64(d)
    case .string(let s): return parseDurationSeconds(s)
    case .null: return 0
    default: return nil
    }
}

public func parseDurationSeconds(_ text: String) -> Int64? {
    let s = text.trimmingWhitespace()
    if s.isEmpty { return 0 }
    if let i = Int64(s) { return i }
    var total = 0.0
    var number = ""
    var unit = ""
    var sawAny = false
    func flush() -> Bool {
        guard let n = Double(number) else { return false }
        let mult: Double
        switch unit {
        case "ns": mult = 1e-9
        case "us", "µs": mult = 1e-6
        case "ms": mult = 1e-3
        case "s": mult = 1
        case "m": mult = 60
        case "h": mult = 3600
        case "d": mult = 86400
        default: return false
        }
        total += n * mult
        sawAny = true
        number = ""
        unit = ""
        return true
    }
    for ch in s {
        if ch.isNumber || ch == "." {
            if !unit.isEmpty { guard flush() else { return nil } }
            number.append(ch)
        } else {
            guard !number.isEmpty else { return nil }
            unit.append(ch)
        }
    }
    if !number.isEmpty { guard flush() else { return nil } }
    return sawAny ? Int64(total) : nil
}
