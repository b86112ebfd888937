import Foundation
import Testing

@testable import CofferHTTP

/// `sys/leader`'s `active_time` is written as Go writes a `time.Time` (RFC 3339 with the fraction's trailing zeros
/// dropped), so that `bao status` and `coffer status` print the same text.
@Suite struct LeaderTimeTests {
    @Test func fractionWithoutTrailingZeros() {
        #expect(CofferResponder.rfc3339Nano(Date(timeIntervalSince1970: 1_700_000_000.25)) == "2023-11-14T22:13:20.25Z")
        #expect(CofferResponder.rfc3339Nano(Date(timeIntervalSince1970: 1_700_000_000.5)) == "2023-11-14T22:13:20.5Z")
        #expect(CofferResponder.rfc3339Nano(Date(timeIntervalSince1970: 1_700_000_000)) == "2023-11-14T22:13:20Z")
    }
}
