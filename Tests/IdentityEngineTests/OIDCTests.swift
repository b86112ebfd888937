import CofferSDK
import CofferTesting
import Crypto
import Foundation
import IdentityEngine
import Testing
import _CryptoExtras

/// A store whose default issuer is a fixed API address, with helpers for the OIDC token backend.
struct OIDCHarness {
    let backend = InMemoryPhysicalBackend()
    let store: IdentityStore
    static let api = "https://bao.test:8200"

    init() {
        store = IdentityStore(storage: backend, mountAccessors: { [:] }, apiAddress: { Self.api })
    }

    @discardableResult
    func call(
        _ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:], entityID: String = ""
    ) async throws -> LogicalResponse? {
        var req = LogicalRequest(operation: op, path: path, data: data, storage: backend, mountPoint: "identity/")
        req.entityID = entityID
        return try await EngineDispatch.send(store, req)
    }

    func error(_ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:], entityID: String = "") async -> LogicalError? {
        do {
            try await call(op, path, data, entityID: entityID)
            return nil
        } catch let e as LogicalError {
            return e
        } catch {
            return LogicalError.internalError("\(error)")
        }
    }

    /// The raw JSON body of a raw response (discovery, keys, introspection).
    func rawBody(_ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:]) async throws -> JSONValue {
        let resp = try await call(op, path, data)
        let data = try #require(resp?.data)
        #expect(data["http_content_type"]?.stringValue == "application/json")
        #expect(data["http_status_code"]?.intValue == 200)
        return try JSONValue.parse(try #require(data["http_raw_body"]?.stringValue))
    }

    func makeEntity(_ name: String, metadata: [String: String] = [:]) async throws -> String {
        let resp = try await call(.update, "entity", [
            "name": .string(name), "metadata": .object(metadata.mapValues { .string($0) }),
        ])
        return try #require(resp?.data?["id"]?.stringValue)
    }

    func token(role: String, entityID: String) async throws -> (token: String, data: [String: JSONValue]) {
        let data = try #require(try await call(.read, "oidc/token/\(role)", entityID: entityID)?.data)
        return (try #require(data["token"]?.stringValue), data)
    }
}

/// base64url without padding, decoded with Foundation.
func b64url(_ s: String) throws -> Data {
    var t = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while t.count % 4 != 0 { t += "=" }
    return try #require(Data(base64Encoded: t))
}

func jwtPart(_ token: String, _ index: Int) throws -> [String: JSONValue] {
    let part = String(token.split(separator: ".")[index])
    return try #require(try JSONValue.parse(try b64url(part)).objectValue)
}

/// Verifies a compact JWS with the JWKS alone: the public key is rebuilt from the JWK members and checked with
/// swift-crypto, without the engine's own signing code.
func verifyWithJWKS(_ token: String, jwks: JSONValue) throws -> Bool {
    let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    #expect(parts.count == 3)
    let header = try jwtPart(token, 0)
    let kid = try #require(header["kid"]?.stringValue)
    let alg = try #require(header["alg"]?.stringValue)
    let keys = try #require(jwks.objectValue?["keys"]?.arrayValue)
    let jwk = try #require(keys.compactMap(\.objectValue).first { $0["kid"]?.stringValue == kid })
    #expect(jwk["alg"]?.stringValue == alg)
    #expect(jwk["use"]?.stringValue == "sig")
    let input = Data((parts[0] + "." + parts[1]).utf8)
    let signature = try b64url(parts[2])
    func member(_ name: String) throws -> Data { try b64url(try #require(jwk[name]?.stringValue)) }
    switch alg {
    case "RS256", "RS384", "RS512":
        #expect(jwk["kty"]?.stringValue == "RSA")
        let pub = try _RSA.Signing.PublicKey(n: try member("n"), e: try member("e"))
        let sig = _RSA.Signing.RSASignature(rawRepresentation: signature)
        switch alg {
        case "RS256": return pub.isValidSignature(sig, for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5)
        case "RS384": return pub.isValidSignature(sig, for: SHA384.hash(data: input), padding: .insecurePKCS1v1_5)
        default: return pub.isValidSignature(sig, for: SHA512.hash(data: input), padding: .insecurePKCS1v1_5)
        }
    case "ES256":
        #expect(jwk["crv"]?.stringValue == "P-256")
        let pub = try P256.Signing.PublicKey(x963Representation: Data([4]) + (try member("x")) + (try member("y")))
        return pub.isValidSignature(try P256.Signing.ECDSASignature(rawRepresentation: signature), for: input)
    case "ES384":
        #expect(jwk["crv"]?.stringValue == "P-384")
        let pub = try P384.Signing.PublicKey(x963Representation: Data([4]) + (try member("x")) + (try member("y")))
        return pub.isValidSignature(try P384.Signing.ECDSASignature(rawRepresentation: signature), for: input)
    case "ES512":
        #expect(jwk["crv"]?.stringValue == "P-521")
        let pub = try P521.Signing.PublicKey(x963Representation: Data([4]) + (try member("x")) + (try member("y")))
        return pub.isValidSignature(try P521.Signing.ECDSASignature(rawRepresentation: signature), for: input)
    case "EdDSA":
        #expect(jwk["kty"]?.stringValue == "OKP")
        #expect(jwk["crv"]?.stringValue == "Ed25519")
        let pub = try Curve25519.Signing.PublicKey(rawRepresentation: try member("x"))
        return pub.isValidSignature(signature, for: input)
    default:
        Issue.record("unexpected alg \(alg)")
        return false
    }
}

@Suite("identity OIDC tokens")
struct OIDCTests {
    @Test func configReadWriteAndValidation() async throws {
        let h = OIDCHarness()
        #expect(try await h.call(.read, "oidc/config")?.data?["issuer"]?.stringValue == "")
        let set = try await h.call(.update, "oidc/config", ["issuer": "https://python-hvac.org:1234"])
        #expect(set?.data == nil)
        #expect(set?.warnings.count == 1)
        #expect(try await h.call(.read, "oidc/config")?.data?["issuer"]?.stringValue == "https://python-hvac.org:1234")
        #expect(try await h.call(.update, "oidc/config", ["issuer": ""]) == nil)
        #expect(try await h.call(.read, "oidc/config")?.data?["issuer"]?.stringValue == "")
        for bad in ["https://x.org/", "x.org", "ftp://x.org", "https://u@x.org", "https://x.org?a=b", "https://"] {
            let e = await h.error(.update, "oidc/config", ["issuer": .string(bad)])
            #expect(e?.messages == ["invalid issuer, which must include only a scheme, host, and optional port (e.g. https://example.com:8200)"], "\(bad)")
        }
        #expect(await h.error(.update, "oidc/config", ["issuer": "HTTP://x.org:8200"]) == nil)
        #expect(await h.error(.delete, "oidc/config")?.code == .unsupportedOperation)
    }

    @Test func namedKeysCRUDAndErrors() async throws {
        let h = OIDCHarness()
        #expect(try await h.call(.update, "oidc/key/k1") == nil)
        let k1 = try #require(try await h.call(.read, "oidc/key/k1")?.data)
        #expect(k1["algorithm"] == "RS256")
        #expect(k1["allowed_client_ids"] == .array([]))
        #expect(k1["rotation_period"] == 86400)
        #expect(k1["verification_ttl"] == 86400)
        try await h.call(.update, "oidc/key/k2", [
            "algorithm": "ES256", "rotation_period": "1h", "verification_ttl": 3600, "allowed_client_ids": "a,b",
        ])
        let k2 = try #require(try await h.call(.read, "oidc/key/k2")?.data)
        #expect(k2["algorithm"] == "ES256")
        #expect(k2["allowed_client_ids"] == .array(["a", "b"]))
        #expect(k2["rotation_period"] == 3600)
        #expect(try await h.call(.list, "oidc/key")?.data?["keys"] == .array(["default", "k1", "k2"]))
        let def = try #require(try await h.call(.read, "oidc/key/default")?.data)
        #expect(def["allowed_client_ids"] == .array(["*"]))
        #expect(await h.error(.read, "oidc/key/nope")?.code == .notFound)
        #expect(await h.error(.update, "oidc/key/k3", ["algorithm": "HS256"])?.messages == ["unknown signing algorithm \"HS256\""])
        #expect(await h.error(.update, "oidc/key/k3", ["rotation_period": "10s"])?.messages == ["rotation_period must be at least one minute"])
        #expect(await h.error(.update, "oidc/key/k3", ["verification_ttl": "100d"])?.messages == ["verification_ttl cannot be longer than 10x rotation_period"])
        #expect(await h.error(.update, "oidc/key/k3", ["rotation_period": "abc"])?.messages == ["error converting input for field \"rotation_period\": time: invalid duration \"abc\""])
        #expect(await h.error(.delete, "oidc/key/default")?.messages == ["deletion of key \"default\" not allowed"])
        #expect(try await h.call(.delete, "oidc/key/k2") == nil)
        #expect(try await h.call(.delete, "oidc/key/never") == nil)
        #expect(try await h.call(.list, "oidc/key/")?.data?["keys"] == .array(["default", "k1"]))
        #expect(await h.error(.update, "oidc/key/nope/rotate")?.messages == ["no named key found at \"nope\""])
        // hvac's rotate_named_key posts verification_ttl to the key itself.
        try await h.call(.update, "oidc/key/hvac", ["verification_ttl": 1801])
        try await h.call(.update, "oidc/key/hvac", ["verification_ttl": 1800])
        #expect(try await h.call(.read, "oidc/key/hvac")?.data?["verification_ttl"] == 1800)
    }

    @Test func rolesCRUDAndErrors() async throws {
        let h = OIDCHarness()
        try await h.call(.update, "oidc/key/k1")
        #expect(await h.error(.update, "oidc/role/r0", [:])?.messages == ["the key parameter is required"])
        #expect(await h.error(.update, "oidc/role/r0", ["key": "nokey"])?.messages == ["cannot find key \"nokey\""])
        #expect(await h.error(.list, "oidc/role")?.code == .notFound)
        #expect(try await h.call(.update, "oidc/role/r1", ["key": "k1"]) == nil)
        let r1 = try #require(try await h.call(.read, "oidc/role/r1")?.data)
        #expect(r1["key"] == "k1")
        #expect(r1["template"] == "")
        #expect(r1["ttl"] == 86400)
        let clientID = try #require(r1["client_id"]?.stringValue)
        #expect(clientID.count == 26)
        #expect(clientID.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        try await h.call(.update, "oidc/role/r1", ["ttl": "2h"])
        let updated = try #require(try await h.call(.read, "oidc/role/r1")?.data)
        #expect(updated["ttl"] == 7200)
        #expect(updated["client_id"]?.stringValue == clientID)
        #expect(await h.error(.update, "oidc/role/r1", ["ttl": "48h"])?.messages == ["a role's token ttl cannot be longer than the verification_ttl of the key it references"])
        #expect(await h.error(.update, "oidc/role/r2", ["key": "k1", "template": "notjson"])?.messages == ["error parsing template JSON: invalid character 'o' in literal null (expecting 'u')"])
        #expect(await h.error(.update, "oidc/role/r2", ["key": "k1", "template": "[1]"])?.messages == ["error parsing template JSON: json: cannot unmarshal array into Go value of type map[string]interface {}"])
        #expect(await h.error(.update, "oidc/role/r2", ["key": "k1", "template": "{\"iss\":\"x\"}"])?.messages == ["top level key \"iss\" not allowed. Restricted keys: iat, aud, exp, iss, sub, namespace, nonce, auth_time, at_hash, c_hash"])
        #expect(await h.error(.update, "oidc/role/r2", ["key": "k1", "template": "{\"a\":\"{{identity.entity.name}}\"}"])?.messages == ["error parsing template JSON: invalid character '\"' after object key:value pair"])
        #expect(await h.error(.update, "oidc/role/r2", ["key": "k1", "template": "{\"a\":{{bogus.x}}}"])?.messages == ["error parsing template: no value could be found for one of the template directives"])
        let template = "{\"a\": {{identity.entity.metadata}}}"
        try await h.call(.update, "oidc/role/r2", [
            "key": "k1", "client_id": "myclient", "template": .string(Data(template.utf8).base64EncodedString()),
        ])
        let r2 = try #require(try await h.call(.read, "oidc/role/r2")?.data)
        #expect(r2["client_id"] == "myclient")
        #expect(r2["template"]?.stringValue == template)
        #expect(try await h.call(.list, "oidc/role")?.data?["keys"] == .array(["r1", "r2"]))
        #expect(await h.error(.delete, "oidc/key/k1")?.messages == ["unable to delete key \"k1\" because it is currently referenced by these roles: r1, r2"])
        #expect(await h.error(.update, "oidc/key/k1", ["verification_ttl": "1h"])?.messages == ["unable to update key \"k1\" because it is currently referenced by one or more roles with a token ttl greater than 3600 seconds"])
        #expect(try await h.call(.delete, "oidc/role/r2") == nil)
        #expect(try await h.call(.delete, "oidc/role/r1") == nil)
        #expect(await h.error(.read, "oidc/role/r1")?.code == .notFound)
        #expect(try await h.call(.delete, "oidc/key/k1") == nil)
    }

    @Test func tokenErrors() async throws {
        let h = OIDCHarness()
        try await h.call(.update, "oidc/key/k1")
        try await h.call(.update, "oidc/role/r1", ["key": "k1"])
        let clientID = try #require(try await h.call(.read, "oidc/role/r1")?.data?["client_id"]?.stringValue)
        #expect(await h.error(.read, "oidc/token/nope")?.messages == ["role \"nope\" not found"])
        #expect(await h.error(.read, "oidc/token/r1")?.messages == ["the key \"k1\" does not list the client ID of the role \"r1\" as an allowed client ID"])
        try await h.call(.update, "oidc/key/k1", ["allowed_client_ids": .array([.string(clientID)])])
        #expect(await h.error(.read, "oidc/token/r1")?.messages == ["no entity associated with the request's token"])
        #expect(await h.error(.update, "oidc/token/r1")?.code == .unsupportedOperation)
    }

    @Test(arguments: ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "EdDSA"])
    func signedTokenVerifiesWithPublishedKeys(algorithm: String) async throws {
        let h = OIDCHarness()
        let entityID = try await h.makeEntity("alice")
        try await h.call(.update, "oidc/key/k", ["algorithm": .string(algorithm), "allowed_client_ids": "*"])
        try await h.call(.update, "oidc/role/r", ["key": "k", "ttl": "1h"])
        let clientID = try #require(try await h.call(.read, "oidc/role/r")?.data?["client_id"]?.stringValue)
        let before = Int64(Date().timeIntervalSince1970)
        let (token, data) = try await h.token(role: "r", entityID: entityID)
        #expect(data["client_id"]?.stringValue == clientID)
        #expect(data["ttl"] == 3600)
        let header = try jwtPart(token, 0)
        #expect(Set(header.keys) == ["alg", "kid"])
        #expect(header["alg"]?.stringValue == algorithm)
        let claims = try jwtPart(token, 1)
        #expect(claims["iss"] == .string(OIDCHarness.api + "/v1/identity/oidc"))
        #expect(claims["sub"]?.stringValue == entityID)
        #expect(claims["aud"]?.stringValue == clientID)
        #expect(claims["namespace"] == "root")
        let iat = try #require(claims["iat"]?.intValue)
        #expect(iat >= before && iat <= before + 5)
        #expect(claims["exp"]?.intValue == iat + 3600)
        let jwks = try await h.rawBody(.read, "oidc/.well-known/keys")
        // Current and next keys are published.
        #expect(jwks.objectValue?["keys"]?.arrayValue?.count == 2)
        #expect(try verifyWithJWKS(token, jwks: jwks))
        // A tampered payload does not verify.
        let parts = token.split(separator: ".").map(String.init)
        let forged = parts[0] + "." + OIDCCryptoTestHelpers.b64(Data("{\"sub\":\"x\"}".utf8)) + "." + parts[2]
        #expect(try !verifyWithJWKS(forged, jwks: jwks))
        #expect(try await h.rawBody(.update, "oidc/introspect", ["token": .string(token), "client_id": .string(clientID)]) == .object(["active": true]))
    }

    @Test func templateClaims() async throws {
        let h = OIDCHarness()
        let entityID = try await h.makeEntity("bob", metadata: ["team": "blue"])
        try await h.call(.update, "group", ["name": "g1", "member_entity_ids": .array([.string(entityID)])])
        try await h.call(.update, "oidc/key/k", ["allowed_client_ids": "*"])
        let template = "{\"name\": {{identity.entity.name}}, \"md\": {{identity.entity.metadata}}, \"team\": {{identity.entity.metadata.team}}, \"missing\": {{identity.entity.metadata.zzz}}, \"groups\": {{identity.entity.groups.names}}, \"nested\": {\"arr\": [1, {{identity.entity.id}}]}, \"now\": {{time.now}}}"
        try await h.call(.update, "oidc/role/r", ["key": "k", "template": .string(template)])
        let claims = try jwtPart(try await h.token(role: "r", entityID: entityID).token, 1)
        #expect(claims["name"] == "bob")
        #expect(claims["md"] == .object(["team": "blue"]))
        #expect(claims["team"] == "blue")
        #expect(claims["missing"] == "")
        #expect(claims["groups"] == .array(["g1"]))
        #expect(claims["nested"] == .object(["arr": .array([1, .string(entityID)])]))
        #expect(claims["now"] == claims["iat"])
        // Claims are serialized with sorted keys, as OpenBao's encoder does.
        let payload = String(decoding: try b64url(String(try await h.token(role: "r", entityID: entityID).token.split(separator: ".")[1])), as: UTF8.self)
        #expect(payload.hasPrefix("{\"aud\":"))
    }

    @Test func introspection() async throws {
        let h = OIDCHarness()
        let entityID = try await h.makeEntity("carol")
        try await h.call(.update, "oidc/key/k", ["allowed_client_ids": "*"])
        try await h.call(.update, "oidc/role/r", ["key": "k"])
        let token = try await h.token(role: "r", entityID: entityID).token
        func introspect(_ data: [String: JSONValue]) async throws -> JSONValue { try await h.rawBody(.update, "oidc/introspect", data) }
        #expect(try await introspect(["token": .string(token)]) == .object(["active": true]))
        #expect(try await introspect(["token": .string(token), "client_id": "other"]) == .object([
            "active": false, "error": "error validating claims: go-jose/go-jose/jwt: validation failed, invalid audience claim (aud)",
        ]))
        #expect(try await introspect(["token": "garbage"]) == .object([
            "active": false, "error": "error parsing token: go-jose/go-jose: compact JWS format must have three parts",
        ]))
        #expect(try await introspect(["token": "e30.e30.e30"]) == .object([
            "active": false,
            "error": "error parsing token: unexpected signature algorithm \"\"; expected [\"ES256\" \"ES384\" \"ES512\" \"EdDSA\" \"RS256\" \"RS384\" \"RS512\" \"PS256\" \"PS384\" \"PS512\"]",
        ]))
        #expect(try await introspect(["token": "a.b.c"]) == .object([
            "active": false, "error": "error parsing token: illegal base64 data at input byte 0",
        ]))
        // Flip a character well inside the signature (the last one may only carry unused bits).
        var chars = Array(token)
        let i = token.lastIndex(of: ".").map { token.distance(from: token.startIndex, to: $0) + 10 } ?? 0
        chars[i] = chars[i] == "A" ? "B" : "A"
        let tampered = String(chars)
        #expect(try await introspect(["token": .string(tampered)]) == .object([
            "active": false, "error": "unable to validate the token signature",
        ]))
        try await h.call(.update, "oidc/config", ["issuer": "https://iss.example"])
        #expect(try await introspect(["token": .string(token)]) == .object([
            "active": false, "error": "error validating claims: go-jose/go-jose/jwt: validation failed, invalid issuer claim (iss)",
        ]))
        try await h.call(.update, "oidc/config", ["issuer": ""])
        try await h.call(.update, "entity/id/\(entityID)", ["disabled": true])
        #expect(try await introspect(["token": .string(token)]) == .object(["active": false, "error": "entity is disabled"]))
        try await h.call(.delete, "entity/id/\(entityID)")
        #expect(try await introspect(["token": .string(token)]) == .object(["active": false, "error": "entity was not found"]))
    }

    @Test func rotationKeepsOldKeysVerifiable() async throws {
        let h = OIDCHarness()
        let entityID = try await h.makeEntity("dave")
        try await h.call(.update, "oidc/key/k", ["allowed_client_ids": "*", "algorithm": "ES256"])
        try await h.call(.update, "oidc/role/r", ["key": "k"])
        let first = try await h.token(role: "r", entityID: entityID).token
        let kid1 = try jwtPart(first, 0)["kid"]
        #expect(try await h.call(.update, "oidc/key/k/rotate", ["verification_ttl": "10m"]) == nil)
        // The rotate override does not change the key's own verification TTL.
        #expect(try await h.call(.read, "oidc/key/k")?.data?["verification_ttl"] == 86400)
        let second = try await h.token(role: "r", entityID: entityID).token
        #expect(try jwtPart(second, 0)["kid"] != kid1)
        let jwks = try await h.rawBody(.read, "oidc/.well-known/keys")
        #expect(jwks.objectValue?["keys"]?.arrayValue?.count == 3)
        #expect(try verifyWithJWKS(first, jwks: jwks))
        #expect(try verifyWithJWKS(second, jwks: jwks))
        #expect(try await h.rawBody(.update, "oidc/introspect", ["token": .string(first)]) == .object(["active": true]))
        // Changing the algorithm replaces both keys; the old ones remain published.
        try await h.call(.update, "oidc/key/k", ["algorithm": "EdDSA"])
        let third = try await h.token(role: "r", entityID: entityID).token
        #expect(try jwtPart(third, 0)["alg"] == "EdDSA")
        let after = try await h.rawBody(.read, "oidc/.well-known/keys")
        #expect(after.objectValue?["keys"]?.arrayValue?.count == 5)
        #expect(try verifyWithJWKS(second, jwks: after))
        #expect(try verifyWithJWKS(third, jwks: after))
    }

    @Test func discoveryAndPublicPaths() async throws {
        let h = OIDCHarness()
        // The two documents are declared unauthenticated (OpenBao lists the prefix `oidc/.well-known/*`; these are the
        // only paths under it).
        #expect(Set(h.store.specialPaths.unauthenticated) == ["oidc/.well-known/openid-configuration", "oidc/.well-known/keys"])
        let doc = try await h.rawBody(.read, "oidc/.well-known/openid-configuration")
        #expect(doc == .object([
            "issuer": .string(OIDCHarness.api + "/v1/identity/oidc"),
            "jwks_uri": .string(OIDCHarness.api + "/v1/identity/oidc/.well-known/keys"),
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "EdDSA"],
        ]))
        // Keys not used by any role are not published.
        try await h.call(.update, "oidc/key/unused")
        #expect(try await h.rawBody(.read, "oidc/.well-known/keys") == .object(["keys": []]))
        try await h.call(.update, "oidc/config", ["issuer": "https://python-hvac.org:1234"])
        let set = try await h.rawBody(.read, "oidc/.well-known/openid-configuration")
        #expect(set.objectValue?["issuer"] == "https://python-hvac.org:1234/v1/identity/oidc")
        #expect(await h.error(.read, "oidc/nothing")?.code == .unsupportedPath)
    }

    /// The request sequence of hvac's identity OIDC integration tests, with hvac's exact bodies.
    @Test func hvacSequence() async throws {
        let h = OIDCHarness()
        @discardableResult
        func createKey(_ name: String, _ extra: [String: JSONValue] = [:]) async throws -> LogicalResponse? {
            var body: [String: JSONValue] = [
                "name": .string(name), "rotation_period": "24h", "verification_ttl": "24h", "allowed_client_ids": .null,
                "algorithm": "RS256",
            ]
            body.merge(extra) { $1 }
            return try await h.call(.update, "oidc/key/\(name)", body)
        }
        #expect(try await createKey("hvac_key") == nil)
        #expect(try await h.call(.update, "oidc/role/hvac", ["key": "hvac_key"]) == nil)
        let clientID = try #require(try await h.call(.read, "oidc/role/hvac")?.data?["client_id"]?.stringValue)
        try await createKey("hvac_key", ["allowed_client_ids": .array([.string(clientID)])])
        #expect(try await h.call(.read, "oidc/key/hvac_key")?.data?["allowed_client_ids"] == .array([.string(clientID)]))
        let entityID = try await h.makeEntity("approle-entity")
        let (token, data) = try await h.token(role: "hvac", entityID: entityID)
        #expect(data["client_id"]?.stringValue == clientID)
        let active = try await h.rawBody(.update, "oidc/introspect", ["token": .string(token), "client_id": .string(clientID)])
        #expect(active == .object(["active": true]))
        try await createKey("hvac", ["algorithm": "ES256"])
        #expect(try await h.call(.read, "oidc/key/hvac")?.data?["algorithm"] == "ES256")
        try await createKey("hvac", ["verification_ttl": 1801])
        #expect(try await h.call(.update, "oidc/key/hvac", ["verification_ttl": 1800]) == nil)
        #expect(try await h.call(.read, "oidc/key/hvac")?.data?["verification_ttl"] == 1800)
        #expect(try await h.call(.list, "oidc/key")?.data?["keys"]?.arrayValue?.contains("hvac") == true)
        #expect(try await h.call(.delete, "oidc/key/hvac") == nil)
        let keys = try await h.rawBody(.read, "oidc/.well-known/keys")
        #expect(try verifyWithJWKS(token, jwks: keys))
    }
}

enum OIDCCryptoTestHelpers {
    static func b64(_ d: Data) -> String {
        d.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
