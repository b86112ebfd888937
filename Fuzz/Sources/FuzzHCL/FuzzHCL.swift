import CofferHCL
import CofferSDK
import FuzzSupport

/// The HCL parser: no crash, no stack overflow on any nesting; what parses is an object whose JSON serialization
/// reads back (as JSON, and as HCL's JSON form) to the same value; every top-level key has a line in the source map.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHCL(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let (value, sourceMap) = try? HCL.parseWithSourceMap(text) else { return 0 }
    guard let top = value.objectValue else {
        fuzzCheck(false, "HCL did not give an object")
        return 0
    }
    let json = value.serializedBytes()
    guard let back = try? JSONValue.parse(json) else {
        fuzzCheck(false, "HCL result does not read back as JSON: \(String(decoding: json, as: UTF8.self).prefix(500))")
        return 0
    }
    fuzzCheck(back.sameJSON(value), "JSON of the HCL result reads back different: \(String(decoding: json, as: UTF8.self).prefix(500))")
    guard let viaHCL = try? HCL.parse(String(decoding: json, as: UTF8.self)) else {
        fuzzCheck(false, "HCL's JSON form refuses the serialized result: \(String(decoding: json, as: UTF8.self).prefix(500))")
        return 0
    }
    fuzzCheck(viaHCL.sameJSON(value), "HCL's JSON form reads the result back different")
    if !HCL.isJSON(text) {
        for key in top.keys {
            fuzzCheck(sourceMap.line(of: [key]) != nil, "no line for top-level key \(key)")
        }
    }
    return 0
}
