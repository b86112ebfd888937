import CofferSDK
import FuzzSupport

/// The JSON parser of request bodies and storage (CofferSDK's `JSONValue`), round trip: parse → serialize → parse
/// gives the same value, and serializing that gives the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)

    if let value = try? JSONValue.parse(bytes) {
        let first = value.serializedBytes()
        guard let again = try? JSONValue.parse(first) else {
            fuzzCheck(false, "serialized JSON does not parse: \(String(decoding: first, as: UTF8.self).prefix(500))")
            return 0
        }
        fuzzCheck(value.sameJSON(again), "round trip changed the value: \(String(decoding: first, as: UTF8.self).prefix(500))")
        let second = again.serializedBytes()
        fuzzCheck(first == second, "serialization is not stable: \(String(decoding: first, as: UTF8.self).prefix(300)) vs \(String(decoding: second, as: UTF8.self).prefix(300))")
    }

    return 0
}
