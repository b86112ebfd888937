import CofferSDK
import Foundation
import Testing

@Suite struct VaultTimeTests {
    @Test func formattedTimesParseBack() throws {
        for t in [0.0, 1_700_000_000, 1_700_000_000.5, 1_700_000_000.123456, 951_782_400, 4_102_444_799.25, -86_400] {
            let date = Date(timeIntervalSince1970: t)
            let text = formatVaultTime(date)
            let back = try #require(parseVaultTime(text), "\(text)")
            #expect(abs(back.timeIntervalSince1970 - t) < 1e-6, "\(text)")
        }
        #expect(formatVaultTime(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00Z")
        #expect(formatVaultTime(Date(timeIntervalSince1970: 1_700_000_000.5)) == "2023-11-14T22:13:20.5Z")
    }

    @Test func logTimestampsHaveThreeFractionDigits() {
        #expect(formatVaultTime(Date(timeIntervalSince1970: 1_700_000_000), milliseconds: true) == "2023-11-14T22:13:20.000Z")
        #expect(formatVaultTime(Date(timeIntervalSince1970: 1_700_000_000.0429), milliseconds: true) == "2023-11-14T22:13:20.042Z")
    }

    /// The hand parser agrees with Foundation's RFC 3339 parser on what both accept.
    @Test func agreesWithFoundation() throws {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        for text in [
            "2024-01-02T03:04:05Z", "1999-12-31T23:59:59Z", "2024-02-29T12:00:00+05:30", "2024-03-01T00:00:00-08:00",
            "1970-01-01T00:00:00Z", "2100-03-01T00:00:00Z", "1600-02-29T00:00:00Z",
        ] {
            let mine = try #require(parseVaultTime(text), "\(text)")
            let theirs = try #require(f.date(from: text), "\(text)")
            #expect(mine == theirs, "\(text)")
        }
        let nanos = try #require(parseVaultTime("2024-01-02T03:04:05.123456789Z"))
        #expect(abs(nanos.timeIntervalSince1970 - 1_704_164_645.123456789) < 1e-6)
    }

    @Test func malformedTimesAreRefused() {
        for text in [
            "", "2024-01-02", "2024-01-02T03:04:05", "2024-13-02T03:04:05Z", "2023-02-29T00:00:00Z", "2024-04-31T00:00:00Z",
            "2024-01-02T24:00:00Z", "2024-01-02T03:60:05Z", "2024-01-02T03:04:05.Z", "2024-01-02T03:04:05Zjunk",
            "2024-01-02 03:04:05Z", "2024-1-02T03:04:05Z", "2024-01-02T03:04:05+0530", "２０２４-01-02T03:04:05Z",
        ] {
            #expect(parseVaultTime(text) == nil, "\(text)")
        }
    }
}
