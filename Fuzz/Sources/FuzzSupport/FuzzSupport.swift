import CLibFuzzer
import CofferSDK
import Foundation

/// Runs libFuzzer on `testOneInput` with the process's arguments (libFuzzer's flags, corpus directories or inputs
/// to replay) and exits with its status. Called from each target's main.swift.
public func runLibFuzzer(_ testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
}

/// A failed property: prints what failed and the input, then traps so libFuzzer saves the input as a crash.
public func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, file: StaticString = #file, line: UInt = #line) {
    if !condition() {
        // To stderr, unbuffered: what print() buffers on stdout is lost when fatalError traps.
        FileHandle.standardError.write(Data("FUZZ PROPERTY FAILED at \(file):\(line): \(message())\n".utf8))
        fatalError("property failed", file: file, line: line)
    }
}

/// Reads structured choices from the front of a fuzz input (bytes past the end read as zero).
public struct FuzzBytes {
    public let bytes: [UInt8]
    public var index = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var isAtEnd: Bool { index >= bytes.count }

    public mutating func byte() -> UInt8 {
        defer { index += 1 }
        return index < bytes.count ? bytes[index] : 0
    }

    public var rest: ArraySlice<UInt8> { index < bytes.count ? bytes[index...] : [] }
}

/// The bytes of a libFuzzer input.
public func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

extension JSONValue {
    /// Equal as JSON: an integer equals the float of the same value (serialization writes whole floats as integers)
    /// and a non-finite float, which serializes as `null`, equals `null`.
    public func sameJSON(_ other: JSONValue) -> Bool {
        switch (self, other) {
        case (.int(let a), .double(let b)), (.double(let b), .int(let a)): return Double(a) == b
        case (.double(let a), .double(let b)): return a == b || (!a.isFinite && !b.isFinite && a.isNaN == b.isNaN)
        case (.double(let a), .null), (.null, .double(let a)): return !a.isFinite
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.sameJSON($1) }
        case (.object(let a), .object(let b)):
            return a.count == b.count && a.allSatisfy { k, v in b[k].map { v.sameJSON($0) } ?? false }
        default: return self == other
        }
    }
}
