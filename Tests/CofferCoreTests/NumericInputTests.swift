import CofferSDK
import Foundation
import Logging
import Testing

@testable import CofferCore

/// Numbers a token holder sends to the token store: errors, never a trap.
@Suite struct CoreNumericInputTests {
    func failure(_ core: Core, _ path: String, _ body: [String: JSONValue], token: String) async -> [String]? {
        do {
            _ = try await core.handle(CoreRequest(id: "t", operation: .update, path: path, data: body, token: token))
            return nil
        } catch let e as LogicalError {
            return e.messages
        } catch {
            return ["\(error)"]
        }
    }

    @Test func renewSelfWithHugeIncrement() async throws {
        let (core, root) = try await CoreTests.unsealedCore()
        let token = try await CoreTests.create(core, token: root, ["policies": ["default"], "ttl": "1h"])
        for (value, text) in [
            (JSONValue.double(1e300), "time: unknown unit \"e\" in duration \"1e300\""),
            (.double(-1e300), "time: unknown unit \"e\" in duration \"-1e300\""),
            (.int(Int64.max), GoDuration.overflowMessage),
            (.string("99999999999999999999999s"), "time: invalid duration \"99999999999999999999999s\""),
            (.string("99999999999d"), GoDuration.overflowMessage),
        ] {
            let m = await failure(core, "auth/token/renew-self", ["increment": value], token: token)
            #expect(m == ["Field validation failed: error converting input for field \"increment\": " + text], "\(value)")
        }
        // The largest increment Go accepts is capped by the max TTL, not an overflow.
        #expect(await failure(core, "auth/token/renew-self", ["increment": .int(9_223_372_036)], token: token) == nil)
        #expect(await CoreTests.lookupSelf(core, token))
    }

    @Test func tokenCreateWithHugeNumbers() async throws {
        let (core, root) = try await CoreTests.unsealedCore()
        for (field, value) in [
            ("ttl", JSONValue.double(1e300)), ("explicit_max_ttl", .int(Int64.max)), ("period", "99999999999999999999999s"),
            ("num_uses", .double(1e300)), ("num_uses", "99999999999999999999"),
        ] {
            #expect(await failure(core, "auth/token/create", [field: value], token: root) != nil, "\(field)")
        }
        let m = await failure(core, "auth/token/create", ["policies": [["a": 1]]], token: root)
        #expect(m?.first?.contains("'[0]' expected type 'string', got unconvertible type 'map[string]interface {}'") == true, "\(m ?? [])")
        let m2 = await failure(core, "sys/capabilities-self", ["paths": [["a": 1]]], token: root)
        #expect(m2?.first?.contains("expected type 'string'") == true, "\(m2 ?? [])")
    }
}
