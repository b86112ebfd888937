import CofferAuditChain
import CofferSDK
import Crypto
import Foundation
import Testing

@testable import CofferCore

/// A request body may nest 512 levels; its audit entry holds it two levels further down. The chain must still verify
/// (before, `audit verify` stopped there with "line is not a JSON object", so one request made the log unverifiable).
@Suite("Audit entries of deeply nested requests")
struct AuditDepthTests {
    @Test func deepestRequestBodyStillVerifies() throws {
        let deepest = "{\"a\":" + String(repeating: "[", count: 511) + String(repeating: "]", count: 511) + "}"
        let body = try #require(try JSONValue.parse(deepest).objectValue)
        let sink = MemorySink()
        let device = AuditTests.device(sink)
        try device.checkpoint(reason: "start", now: .now)
        try device.record(AuditTests.record(data: body))
        try device.record(AuditTests.record(.response, data: body))
        let summary = try AuditChain.verify(lines: sink.all, key: SymmetricKey(data: Array(repeating: UInt8(9), count: 32)))
        #expect(summary.lines == 3)
    }
}
