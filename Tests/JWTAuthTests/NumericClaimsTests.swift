import CofferSDK
import Foundation
import JWTKit
import Testing

/// Numeric claims and role fields from outside: no trap, and OpenBao's answers (it converts float64 claims to
/// int64 as Go does on amd64, where an out-of-range value becomes MinInt64).
@Suite struct NumericClaimsTests {
    func setup() async throws -> (Harness, JWTKeyCollection) {
        let h = Harness()
        let (keys, key) = try await rsaKeys()
        try await h.call(.update, "config", ["jwt_validation_pubkeys": .array([.string(key.publicKey.pemRepresentation)])])
        try await h.call(.update, "role/r", ["role_type": "jwt", "user_claim": "sub", "bound_audiences": "coffer", "token_policies": "p"])
        return (h, keys)
    }

    func login(_ h: Harness, _ keys: JWTKeyCollection, _ claims: [String: JSONValue]) async throws -> [String]? {
        var c: [String: JSONValue] = ["sub": "alice", "aud": "coffer"]
        for (k, v) in claims { c[k] = v }
        let jwt = try await sign(c, with: keys)
        return await h.failure(.update, "login", ["role": "r", "jwt": .string(jwt)])?.messages
    }

    @Test func hugeDateClaims() async throws {
        let (h, keys) = try await setup()
        let expired = ["error validating token: invalid expiration time (exp) claim: token is expired"]
        // The answers OpenBao 2.7.2 gives for the same tokens.
        #expect(try await login(h, keys, ["exp": .double(1e300)]) == expired)
        #expect(try await login(h, keys, ["exp": .double(-1e300)]) == expired)
        #expect(try await login(h, keys, ["iat": .double(1e300)]) == expired)
        #expect(try await login(h, keys, ["iat": .int(Int64.max)]) == expired)
        #expect(try await login(h, keys, ["nbf": .int(Int64.min)]) == expired)
        #expect(try await login(h, keys, ["exp": .int(Int64.max)]) == expired)
        #expect(try await login(h, keys, ["nbf": .double(1e300), "exp": .int(now() + 300)]) == nil)
        _ = try await login(h, keys, ["exp": .int(Int64.min), "iat": .int(Int64.min), "nbf": .int(Int64.min)])
        _ = try await login(h, keys, ["exp": .double(9.3e18), "nbf": .double(-9.3e18), "iat": .double(.greatestFiniteMagnitude)])
        // A claim used for metadata or an alias may be any number.
        try await h.call(.update, "role/m", [
            "role_type": "jwt", "user_claim": "big", "bound_audiences": "coffer", "claim_mappings": ["n": "n"],
        ])
        let jwt = try await sign(["sub": "a", "aud": "coffer", "exp": .int(now() + 300), "big": .double(1e300), "n": .double(-1e300)], with: keys)
        _ = await h.failure(.update, "login", ["role": "m", "jwt": .string(jwt)])
    }

    @Test func hugeRoleFields() async throws {
        let (h, _) = try await setup()
        func err(_ field: String, _ v: JSONValue) async -> [String]? {
            await h.failure(.update, "role/x", ["role_type": "jwt", "user_claim": "sub", "bound_audiences": "a", field: v])?.messages
        }
        for field in ["expiration_leeway", "not_before_leeway", "clock_skew_leeway", "max_age", "token_ttl", "token_max_ttl",
                      "token_explicit_max_ttl", "token_period", "ttl", "max_ttl", "period"]
        {
            #expect(
                await err(field, .double(1e300)) == ["error converting input for field \"\(field)\": time: unknown unit \"e\" in duration \"1e300\""])
            #expect(
                await err(field, .int(99_999_999_999_999)) == ["error converting input for field \"\(field)\": " + GoDuration.overflowMessage])
            #expect(
                await err(field, "99999999999999999999s") == ["error converting input for field \"\(field)\": time: invalid duration \"99999999999999999999s\""])
        }
        for field in ["token_num_uses", "num_uses", "poll_interval"] {
            #expect(
                await err(field, .double(1e300)) == [
                    "error converting input for field \"\(field)\": '' cannot parse value as 'int': strconv.ParseInt: invalid syntax"
                ])
            #expect(
                await err(field, .double(1e20)) == [
                    "error converting input for field \"\(field)\": '' cannot parse value as 'int': strconv.ParseInt: value out of range"
                ])
        }
        #expect(
            await err("token_policies", [["a": 1]]) == [
                "error converting input for field \"token_policies\": 1 error(s) decoding:\n\n* '[0]' expected type 'string', got unconvertible type 'map[string]interface {}', value: 'map[a:1]'"
            ])
    }
}
