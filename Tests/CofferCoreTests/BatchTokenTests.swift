import CofferSDK
import Foundation
import Logging
import Testing

@testable import CofferCore

/// Issue 12, item 12a: batch tokens, compared with OpenBao 2.7.2's answers.
@Suite struct BatchTokenTests {
    typealias C = CoreTests
    typealias S = SecurityTests

    static let tc = #"path "auth/token/*" { capabilities = ["create", "read", "update", "list", "sudo"] }"#
        + "\n" + #"path "sys/capabilities-self" { capabilities = ["update"] }"#

    /// A core with a policy `tc` (token paths with sudo) and the unseal keys, for seal/unseal round trips.
    static func core(now: @escaping @Sendable () -> Date = { Date() }) async throws -> (Core, String, [[UInt8]]) {
        let core = Core(configuration: CoreConfiguration(), physical: InMemoryPhysicalBackend(), engines: [:], logger: Logger(label: "test"), now: now)
        try await core.loadSealConfig()
        let r = try await core.initialize(shares: 1, threshold: 1)
        _ = try await core.unseal(keyBytes: r.keys[0], reset: false)
        try await S.policy(core, r.rootToken, "tc", tc)
        return (core, r.rootToken, r.keys)
    }

    static func auth(_ core: Core, _ token: String, _ body: [String: JSONValue], path: String = "auth/token/create") async throws -> JSONValue {
        try #require(try await S.write(core, token, path, body).auth)
    }

    static func lookupSelf(_ core: Core, _ token: String) async throws -> [String: JSONValue] {
        try #require(try await S.write(core, token, "auth/token/lookup-self", op: .read).data)
    }

    @Test func createdBatchTokenIsSealedNotStored() async throws {
        let (core, root, _) = try await Self.core()
        let before = try await core.tokens.count()
        let a = try await Self.auth(core, root, ["type": "batch", "policies": ["tc"], "ttl": "1h"])
        #expect(try await core.tokens.count() == before, "a batch token writes nothing")
        let token = try #require(a["client_token"]?.stringValue)
        #expect(token.hasPrefix("b."))
        #expect(a["accessor"] == "")
        #expect(a["token_type"] == "batch")
        #expect(a["renewable"] == false)
        #expect(a["orphan"] == false)
        #expect(a["lease_duration"] == 3600)
        #expect(a["num_uses"] == 0)
        #expect(a["policies"] == ["default", "tc"])

        let d = try await Self.lookupSelf(core, token)
        #expect(d["type"] == "batch")
        #expect(d["id"] == .string(token))
        #expect(d["accessor"] == "")
        #expect(d["orphan"] == false)
        #expect(d["renewable"] == false)
        #expect(d["creation_ttl"] == 3600)
        #expect(d["path"] == "auth/token/create")
        #expect(d["policies"] == ["default", "tc"])
        #expect(d["num_uses"] == 0)
        // The root token looks it up too, and it serves an ordinary request.
        let byRoot = try #require(try await S.write(core, root, "auth/token/lookup", ["token": .string(token)]).data)
        #expect(byRoot["type"] == "batch")
        let caps = try await S.write(core, token, "sys/capabilities-self", ["paths": ["auth/token/create"]])
        #expect(caps.data?["auth/token/create"] == ["create", "list", "read", "sudo", "update"])
    }

    @Test func batchTokensCannotBeRenewedRevokedOrCreateTokens() async throws {
        let (core, root, _) = try await Self.core()
        let token = try #require(try await Self.auth(core, root, ["type": "batch", "policies": ["tc"]])["client_token"]?.stringValue)
        let renewed = "batch tokens cannot be renewed"
        #expect(await S.message { _ = try await S.write(core, token, "auth/token/renew-self") } == renewed)
        #expect(await S.message { _ = try await S.write(core, root, "auth/token/renew", ["token": .string(token)]) } == renewed)
        let revoked = "batch tokens cannot be revoked"
        #expect(await S.message { _ = try await S.write(core, token, "auth/token/revoke-self") } == revoked)
        #expect(await S.message { _ = try await S.write(core, root, "auth/token/revoke", ["token": .string(token)]) } == revoked)
        #expect(await S.message { _ = try await S.write(core, root, "auth/token/revoke-orphan", ["token": .string(token)]) } == revoked)
        let noChildren = "batch tokens cannot create more tokens"
        for path in ["auth/token/create", "auth/token/create-orphan"] {
            for body: [String: JSONValue] in [["policies": ["tc"]], ["policies": ["tc"], "type": "batch"], ["no_parent": true]] {
                #expect(await S.message { _ = try await S.write(core, token, path, body) } == noChildren)
            }
        }
        // Still alive after all of that.
        #expect(try await Self.lookupSelf(core, token)["type"] == "batch")
    }

    @Test func batchOptionsAreRefusedWithOpenBaosTexts() async throws {
        let (core, root, _) = try await Self.core()
        let cases: [([String: JSONValue], String)] = [
            (["num_uses": 3], "batch tokens cannot have \"num_uses\" set"),
            (["num_uses": -1], "batch tokens cannot have \"num_uses\" set"),
            (["period": "1h"], "batch tokens cannot have \"period\" set"),
            (["explicit_max_ttl": "10m"], "batch tokens cannot have \"explicit_max_ttl\" set"),
            (["explicit_max_ttl": "abc"], "'explicit_max_ttl' value could not be parsed"),
            (["period": "abc"], "'period' value could not be parsed"),
            ([:], "batch tokens cannot be root tokens"),  // a root caller's policies are inherited
            (["policies": ["root"]], "batch tokens cannot be root tokens"),
        ]
        for (extra, expected) in cases {
            var body: [String: JSONValue] = ["type": "batch"]
            if extra["policies"] == nil, !extra.isEmpty { body["policies"] = ["tc"] }
            for (k, v) in extra { body[k] = v }
            #expect(await S.message { _ = try await S.write(core, root, "auth/token/create", body) } == expected, "\(body)")
        }
        #expect(await S.message { _ = try await S.write(core, root, "auth/token/create", ["type": "default", "policies": ["tc"]]) }
            == "invalid 'token_type' value")
        // OpenBao's quirks, kept: a zero explicit max TTL decides the check, and `renewable` is quietly false.
        let quirk = try await Self.auth(core, root, ["type": "batch", "policies": ["tc"], "explicit_max_ttl": "0", "num_uses": 3])
        #expect(quirk["token_type"] == "batch" && quirk["num_uses"] == 0)
        #expect(try await Self.auth(core, root, ["type": "batch", "policies": ["tc"], "renewable": true])["renewable"] == false)
    }

    @Test func batchTokenDiesWithItsParentUnlessOrphan() async throws {
        let (core, root, _) = try await Self.core()
        let parent = try await C.create(core, token: root, ["policies": ["tc"], "ttl": "2h"])
        let child = try await C.create(core, token: parent, ["type": "batch", "policies": ["tc"]])
        let orphanAuth = try await Self.auth(core, parent, ["type": "batch", "policies": ["tc"]], path: "auth/token/create-orphan")
        #expect(orphanAuth["orphan"] == true)
        let orphan = try #require(orphanAuth["client_token"]?.stringValue)
        #expect(try await Self.lookupSelf(core, child)["orphan"] == false)
        _ = try await S.write(core, root, "auth/token/revoke", ["token": .string(parent)])
        #expect(!(await C.lookupSelf(core, child)), "the parent is checked at every use")
        #expect(await S.message { _ = try await S.write(core, root, "auth/token/lookup", ["token": .string(child)]) } == "bad token")
        #expect(await C.lookupSelf(core, orphan))
    }

    @Test func batchTokenExpiresWithItsTTL() async throws {
        let clock = TestClock()
        let (core, root, _) = try await Self.core(now: { clock.now })
        let token = try await C.create(core, token: root, ["type": "batch", "policies": ["tc"], "ttl": "10s"])
        clock.advance(5)
        #expect(try await Self.lookupSelf(core, token)["ttl"] == 5)
        clock.advance(6)
        #expect(!(await C.lookupSelf(core, token)))
    }

    @Test func batchTokenSurvivesSealAndIsBoundToItsServer() async throws {
        let (core, root, keys) = try await Self.core()
        let token = try await C.create(core, token: root, ["type": "batch", "policies": ["tc"]])
        try await core.seal()
        _ = try await core.unseal(keyBytes: keys[0], reset: false)
        #expect(await C.lookupSelf(core, token), "the sealing key is kept in the barrier")

        let (other, _, _) = try await Self.core()
        #expect(!(await C.lookupSelf(other, token)), "another server's key does not open it")

        // Any change to the sealed bytes is refused.
        var chars = Array(token)
        for i in [2, chars.count / 2, chars.count - 1] {
            var t = chars
            t[i] = t[i] == "A" ? "B" : "A"
            #expect(!(await C.lookupSelf(core, String(t))))
        }
        chars.removeLast(4)
        #expect(!(await C.lookupSelf(core, String(chars))))
        #expect(!(await C.lookupSelf(core, "b.")))
        #expect(!(await C.lookupSelf(core, "b.!!!")))
    }

    @Test func tokenRolesChooseTheType() async throws {
        let (core, root, _) = try await Self.core()
        func role(_ name: String, _ body: [String: JSONValue]) async -> String? {
            await S.message { _ = try await S.write(core, root, "auth/token/roles/\(name)", body) }
        }
        #expect(await role("b", ["token_type": "batch"]) == "'token_type' cannot be 'batch' when role is set to generate non-orphan tokens")
        #expect(await role("b", ["token_type": "batch", "orphan": true]) == "'token_type' cannot be 'batch' when role is set to generate renewable tokens")
        #expect(await role("b", ["token_type": "batch", "orphan": true, "renewable": false, "token_period": "1h"])
            == "'token_type' cannot be 'batch' when role is set to generate periodic tokens")
        #expect(await role("b", ["token_type": "batch", "orphan": true, "renewable": false, "token_explicit_max_ttl": "1h"])
            == "'token_type' cannot be 'batch' when role is set to generate tokens with an explicit max TTL")
        #expect(await role("b", ["token_type": "default"]) == "invalid 'token_type' value \"default\"")
        #expect(await role("b", ["token_type": .null]) == "Invalid 'token_type' value: null")
        #expect(await S.message { _ = try await S.write(core, root, "auth/token/roles/b", op: .read) } != nil, "a refused role is not stored")

        #expect(await role("b", ["token_type": "batch", "orphan": true, "renewable": false, "allowed_policies": ["tc"]]) == nil)
        var a = try await Self.auth(core, root, [:], path: "auth/token/create/b")
        #expect(a["token_type"] == "batch" && a["orphan"] == true)
        a = try await Self.auth(core, root, ["type": "service"], path: "auth/token/create/b")
        #expect(a["token_type"] == "batch", "a batch role forces the type")

        #expect(await role("db", ["token_type": "default-batch", "allowed_policies": ["tc"], "token_period": "1h"]) == nil)
        a = try await Self.auth(core, root, [:], path: "auth/token/create/db")
        #expect(a["token_type"] == "batch" && a["orphan"] == false && a["lease_duration"] != 3600, "a role's period shapes service tokens only")
        a = try await Self.auth(core, root, ["type": "service"], path: "auth/token/create/db")
        #expect(a["token_type"] == "service")

        #expect(await role("s", ["token_type": "service", "allowed_policies": ["tc"]]) == nil)
        #expect(try await Self.auth(core, root, ["type": "batch"], path: "auth/token/create/s")["token_type"] == "service")
        #expect(await role("ds", ["allowed_policies": ["tc"]]) == nil)
        #expect(try await Self.auth(core, root, ["type": "batch"], path: "auth/token/create/ds")["token_type"] == "batch")
    }

    @Test func theGateRefusesRootBatchTokensFromEveryOrigin() throws {
        let rootEntry = TokenEntry(
            idHash: "x", accessor: "a", parentHash: nil, policies: ["root"], meta: nil, displayName: "root", numUses: 0,
            creationTime: Date(), creationTTL: 0, explicitMaxTTL: 0, period: 0, renewable: false, path: "auth/token/root", expireTime: nil, role: "")
        #expect(throws: LogicalError.self) {
            try TokenPolicyGate.authorize(["root"], origin: .tokenStore(caller: rootEntry, sudo: true, boundByRole: false), type: .batch)
        }
        try TokenPolicyGate.authorize(["root"], origin: .tokenStore(caller: rootEntry, sudo: true, boundByRole: false), type: .service)
        try TokenPolicyGate.authorize(["default"], origin: .tokenStore(caller: rootEntry, sudo: true, boundByRole: false), type: .batch)
    }

    @Test func customIDsFollowOpenBaosRules() async throws {
        let (core, root, _) = try await Self.core()
        #expect(await S.message { _ = try await C.create(core, token: root, ["id": "s.mine", "policies": ["tc"]]) }
            == "custom token ID cannot have the 's.' prefix")
        #expect(await S.message { _ = try await C.create(core, token: root, ["id": "b.mine", "policies": ["tc"]]) }
            == "custom token ID cannot have a '.' in the value")
        #expect(try await C.create(core, token: root, ["id": "mine", "policies": ["tc"]]) == "mine")
        // A batch token ignores the requested ID (it is its own sealed entry).
        let b = try await C.create(core, token: root, ["id": "other", "type": "batch", "policies": ["tc"]])
        #expect(b.hasPrefix("b."))
        #expect(await S.message { _ = try await S.write(core, root, "auth/token/lookup", ["token": "other"]) } == "bad token")
    }

    @Test func limitedUseTokensCannotCreateChildren() async throws {
        let (core, root, _) = try await Self.core()
        let limited = try await C.create(core, token: root, ["policies": ["tc"], "num_uses": 5])
        #expect(await S.message { _ = try await C.create(core, token: limited, ["policies": ["tc"]]) }
            == "restricted use token cannot generate child tokens")
    }
}
