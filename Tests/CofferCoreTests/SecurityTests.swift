import CofferSDK
import Foundation
import Logging
import Testing

@testable import CofferCore

/// Issue 11: privilege escalation, non-canonical paths, sudo paths, identity templates, use counts, audit paths.
@Suite struct SecurityTests {
    typealias C = CoreTests

    static func write(_ core: Core, _ token: String, _ path: String, _ body: [String: JSONValue] = [:], op: CofferSDK.Operation = .update)
        async throws -> CoreResponse
    {
        try await core.handle(CoreRequest(id: "t", operation: op, path: path, data: body, token: token))
    }

    static func policy(_ core: Core, _ root: String, _ name: String, _ text: String) async throws {
        _ = try await write(core, root, "sys/policies/acl/\(name)", ["policy": .string(text)])
    }

    static func message(_ body: () async throws -> Void) async -> String? {
        do {
            try await body()
            return nil
        } catch let e as LogicalError {
            return e.messages.joined(separator: "; ")
        } catch {
            return "\(error)"
        }
    }

    // MARK: 6, 7: token creation

    @Test func sudoOnCreateDoesNotMakeRoot() async throws {
        let (core, root) = try await C.unsealedCore()
        try await Self.policy(core, root, "creator", #"path "auth/token/create" { capabilities = ["create", "update", "sudo"] }"#)
        let creator = try await C.create(core, token: root, ["policies": ["creator"]])
        let m = await Self.message { _ = try await C.create(core, token: creator, ["policies": ["root"]]) }
        #expect(m == "root tokens may not be created without parent token being root")
        // sudo still allows policies the caller does not hold (Vault's rule), just not root.
        _ = try await C.create(core, token: creator, ["policies": ["other"]])
        // and the root token may.
        _ = try await C.create(core, token: root, ["policies": ["root"]])
    }

    @Test func roleWithoutAllowedPoliciesBindsToTheParent() async throws {
        let (core, root) = try await C.unsealedCore()
        try await Self.policy(core, root, "creator", #"path "auth/token/create/*" { capabilities = ["create", "update"] }"#)
        _ = try await Self.write(core, root, "auth/token/roles/open", [:])
        let creator = try await C.create(core, token: root, ["policies": ["creator"]])
        for wanted in [["root"], ["admin"], ["creator", "admin"]] {
            let m = await Self.message {
                _ = try await C.create(core, token: creator, ["policies": .array(wanted.map { .string($0) })], path: "auth/token/create/open")
            }
            #expect(m == "child policies must be subset of parent", "\(wanted)")
        }
        let ok = try await Self.write(core, creator, "auth/token/create/open", [:])
        let policies = ok.auth?["policies"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(Set(policies) == ["creator", "default"])
        // A role that names its allowed policies bounds them, and root is never among what a non-root may get.
        _ = try await Self.write(core, root, "auth/token/roles/named", ["allowed_policies": ["root", "p2"]])
        let m = await Self.message {
            _ = try await C.create(core, token: creator, ["policies": ["root"]], path: "auth/token/create/named")
        }
        #expect(m == "root tokens may not be created without parent token being root")
        // A role's allowed list holding root is root alone (as OpenBao sanitizes it): nothing else is allowed.
        let m2 = await Self.message {
            _ = try await C.create(core, token: creator, ["policies": ["p2"]], path: "auth/token/create/named")
        }
        #expect(m2?.hasPrefix("token policies ([\"default\" \"p2\"]) must be subset of the role's allowed policies ([\"root\"])") == true)
        // A role that names its allowed policies lets the caller hand out policies it does not hold itself.
        _ = try await Self.write(core, root, "auth/token/roles/bounded", ["allowed_policies": ["p2"]])
        let bounded = try await Self.write(core, creator, "auth/token/create/bounded", ["policies": ["p2"]])
        #expect(bounded.auth?["policies"]?.arrayValue?.compactMap(\.stringValue) == ["default", "p2"])
    }

    @Test func internalPoliciesCannotBeAssigned() async throws {
        let (core, root) = try await C.unsealedCore()
        let m = await Self.message { _ = try await C.create(core, token: root, ["policies": ["response-wrapping"]]) }
        #expect(m == "cannot assign policy \"response-wrapping\"")
    }

    @Test func authMethodsCannotCreateRootTokens() throws {
        #expect(throws: LogicalError.self) { try TokenPolicyGate.authorize(["root"], origin: .authMethod(mountPath: "auth/userpass/"), type: .service) }
        #expect(throws: LogicalError.self) { try TokenPolicyGate.authorize(["default", "root"], origin: .authMethod(mountPath: "auth/x/"), type: .service) }
        try TokenPolicyGate.authorize(["default", "dev"], origin: .authMethod(mountPath: "auth/x/"), type: .service)
    }

    // MARK: 9: canonical paths

    @Test func nonCanonicalPathsAreRefusedBeforeAnyDecision() async throws {
        let (core, root) = try await C.unsealedCore()
        try await Self.policy(core, root, "sysall", #"path "sys/*" { capabilities = ["create", "read", "update", "delete", "list"] }"#)
        let t = try await C.create(core, token: root, ["policies": ["sysall"]])
        for path in ["sys//audit/x", "sys/./audit/x", "sys/x/../audit/x", "sys//rotate", "sys/audit/x/.", "sys/a\u{0}b"] {
            let m = await Self.message { _ = try await Self.write(core, t, path, ["type": "file", "options": ["file_path": "discard"]]) }
            #expect(m == "invalid request path", "\(path)")
        }
        let m = await Self.message { _ = try await Self.write(core, t, "sys/remount/", ["from": "secret", "to": "x"]) }
        #expect(m == "cannot write to a path ending in '/'")
        // The clean path is root-protected.
        let m2 = await Self.message { _ = try await Self.write(core, t, "sys/audit/x", ["type": "file", "options": ["file_path": "discard"]]) }
        #expect(m2 == "1 error occurred:\n\t* permission denied\n\n", "a valid token refused by policy: OpenBao 2.7.2's multierror text")
    }

    @Test func requestPathCanonicalForm() {
        #expect(RequestPath.isCanonical("sys/mounts/secret"))
        #expect(RequestPath.isCanonical("secret/metadata/"))
        #expect(RequestPath.isCanonical("a/.b/..c/...d"))
        for p in ["a//b", "/a", "a/./b", "a/../b", "a/.", "a/..", ".", "..", "a\u{0}", "a\u{7f}", "a\nb", "//"] {
            #expect(!RequestPath.isCanonical(p), "\(p)")
        }
        #expect(RequestPath.verdict("sys//audit/x") == .redirect("/v1/sys/audit/x"))
        #expect(RequestPath.verdict("secret/data/x/..") == .redirect("/v1/secret/data"))
        #expect(RequestPath.verdict("secret//metadata/") == .redirect("/v1/secret/metadata/"))
        #expect(RequestPath.verdict("../../etc") == .redirect("/etc"))
        #expect(RequestPath.verdict("a\u{0}b") == .invalid)
        // Random paths: the clean form of anything is canonical once /v1/ is taken off.
        var rng = SystemRandomNumberGenerator()
        let pieces = ["a", "b", ".", "..", "", "/", "//", "x.y", "..."]
        for _ in 0..<2000 {
            let p = (0..<Int.random(in: 1...8, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined(separator: "/")
            if case .redirect(let clean) = RequestPath.verdict(p), clean.hasPrefix("/v1/") {
                #expect(RequestPath.isCanonical(String(clean.dropFirst(4))), "\(p) -> \(clean)")
            }
        }
    }

    // MARK: 10, 12: sudo paths

    @Test func sealAndRevokeOrphanPathFormNeedSudo() async throws {
        let (core, root) = try await C.unsealedCore()
        try await Self.policy(core, root, "nosudo", #"""
            path "sys/seal" { capabilities = ["update"] }
            path "auth/token/*" { capabilities = ["create", "read", "update", "delete", "list"] }
            """#)
        let t = try await C.create(core, token: root, ["policies": ["nosudo"]])
        let victim = try await C.create(core, token: root)
        #expect(await Self.message { _ = try await Self.write(core, t, "sys/seal") } == "1 error occurred:\n\t* permission denied\n\n")
        #expect(!core.isSealed)
        #expect(await Self.message { _ = try await Self.write(core, t, "auth/token/revoke-orphan/\(victim)") } == "1 error occurred:\n\t* permission denied\n\n")
        // The body form is checked by the handler, with OpenBao's text.
        #expect(
            await Self.message { _ = try await Self.write(core, t, "auth/token/revoke-orphan", ["token": .string(victim)]) }
                == "root or sudo privileges required to revoke and orphan")
        #expect(await C.lookupSelf(core, victim))
    }

    // MARK: 11: identity templates

    @Test func templateValuesThatWidenARuleAreRefused() {
        for v in ["*", "+", "a*", "a+b", "{{x}}", "", ".", "..", "a/../b", "a//b", "/a", "a/", "a\u{0}"] {
            #expect(!ACL.isSafeTemplateValue(v), "\(v)")
        }
        for v in ["team-a", "a.b", "repo:org/name", "x_y"] { #expect(ACL.isSafeTemplateValue(v), "\(v)") }
        let policy = try! PolicyParser.parse(name: "t", text: #"path "secret/data/{{identity.entity.metadata.team}}/*" { capabilities = ["read"] }"#)
        let wide = ACL(policies: [policy], templateValues: ["identity.entity.metadata.team": "+"])
        #expect(!wide.allowOperation(path: "secret/data/other/x", operation: .read, data: [:]).allowed)
        let star = ACL(policies: [policy], templateValues: ["identity.entity.metadata.team": "*"])
        #expect(!star.allowOperation(path: "secret/data/*/x", operation: .read, data: [:]).allowed)
        #expect(!star.allowOperation(path: "secret/data/other/x", operation: .read, data: [:]).allowed)
        let fine = ACL(policies: [policy], templateValues: ["identity.entity.metadata.team": "a"])
        #expect(fine.allowOperation(path: "secret/data/a/x", operation: .read, data: [:]).allowed)
    }

    @Test func compiledACLCacheIsKeyedByTemplateValues() async throws {
        let (core, root) = try await C.unsealedCore()
        try await Self.policy(core, root, "team", #"path "secret/data/{{identity.entity.metadata.team}}/*" { capabilities = ["read"] }"#)
        let a = try await core.policies.acl(for: ["team"], templateValues: ["identity.entity.metadata.team": "a"], cacheScope: "e1")
        let b = try await core.policies.acl(for: ["team"], templateValues: ["identity.entity.metadata.team": "b"], cacheScope: "e1")
        #expect(a.allowOperation(path: "secret/data/a/x", operation: .read, data: [:]).allowed)
        #expect(!b.allowOperation(path: "secret/data/a/x", operation: .read, data: [:]).allowed)
        #expect(b.allowOperation(path: "secret/data/b/x", operation: .read, data: [:]).allowed)
    }

    // MARK: 13: use counts

    @Test func aLimitedUseTokenServesExactlyItsUses() async throws {
        let (core, root) = try await C.unsealedCore()
        for uses in [1, 3] {
            let t = try await C.create(core, token: root, ["num_uses": .int(Int64(uses))])
            let ok = await withTaskGroup(of: Bool.self) { g in
                for _ in 0..<40 { g.addTask { await C.lookupSelf(core, t) } }
                var n = 0
                for await r in g where r { n += 1 }
                return n
            }
            #expect(ok == uses)
        }
    }

    @Test func aWrappingTokenUnwrapsOnce() async throws {
        let (core, root) = try await C.unsealedCore()
        let wrapped = try await core.handle(CoreRequest(id: "t", operation: .update, path: "sys/wrapping/wrap", data: ["k": "v"], token: root, wrapTTL: 60))
        let w = try #require(wrapped.wrapInfo?["token"]?.stringValue)
        let ok = await withTaskGroup(of: Bool.self) { g in
            for _ in 0..<40 {
                g.addTask {
                    (try? await core.handle(CoreRequest(id: "t", operation: .update, path: "sys/wrapping/unwrap", token: w)))?.data?["k"] == "v"
                }
            }
            var n = 0
            for await r in g where r { n += 1 }
            return n
        }
        #expect(ok == 1)
    }

    // MARK: 16: audit

    @Test func tokensInTokenStorePathsAreHashedForTheAuditLog() {
        let h: (String) -> String = { "hmac:" + String($0.count) }
        #expect(AuditRecord.hashingCredentials(in: "auth/token/revoke-orphan/s.abc", token: h, accessor: { $0 }) == "auth/token/revoke-orphan/hmac:5")
        #expect(AuditRecord.hashingCredentials(in: "auth/token/revoke/s.a/b", token: h, accessor: { $0 }) == "auth/token/revoke/hmac:5")
        #expect(AuditRecord.hashingCredentials(in: "auth/token/lookup-accessor/acc", token: { $0 }, accessor: h) == "auth/token/lookup-accessor/hmac:3")
        #expect(AuditRecord.hashingCredentials(in: "auth/token/create/role", token: h, accessor: h) == "auth/token/create/role")
        #expect(AuditRecord.hashingCredentials(in: "secret/data/revoke/x", token: h, accessor: h) == "secret/data/revoke/x")
    }
}
