import CofferSDK
import Foundation
import Testing

@testable import TransitEngine

/// Numbers from the client: out of range is a 400 with OpenBao's text, never a trap.
@Suite struct NumericInputTests {
    @Test func autoRotatePeriodOutOfRange() async throws {
        let h = Harness()
        try await h.send(.update, "keys/k")
        let prefix = "Field validation failed: error converting input for field \"auto_rotate_period\": "
        for (value, text) in [
            (JSONValue.double(1e300), "time: unknown unit \"e\" in duration \"1e300\""),
            (.double(-1e300), "time: unknown unit \"e\" in duration \"-1e300\""),
            (.int(Int64.max), GoDuration.overflowMessage),
            (.string("99999999999999999999999s"), "time: invalid duration \"99999999999999999999999s\""),
            (.double(3600), "time: missing unit in duration \"3600.0\""),
        ] {
            for path in ["keys/k/config", "keys/new"] {
                let e = await h.error(.update, path, ["auto_rotate_period": value])
                #expect(e?.messages == [prefix + text], "\(path) \(value)")
            }
        }
        #expect(
            await h.error(.update, "keys/k/config", ["auto_rotate_period": -5])?.messages == [prefix + "cannot provide negative value '-5'"])
        let ok = try await h.data(.update, "keys/k/config", ["auto_rotate_period": "9223372036s"])
        #expect(ok["auto_rotate_period"] == 9_223_372_036)
        // The key is still usable: the rotation check does not overflow on the largest period.
        _ = try await h.data(.update, "encrypt/k", ["plaintext": "aGk="])
    }

    @Test func integerFieldsOutOfRange() async throws {
        let h = Harness()
        try await h.send(.update, "keys/k")
        let e = await h.error(.update, "keys/k/config", ["min_decryption_version": .double(1e300)])
        #expect(
            e?.messages == [
                "Field validation failed: error converting input for field \"min_decryption_version\": '' cannot parse value as 'int': strconv.ParseInt: invalid syntax"
            ])
        let e2 = await h.error(.update, "keys/k/config", ["min_decryption_version": "99999999999999999999"])
        #expect(
            e2?.messages == [
                "Field validation failed: error converting input for field \"min_decryption_version\": '' cannot parse value as 'int': strconv.ParseInt: value out of range"
            ])
        #expect(
            await h.error(.update, "random/99999999999999999999")?.messages == [
                "error parsing url-set byte count: strconv.Atoi: parsing \"99999999999999999999\": value out of range"
            ])
        _ = await h.error(.update, "random", ["bytes": .double(1e300)])
        _ = await h.error(.update, "datakey/plaintext/k", ["bits": .double(1e300)])
        _ = await h.error(.update, "encrypt/k", ["plaintext": "aGk=", "key_version": .double(1e300)])
        _ = await h.error(.update, "encrypt/k", ["batch_input": [["plaintext": "aGk=", "key_version": .double(1e300)]]])
    }

    @Test func partialFailureResponseCodeOutsideHTTP() async throws {
        let h = Harness()
        try await h.send(.update, "keys/k")
        for code: Int64 in [1000, -5, 99, 600, Int64.max] {
            let resp = try #require(
                try await h.send(
                    .update, "encrypt/k", ["batch_input": [["plaintext": "aGk="], ["plaintext": "!!"]], "partial_failure_response_code": .int(code)]))
            #expect(resp.httpStatus == 400, "\(code)")
            #expect(resp.warnings == ["invalid HTTP response code override from partial_failure_response_code, reverting to 400"])
        }
        let ok = try #require(
            try await h.send(.update, "encrypt/k", ["batch_input": [["plaintext": "aGk="], ["plaintext": "!!"]], "partial_failure_response_code": 207]))
        #expect(ok.httpStatus == 207)
    }
}
