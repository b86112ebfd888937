import CofferSDK
import Foundation
import FuzzSupport

@testable import TransitEngine

/// Duration and field parsing: `parseDurationSeconds`, `GoDuration`, the `LogicalRequest` field accessors, transit's
/// weakly typed `Fields`, and RFC 3339 times. The first byte chooses how the rest is read: even, as a JSON object whose
/// members are the request fields; odd, as the text of one field (also tried as a number).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFields(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzBytes(fuzzInput(data, size))
    let mode = input.byte()
    let rest = Array(input.rest)
    var fields: [String: JSONValue] = [:]
    if mode & 1 == 0 {
        guard let value = try? JSONValue.parse(rest) else { return 0 }
        switch value {
        case .object(let o): fields = o
        default: fields = ["v": value]
        }
    } else {
        let text = String(decoding: rest, as: UTF8.self)
        fields = ["v": .string(text)]
        if let i = Int64(text) { fields["i"] = .int(i) }
        if let d = Double(text) { fields["d"] = .double(d) }
    }

    let request = LogicalRequest(operation: .update, path: "fuzz", data: fields, storage: InMemoryPhysicalBackend())
    let transit = Fields(fields)
    for (key, value) in fields.prefix(32) {
        _ = request.string(key)
        _ = try? request.int(key)
        _ = try? request.bool(key)
        _ = try? request.duration(key)
        _ = request.stringList(key)
        _ = try? request.strings(key)
        _ = request.stringMap(key)
        _ = parseDurationSeconds(value)
        if case .success(let seconds) = GoDuration.parseDurationSecond(value) {
            fuzzCheck(seconds.magnitude <= GoDuration.maxSeconds.magnitude, "duration \(seconds)s is past Go's range")
        }
        _ = value.intValue
        _ = value.boolValue
        _ = try? transit.string(key)
        _ = try? transit.int(key)
        _ = try? transit.bool(key)
        _ = try? transit.duration(key)
        _ = try? transit.batch(key)
        _ = fields.itemString(key)
        _ = fields.itemInt(key)
        _ = fields.itemBool(key)
        if case .string(let s) = value { checkDurationText(s) }
    }
    return 0
}

/// Duration text: Go's parser and the seconds parser must not crash; what they accept formats back to itself.
func checkDurationText(_ s: String) {
    _ = parseDurationSeconds(s)
    _ = GoDuration.parseGoDuration(s)
    if case .success(let seconds) = GoDuration.parseSeconds(s) {
        // Go's time.Duration holds ±292 years; within it, the formatted duration parses back to the same seconds.
        if seconds.magnitude <= GoDuration.maxSeconds.magnitude {
            let text = GoDuration.format(seconds: seconds)
            let back = GoDuration.parseSeconds(text)
            fuzzCheck(back == .success(seconds), "GoDuration.format(\(seconds)) = \(text) parses back as \(back)")
        }
    }
    if let date = parseVaultTime(s) {
        let text = formatVaultTime(date)
        fuzzCheck(parseVaultTime(text) != nil, "formatVaultTime of a parsed time does not parse: \(s) -> \(text)")
    }
}
