import CofferSDK
import Foundation
import JWTAuth
import JWTKit
import Logging
import Testing

struct Harness {
    let engine: any SecretsEngine
    let storage = MemoryStorage()

    init(type: String = "jwt") {
        engine = makeJWTAuth(EngineConfiguration(mountPath: "auth/\(type)/", type: type, logger: Logger(label: "test")))
    }

    @discardableResult
    func call(
        _ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:], remote: String? = "127.0.0.1", auth: AuthInfo? = nil
    ) async throws -> LogicalResponse? {
        var op = op
        let req0 = LogicalRequest(operation: op, path: path, data: data, storage: storage, remoteAddress: remote, auth: auth)
        if op == .update, let exists = try await engine.existenceCheck(req0), !exists { op = .create }
        let req = LogicalRequest(operation: op, path: path, data: data, storage: storage, remoteAddress: remote, auth: auth)
        return try await engine.handle(req)
    }

    /// The error messages of a failing call.
    func failure(_ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:], remote: String? = "127.0.0.1") async
        -> LogicalError?
    {
        do {
            _ = try await call(op, path, data, remote: remote)
            return nil
        } catch let e as LogicalError {
            return e
        } catch {
            return LogicalError(.internal, "\(error)")
        }
    }
}

func rsaKeys(kid: String? = nil) async throws -> (JWTKeyCollection, Insecure.RSA.PrivateKey) {
    let key = try Insecure.RSA.PrivateKey(pem: testRSAPrivateKeyPEM)
    let keys = JWTKeyCollection()
    await keys.add(rsa: key, digestAlgorithm: .sha256, kid: kid.map { JWKIdentifier(string: $0) })
    return (keys, key)
}

func sign(_ claims: [String: JSONValue], with keys: JWTKeyCollection, kid: String? = nil) async throws -> String {
    try await keys.sign(TestClaims(claims), kid: kid.map { JWKIdentifier(string: $0) })
}

func baseClaims(_ extra: [String: JSONValue] = [:]) -> [String: JSONValue] {
    var c: [String: JSONValue] = ["sub": "alice", "aud": "coffer", "iss": "https://issuer", "iat": .int(now()), "exp": .int(now() + 300)]
    for (k, v) in extra { c[k] = v }
    return c
}

@Suite struct ConfigTests {
    @Test func missingConfigIs404() async throws {
        let h = Harness()
        let e = await h.failure(.read, "config")
        #expect(e?.code == .notFound)
    }

    @Test func staticKeysRoundTripAndSecretHidden() async throws {
        let h = Harness()
        let (_, key) = try await rsaKeys()
        let pub = key.publicKey.pemRepresentation
        let r = try await h.call(
            .update, "config",
            ["jwt_validation_pubkeys": .array([.string(pub)]), "bound_issuer": "https://issuer", "default_role": "Dev",
             "jwt_supported_algs": "RS256,ES256"])
        #expect(r == nil)
        let read = try #require(try await h.call(.read, "config")?.data)
        #expect(read["bound_issuer"] == "https://issuer")
        #expect(read["default_role"] == "dev")
        #expect(read["jwt_supported_algs"] == ["RS256", "ES256"])
        #expect(read["status"] == "valid")
        #expect(read["namespace_in_state"] == true)
        #expect(read["oidc_response_types"] == .array([]))
        #expect(read["provider_config"] == .object([:]))
        #expect(read["oidc_client_secret"] == nil)
    }

    @Test func validationErrors() async throws {
        let h = Harness()
        let (_, key) = try await rsaKeys()
        let pub = JSONValue.array([.string(key.publicKey.pemRepresentation)])
        #expect(
            await h.failure(.update, "config", [:])?.messages == [
                "exactly one of 'jwt_validation_pubkeys', 'jwks_url', 'jwks_pairs', 'oidc_discovery_url', or 'provider_config' must be set"
            ])
        #expect(
            await h.failure(.update, "config", ["jwt_validation_pubkeys": pub, "jwks_url": "http://127.0.0.1:1/x"])?.code == .invalidRequest)
        #expect(
            await h.failure(.update, "config", ["jwt_validation_pubkeys": ["garbage"]])?.messages == [
                "error parsing public key: data does not contain any valid public keys"
            ])
        #expect(
            await h.failure(.update, "config", ["jwt_validation_pubkeys": pub, "oidc_client_id": "x"])?.messages == [
                "both 'oidc_client_id' and 'oidc_client_secret' must be set for OIDC"
            ])
        #expect(
            await h.failure(.update, "config", ["jwt_validation_pubkeys": pub, "oidc_client_id": "x", "oidc_client_secret": "y"])?.messages
                == ["'oidc_discovery_url' must be set for OIDC"])
        #expect(
            await h.failure(.update, "config", ["jwt_validation_pubkeys": pub, "jwt_supported_algs": "HS256"])?.messages == [
                "invalid jwt_supported_algs: unsupported signing algorithm \"HS256\""
            ])
        #expect(
            await h.failure(.update, "config", ["jwt_validation_pubkeys": pub, "oidc_response_types": "foo"])?.messages == [
                "invalid response_types [foo]. 'code' and 'id_token' are allowed"
            ])
        #expect(
            await h.failure(.update, "config", ["jwt_validation_pubkeys": pub, "oidc_response_types": "id_token"])?.messages == [
                "query response_mode may not be used with an id_token response_type"
            ])
        #expect(
            await h.failure(.update, "config", ["jwt_validation_pubkeys": pub, "oidc_response_mode": "bad"])?.messages == [
                "invalid response_mode: \"bad\""
            ])
        #expect(
            await h.failure(.update, "config", ["jwks_url": "http://127.0.0.1:1/x"])?.messages == ["error checking jwks URL"])
        #expect(
            await h.failure(.update, "config", ["oidc_discovery_url": "http://127.0.0.1:1/x"])?.messages == [
                "error checking oidc discovery URL: Get \"http://127.0.0.1:1/x/.well-known/openid-configuration\": dial tcp 127.0.0.1:1: connect: connection refused"
            ])
    }
}

@Suite struct FrameworkMigrationTests {
    /// Checked against OpenBao 2.7.2: a legacy name sets its `token_*` value with no TTL or batch check of the
    /// token helper (the role's own TTL check words it differently); legacy policies are sanitised.
    @Test func legacyNamesAsOpenBao() async throws {
        let h = Harness()
        let base: [String: JSONValue] = ["role_type": "jwt", "user_claim": "sub", "bound_subject": "x"]
        #expect(
            await h.failure(.update, "role/r", base.merging(["ttl": 100, "max_ttl": 50]) { $1 })?.messages == [
                "ttl should not be greater than max ttl"
            ])
        try await h.call(.update, "role/r", base.merging(["token_type": "batch", "num_uses": 5, "policies": "B,a,a, "]) { $1 })
        let d = try #require(try await h.call(.read, "role/r")?.data)
        #expect(d["token_num_uses"] == 5 && d["num_uses"] == 5 && d["token_type"] == "batch")
        #expect(d["policies"] == ["a", "b"] && d["token_policies"] == ["a", "b"])
        // The token_* name alone clears the legacy echo.
        try await h.call(.update, "role/r", base.merging(["token_num_uses": 0, "token_type": "service", "token_policies": "c"]) { $1 })
        let d2 = try #require(try await h.call(.read, "role/r")?.data)
        #expect(d2["num_uses"] == nil && d2["policies"] == nil && d2["token_policies"] == ["c"])
        // Leeways are signed; max_age is not.
        try await h.call(.update, "role/r", base.merging(["expiration_leeway": -1, "clock_skew_leeway": "-5s"]) { $1 })
        let d3 = try #require(try await h.call(.read, "role/r")?.data)
        #expect(d3["expiration_leeway"] == -1 && d3["clock_skew_leeway"] == -5)
        #expect(
            await h.failure(.update, "role/r", base.merging(["max_age": -1]) { $1 })?.messages == [
                "error converting input for field \"max_age\": cannot provide negative value '-1'"
            ])
        // Role names follow the generic name rule (no `@`) and are lowercased.
        #expect(await h.failure(.update, "role/a@b", base)?.code == .unsupportedPath)
        try await h.call(.update, "role/Ab.c-d_e", base)
        #expect(try await h.call(.read, "role/ab.c-d_e") != nil)
    }

    @Test func listPages() async throws {
        let h = Harness()
        for name in ["c", "a", "b"] {
            try await h.call(.update, "role/\(name)", ["role_type": "jwt", "user_claim": "sub", "bound_subject": "x"])
        }
        #expect(try await h.call(.list, "role/")?.data?["keys"] == ["a", "b", "c"])
        #expect(try await h.call(.list, "role", ["after": "a"])?.data?["keys"] == ["b", "c"])
        #expect(try await h.call(.list, "role", ["limit": 2])?.data?["keys"] == ["a", "b"])
        #expect(await h.failure(.list, "role", ["after": "c"])?.code == .notFound)
    }

    @Test func fieldErrorsAndUnknownFields() async throws {
        let h = Harness()
        let (_, key) = try await rsaKeys()
        let pub = JSONValue.array([.string(key.publicKey.pemRepresentation)])
        // jwt has no user lockout: a bad login field is a 400, not a 500.
        let bad = await h.failure(.update, "login", ["role": "r", "jwt": ["x"]])
        #expect(bad?.code == .invalidRequest)
        #expect(
            bad?.messages == [
                "Field validation failed: error converting input for field \"jwt\": '' expected type 'string', got unconvertible type '[]interface {}'"
            ])
        #expect(
            await h.failure(.update, "config", ["jwt_validation_pubkeys": pub, "provider_config": ["provider": 1]])?.messages == [
                "invalid provider_config: 'provider' field not found in provider_config"
            ])
        // jwks_pairs is not a field of OpenBao 2.7.2: ignored, with a warning when there is a response.
        #expect(
            await h.failure(.update, "config", ["jwks_pairs": [["a": 1]]])?.messages == [
                "exactly one of 'jwt_validation_pubkeys', 'jwks_url', 'jwks_pairs', 'oidc_discovery_url', or 'provider_config' must be set"
            ])
        let w = try await h.call(
            .update, "role/r", ["role_type": "jwt", "user_claim": "sub", "bound_subject": "x", "verbose_oidc_logging": true, "bogus": 1])
        #expect(w?.warnings.last == "Endpoint ignored these unrecognized parameters: [bogus]")
        // The form_post callback of a mount not in form_post mode: a bare 405.
        try await h.call(.update, "config", ["jwt_validation_pubkeys": pub])
        #expect(try await h.call(.update, "oidc/callback", ["state": "x"])?.httpStatus == 405)
        #expect(await h.failure(.delete, "oidc/callback")?.code == .unsupportedOperation)
    }
}

@Suite struct RoleTests {
    @Test func crudAndList() async throws {
        let h = Harness()
        #expect(await h.failure(.list, "role/")?.code == .notFound)
        try await h.call(
            .update, "role/Dev",
            ["role_type": "jwt", "user_claim": "sub", "bound_audiences": "a,b", "bound_claims": ["team": ["x", "y"]],
             "claim_mappings": ["email": "mail"], "token_policies": "p1,p2", "token_ttl": "1h", "token_bound_cidrs": "127.0.0.1/32"])
        let d = try #require(try await h.call(.read, "role/dev")?.data)
        #expect(d["role_type"] == "jwt")
        #expect(d["bound_audiences"] == ["a", "b"])
        #expect(d["bound_claims"] == ["team": ["x", "y"]])
        #expect(d["claim_mappings"] == ["email": "mail"])
        #expect(d["token_policies"] == ["p1", "p2"])
        #expect(d["token_ttl"] == 3600)
        #expect(d["token_bound_cidrs"] == ["127.0.0.1"])
        #expect(d["allowed_redirect_uris"] == .null)
        #expect(d["callback_mode"] == "client")
        #expect(d["clock_skew_leeway"] == 0)
        #expect(d["token_type"] == "default")
        #expect(d["policies"] == nil)
        let keys = try await h.call(.list, "role/")?.data?["keys"]
        #expect(keys == ["dev"])
        #expect(try await h.call(.delete, "role/dev") == nil)
        #expect(await h.failure(.read, "role/dev")?.code == .notFound)
    }

    @Test func legacyFieldsShownWhenSet() async throws {
        let h = Harness()
        try await h.call(
            .update, "role/r",
            ["role_type": "jwt", "user_claim": "sub", "bound_subject": "x", "policies": "b,a", "ttl": "1h", "max_ttl": "2h", "period": 30,
             "num_uses": 3])
        let d = try #require(try await h.call(.read, "role/r")?.data)
        #expect(d["policies"] == ["a", "b"])
        #expect(d["token_policies"] == ["a", "b"])
        #expect(d["ttl"] == 3600)
        #expect(d["max_ttl"] == 7200)
        #expect(d["token_period"] == 30)
        #expect(d["num_uses"] == 3)
    }

    @Test func roleErrors() async throws {
        let h = Harness()
        #expect(
            await h.failure(.update, "role/r", ["user_claim": "sub"])?.messages == [
                "'allowed_redirect_uris' must be set if 'role_type' is 'oidc' or unspecified."
            ])
        #expect(
            await h.failure(.update, "role/r", ["role_type": "jwt", "user_claim": "sub"])?.messages == [
                "must have at least one bound constraint when creating/updating a role"
            ])
        #expect(
            await h.failure(.update, "role/r", ["role_type": "jwt", "bound_subject": "x"])?.messages == [
                "a user claim must be defined on the role"
            ])
        #expect(await h.failure(.update, "role/r", ["role_type": "foo", "user_claim": "sub"])?.messages == ["invalid 'role_type': foo"])
        #expect(
            await h.failure(.update, "role/r", ["role_type": "jwt", "user_claim": "sub", "bound_subject": "x", "claim_mappings": ["a": "role"]])?
                .messages == ["metadata key \"role\" is reserved and may not be a mapping destination"])
        #expect(
            await h.failure(
                .update, "role/r", ["role_type": "jwt", "user_claim": "sub", "bound_subject": "x", "token_ttl": 100, "token_max_ttl": 50])?
                .messages == ["'token_ttl' cannot be greater than 'token_max_ttl'"])
        #expect(
            await h.failure(
                .update, "role/r",
                ["role_type": "jwt", "user_claim": "sub", "bound_claims_type": "glob", "bound_claims": ["a": 1]])?.messages == [
                    "claim is not a string: 1"
                ])
        #expect(
            await h.failure(.update, "role/r", ["role_type": "jwt", "user_claim": "sub", "bound_subject": "x", "token_type": "weird"])?
                .messages == ["invalid 'token_type' value \"weird\""])
        #expect(await h.failure(.read, "role/bad name")?.code == .unsupportedPath)
        let warn = try await h.call(.update, "role/r", ["role_type": "jwt", "user_claim": "sub", "bound_subject": "x", "verbose_oidc_logging": true])
        #expect(warn?.warnings.first?.hasPrefix("verbose_oidc_logging has been enabled") == true)
    }
}

@Suite struct LoginTests {
    func setup(_ roleData: [String: JSONValue] = [:]) async throws -> (Harness, JWTKeyCollection) {
        let h = Harness()
        let (keys, key) = try await rsaKeys()
        try await h.call(
            .update, "config", ["jwt_validation_pubkeys": .array([.string(key.publicKey.pemRepresentation)]), "bound_issuer": "https://issuer"])
        var role: [String: JSONValue] = [
            "role_type": "jwt", "user_claim": "sub", "bound_audiences": "coffer", "claim_mappings": ["email": "mail", "/nested/x": "nx"],
            "groups_claim": "groups", "token_policies": "p1,p2", "token_ttl": "1h", "token_max_ttl": "2h",
        ]
        for (k, v) in roleData { role[k] = v }
        try await h.call(.update, "role/dev", role)
        return (h, keys)
    }

    @Test func successfulLogin() async throws {
        let (h, keys) = try await setup()
        let jwt = try await sign(baseClaims(["email": "a@x", "nested": ["x": "deep"], "groups": ["g1", "g2"]]), with: keys)
        let auth = try #require(try await h.call(.update, "login", ["role": "Dev", "jwt": .string(jwt)])?.auth)
        #expect(auth.policies == ["p1", "p2"])
        #expect(auth.metadata == ["role": "dev", "mail": "a@x", "nx": "deep"])
        #expect(auth.displayName == "alice")
        #expect(auth.alias == AuthAlias(name: "alice", metadata: ["role": "dev", "mail": "a@x", "nx": "deep"]))
        #expect(auth.ttl == 3600)
        #expect(auth.maxTTL == 7200)
        #expect(auth.renewable)
        #expect(auth.internalData == ["role": "dev"])
    }

    @Test func loginErrors() async throws {
        let (h, keys) = try await setup()
        func msg(_ claims: [String: JSONValue], role: String = "dev") async throws -> [String] {
            let jwt = try await sign(claims, with: keys)
            return await h.failure(.update, "login", ["role": .string(role), "jwt": .string(jwt)])?.messages ?? []
        }
        let g: [String: JSONValue] = ["groups": ["g"]]
        #expect(
            try await msg(baseClaims(g).merging(["exp": .int(now() - 300), "iat": .int(now() - 400)]) { $1 }) == [
                "error validating token: invalid expiration time (exp) claim: token is expired"
            ])
        #expect(
            try await msg(baseClaims(g).merging(["iss": "other"]) { $1 }) == ["error validating token: invalid issuer (iss) claim"])
        #expect(
            try await msg(baseClaims(g).merging(["aud": "nope"]) { $1 }) == [
                "error validating token: invalid audience (aud) claim: audience claim does not match any expected audience"
            ])
        #expect(
            try await msg(baseClaims(g).merging(["nbf": .int(now() + 300), "exp": .int(now() + 600)]) { $1 }) == [
                "error validating token: invalid not before (nbf) claim: token not yet valid"
            ])
        var noTimes = baseClaims(g)
        noTimes["exp"] = nil
        noTimes["iat"] = nil
        #expect(
            try await msg(noTimes) == ["error validating token: no issued at (iat), not before (nbf), or expiration time (exp) claims in token"])
        #expect(try await msg(baseClaims()) == ["failed to fetch groups: \"groups\" claim not found in token"])
        #expect(try await msg(baseClaims(["groups": [5]])) == ["value 5 in groups claim could not be parsed as string"])
        let nullSub = try await msg(baseClaims(g).merging(["sub": .null]) { $1 })
        #expect(nullSub == ["claim \"sub\" not found in token"], "\(nullSub)")
        var noSub = baseClaims(g)
        noSub.removeValue(forKey: "sub")
        #expect(try await msg(noSub) == ["claim \"sub\" not found in token"])
        #expect(try await msg(baseClaims(["groups": "g", "email": 5])) == ["error converting claim 'email' to string"])
        #expect(try await msg(baseClaims(g), role: "nope") == ["role \"nope\" could not be found"])

        let good = try await sign(baseClaims(g), with: keys)
        let tampered = String(good.dropLast(2)) + (good.hasSuffix("AA") ? "BB" : "AA")
        #expect(
            await h.failure(.update, "login", ["role": "dev", "jwt": .string(tampered)])?.messages == [
                "error validating token: error verifying token signature: no known key successfully validated the token signature"
            ])
        #expect(
            await h.failure(.update, "login", ["role": "dev", "jwt": "abc"])?.messages == [
                "error validating token: error verifying token signature: go-jose/go-jose: compact JWS format must have three parts"
            ])
        #expect(await h.failure(.update, "login", ["role": "dev"])?.messages == ["missing token"])
        // Signed by another key.
        let other = JWTKeyCollection()
        await other.add(ecdsa: ES256PrivateKey())
        let foreign = try await sign(baseClaims(g), with: other)
        #expect(
            await h.failure(.update, "login", ["role": "dev", "jwt": .string(foreign)])?.messages == [
                "error validating token: error verifying token signature: no known key successfully validated the token signature"
            ])
    }

    @Test func boundClaimsAndAudienceRules() async throws {
        let h = Harness()
        let (keys, key) = try await rsaKeys()
        try await h.call(.update, "config", ["jwt_validation_pubkeys": .array([.string(key.publicKey.pemRepresentation)])])
        try await h.call(.update, "role/s", ["role_type": "jwt", "user_claim": "sub", "bound_claims": ["dept": ["eng", "ops"], "n": 5, "b": true]])
        try await h.call(
            .update, "role/g", ["role_type": "jwt", "user_claim": "sub", "bound_claims_type": "glob", "bound_claims": ["email": "*@x.com"]])
        func login(_ role: String, _ claims: [String: JSONValue]) async throws -> [String]? {
            let jwt = try await sign(claims, with: keys)
            do {
                _ = try await h.call(.update, "login", ["role": .string(role), "jwt": .string(jwt)])
                return nil
            } catch let e as LogicalError { return e.messages }
        }
        let t: [String: JSONValue] = ["sub": "al", "iat": .int(now()), "exp": .int(now() + 300)]
        #expect(try await login("s", t.merging(["dept": "eng", "n": 5, "b": true]) { $1 }) == nil)
        #expect(
            try await login("s", t.merging(["dept": "x", "n": 5, "b": true]) { $1 }) == [
                "error validating claims: claim \"dept\" does not match any associated bound claim values"
            ])
        #expect(try await login("s", t.merging(["dept": "eng", "n": 5]) { $1 }) == ["error validating claims: claim \"b\" is missing"])
        #expect(
            try await login("s", t.merging(["aud": "zz", "dept": "eng", "n": 5, "b": true]) { $1 }) == [
                "audience claim found in JWT but no audiences bound to the role"
            ])
        #expect(try await login("g", t.merging(["email": "bob@x.com"]) { $1 }) == nil)
        #expect(
            try await login("g", t.merging(["email": "bob@y.com"]) { $1 }) == [
                "error validating claims: claim \"email\" does not match any associated bound claim values"
            ])
        #expect(
            try await login("g", t.merging(["email": ["a": 1]]) { $1 }) == [
                "error validating claims: received claim is not a string, bool, int or list: map[a:1]"
            ])
    }

    @Test func oidcRoleCannotUseJWTLogin() async throws {
        let (h, keys) = try await setup()
        try await h.call(.update, "role/o", ["user_claim": "sub", "allowed_redirect_uris": "http://localhost/cb"])
        let jwt = try await sign(baseClaims(), with: keys)
        #expect(await h.failure(.update, "login", ["role": "o", "jwt": .string(jwt)])?.messages == ["role with oidc role_type is not allowed"])
    }

    @Test func boundCIDRs() async throws {
        let (h, keys) = try await setup(["token_bound_cidrs": "10.0.0.0/8"])
        let jwt = try await sign(baseClaims(["groups": ["g"]]), with: keys)
        #expect(await h.failure(.update, "login", ["role": "dev", "jwt": .string(jwt)], remote: "127.0.0.1")?.code == .permissionDenied)
        let ok = try await h.call(.update, "login", ["role": "dev", "jwt": .string(jwt)], remote: "10.1.2.3")
        #expect(ok?.auth?.boundCIDRs == ["10.0.0.0/8"])
    }

    @Test func renewal() async throws {
        let (h, keys) = try await setup()
        let jwt = try await sign(baseClaims(["groups": ["g"]]), with: keys)
        let auth = try #require(try await h.call(.update, "login", ["role": "dev", "jwt": .string(jwt)])?.auth)
        // As in OpenBao, an update without role_type resets it to "oidc", so it is repeated here.
        try await h.call(.update, "role/dev", ["role_type": "jwt", "token_ttl": "30m"])
        let renewed = try await h.call(.renew, "login", auth: auth)
        #expect(renewed?.auth?.ttl == 1800)
        #expect(renewed?.auth?.maxTTL == 7200)
        try await h.call(.delete, "role/dev")
        do {
            _ = try await h.call(.renew, "login", auth: auth)
            Issue.record("renewal should fail once the role is gone")
        } catch let e as LogicalError {
            #expect(e.messages == ["role dev does not exist during renewal"])
        }
    }
}

@Suite struct JWKSTests {
    @Test func esAndEdDSAFromJWKSWithKeyRotation() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let es = ES256PrivateKey()
        let ed = try EdDSA.PrivateKey(curve: .ed25519)
        let (rsaCollection, rsa) = try await rsaKeys(kid: "r1")
        let p = try #require(es.parameters)
        let (n, e) = try rsa.publicKey.getKeyPrimitives()
        func b64(_ d: Data) -> String {
            d.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        let esJWK = "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"e1\",\"x\":\"\(p.x)\",\"y\":\"\(p.y)\"}"
        let edJWK = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"d1\",\"x\":\"\(b64(ed.publicKey.rawRepresentation))\"}"
        let rsaJWK = "{\"kty\":\"RSA\",\"kid\":\"r1\",\"n\":\"\(b64(n))\",\"e\":\"\(b64(e))\"}"
        server.set("/keys", body: "{\"keys\":[\(esJWK)]}")

        let h = Harness()
        try await h.call(.update, "config", ["jwks_url": .string(server.baseURL + "/keys"), "jwt_supported_algs": "RS256,ES256,EdDSA"])
        try await h.call(.update, "role/r", ["role_type": "jwt", "user_claim": "sub", "bound_subject": "al"])
        let claims: [String: JSONValue] = ["sub": "al", "iat": .int(now()), "exp": .int(now() + 300)]

        let esKeys = JWTKeyCollection()
        await esKeys.add(ecdsa: es, kid: "e1")
        let t1 = try await sign(claims, with: esKeys, kid: "e1")
        #expect(try await h.call(.update, "login", ["role": "r", "jwt": .string(t1)])?.auth?.displayName == "al")

        // New keys appear at the JWKS URL: an unknown kid triggers a refetch.
        server.set("/keys", body: "{\"keys\":[\(esJWK),\(edJWK),\(rsaJWK)]}")
        let edKeys = JWTKeyCollection()
        await edKeys.add(eddsa: ed, kid: "d1")
        let t2 = try await sign(claims, with: edKeys, kid: "d1")
        #expect(try await h.call(.update, "login", ["role": "r", "jwt": .string(t2)])?.auth?.displayName == "al")
        let t3 = try await sign(claims, with: rsaCollection, kid: "r1")
        #expect(try await h.call(.update, "login", ["role": "r", "jwt": .string(t3)])?.auth != nil)

        // A kid nobody publishes.
        let stray = JWTKeyCollection()
        await stray.add(ecdsa: ES256PrivateKey(), kid: "zz")
        let t4 = try await sign(claims, with: stray, kid: "zz")
        #expect(
            await h.failure(.update, "login", ["role": "r", "jwt": .string(t4)])?.messages == [
                "error validating token: error verifying token signature: failed to verify id token signature"
            ])
        #expect(
            await h.failure(.update, "login", ["role": "r", "jwt": "a.b"])?.messages == [
                "error validating token: error verifying token signature: oidc: malformed jwt: go-jose/go-jose: compact JWS format must have three parts"
            ])
    }
}

@Suite struct OIDCTests {
    @Test func authURLAndCallback() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let base = server.baseURL
        let (keys, key) = try await rsaKeys(kid: "k1")
        let (n, e) = try key.publicKey.getKeyPrimitives()
        func b64(_ d: Data) -> String {
            d.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        server.set(
            "/.well-known/openid-configuration",
            body:
                "{\"issuer\":\"\(base)\",\"jwks_uri\":\"\(base)/keys\",\"authorization_endpoint\":\"\(base)/authorize\",\"token_endpoint\":\"\(base)/token\"}"
        )
        server.set("/keys", body: "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k1\",\"n\":\"\(b64(n))\",\"e\":\"\(b64(e))\"}]}")

        let h = Harness(type: "oidc")
        #expect(
            await h.failure(.update, "config", ["oidc_discovery_url": .string(base + "/.well-known/openid-configuration")])?.messages == [
                "'oidc_discovery_url' contains '.well-known' component"
            ])
        try await h.call(.update, "config", ["oidc_discovery_url": .string(base), "oidc_client_id": "cid", "oidc_client_secret": "sec"])
        let cfg = try #require(try await h.call(.read, "config")?.data)
        #expect(cfg["oidc_client_secret"] == nil)
        #expect(cfg["oidc_client_id"] == "cid")
        try await h.call(
            .update, "role/web",
            ["user_claim": "sub", "allowed_redirect_uris": "http://localhost:8250/oidc/callback", "oidc_scopes": "profile",
             "claim_mappings": ["name": "name"]])

        #expect(
            try await h.call(.update, "oidc/auth_url", ["role": "web", "redirect_uri": "http://evil/cb"])?.data == ["auth_url": ""])
        #expect(await h.failure(.update, "oidc/auth_url", ["role": "web"])?.messages == ["missing redirect_uri"])
        #expect(await h.failure(.update, "oidc/auth_url", ["role": "zz", "redirect_uri": "x"])?.messages == ["role \"zz\" could not be found"])

        let resp = try await h.call(.update, "oidc/auth_url", ["role": "web", "redirect_uri": "http://localhost:9999/oidc/callback"])
        let authURL = try #require(resp?.data?["auth_url"]?.stringValue)
        #expect(authURL.hasPrefix(base + "/authorize?client_id=cid&code_challenge="))
        #expect(authURL.contains("&code_challenge_method=S256&nonce=n_"))
        #expect(authURL.contains("&redirect_uri=http%3A%2F%2Flocalhost%3A9999%2Foidc%2Fcallback&response_type=code&scope=openid+profile&state=st_"))
        let query = Dictionary(
            uniqueKeysWithValues: (URLComponents(string: authURL)?.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        let state = try #require(query["state"])
        let nonce = try #require(query["nonce"])

        let idToken = try await sign(
            ["iss": .string(base), "aud": "cid", "sub": "u1", "name": "Ursula", "nonce": .string(nonce), "iat": .int(now()),
             "exp": .int(now() + 300)], with: keys, kid: "k1")
        server.set("/token", body: "{\"access_token\":\"at\",\"token_type\":\"Bearer\",\"id_token\":\"\(idToken)\"}")

        #expect(
            await h.failure(.read, "oidc/callback", ["state": "bogus", "code": "c"])?.messages == [
                "OpenBao login failed. Expired or missing OAuth state."
            ])
        let auth = try #require(try await h.call(.read, "oidc/callback", ["state": .string(state), "code": "thecode"])?.auth)
        #expect(auth.metadata == ["role": "web", "name": "Ursula"])
        #expect(auth.alias?.name == "u1")
        #expect(server.hitCount("/token") == 1)
        // The state is single-use.
        #expect(
            await h.failure(.read, "oidc/callback", ["state": .string(state), "code": "thecode"])?.messages == [
                "OpenBao login failed. Expired or missing OAuth state."
            ])
    }

    @Test func authURLNeedsOIDCFlowConfig() async throws {
        let h = Harness(type: "oidc")
        #expect(await h.failure(.update, "oidc/auth_url", ["role": "x"])?.messages == ["could not load configuration"])
        let (_, key) = try await rsaKeys()
        try await h.call(.update, "config", ["jwt_validation_pubkeys": .array([.string(key.publicKey.pemRepresentation)])])
        #expect(
            await h.failure(.update, "oidc/auth_url", ["role": "x"])?.messages == ["OIDC login is not configured for this mount"])
        #expect(
            await h.failure(.read, "oidc/callback", ["state": "x"])?.messages == ["OpenBao login failed. Expired or missing OAuth state."])
    }
}
