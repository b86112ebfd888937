import CofferSDK
import Foundation
import Logging
import Synchronization
import Testing

@testable import CofferCore

/// A key/value engine of the smallest kind (read, write, list), mounted as type `kv` so that a standby may serve it.
private struct TinyKV: SecretsEngine {
    func handle(_ r: LogicalRequest) async throws -> LogicalResponse? {
        switch r.operation {
        case .read:
            guard let d = try await r.storage.get(r.path) else { return nil }
            return LogicalResponse(data: ["value": .string(String(decoding: d, as: UTF8.self))])
        case .list:
            return LogicalResponse(data: ["keys": .array(try await r.storage.list(prefix: r.path).map { .string($0) })])
        case .create, .update:
            try await r.storage.put(r.path, Data((r.data["value"]?.stringValue ?? "").utf8))
            return nil
        default:
            throw LogicalError.unsupportedOperation
        }
    }

    var pathDescriptions: [PathDescription] { [] }
}

/// A standby that serves reads itself: every write the active node commits is seen by the standby's next read
/// (secrets, the keyring, mounts, policies, tokens), and a read that turns out to write goes to the active node.
@Suite(.timeLimit(.minutes(2))) struct StandbyReadTests {
    static func node(_ id: String, _ store: InMemoryPhysicalBackend) -> Core {
        var cfg = CoreConfiguration()
        cfg.ha = HATests.ha(id)
        let kv: EngineFactory = { _ in TinyKV() }
        return Core(configuration: cfg, physical: store.node(), engines: ["kv": kv], logger: Logger(label: "test-\(id)"))
    }

    static func call(_ core: Core, _ token: String, _ path: String, _ op: CofferSDK.Operation = .read, _ data: [String: JSONValue] = [:]) async throws -> CoreResponse {
        try await core.handle(CoreRequest(id: "t", operation: op, path: path, data: data, token: token))
    }

    /// A request through the standby's read path; nil when it was sent on to the active node.
    static func standby(_ core: Core, _ token: String, _ path: String, _ op: CofferSDK.Operation = .read, _ data: [String: JSONValue] = [:]) async throws -> CoreResponse? {
        try await core.handleOnStandby(CoreRequest(id: "t", operation: op, path: path, data: data, token: token))
    }

    static func value(_ r: CoreResponse?) -> String? { r?.data?["value"]?.stringValue }

    static func cluster() async throws -> (a: Core, b: Core, root: String) {
        let store = InMemoryPhysicalBackend()
        let a = node("a", store)
        let b = node("b", store)
        let initResult = try await a.initialize(shares: 3, threshold: 2)
        try await HATests.unseal(a, initResult.keys)
        try await HATests.eventually("a is active") { a.haRole == .active }
        _ = try await call(a, initResult.rootToken, "sys/mounts/secret", .update, ["type": "kv"])
        try await HATests.unseal(b, initResult.keys)
        try await HATests.eventually("b serves reads") { b.servesStandbyReads }
        return (a, b, initResult.rootToken)
    }

    @Test func aStandbyReadsEveryWriteTheActiveNodeCommitted() async throws {
        let (a, b, root) = try await Self.cluster()
        #expect(b.haRole == .standby)
        #expect(b.standbyMayServe(path: "secret/x", operation: .read))
        #expect(!b.standbyMayServe(path: "secret/x", operation: .update))
        #expect(!b.standbyMayServe(path: "sys/policies/acl/x", operation: .read))
        #expect(b.standbyMayServe(path: "auth/token/lookup-self", operation: .read))

        // Each value is read back from the standby right after the active node acknowledged it: never an older one,
        // although the first read put the key in the standby's cache.
        for i in 0..<200 {
            _ = try await Self.call(a, root, "secret/x", .update, ["value": .string("v\(i)")])
            #expect(Self.value(try await Self.standby(b, root, "secret/x")) == "v\(i)")
        }
        let list = try await Self.standby(b, root, "secret/", .list)
        #expect(list?.data?["keys"] == ["x"])

        // A keyring rotation: what the active node writes under the new term is readable on the standby.
        _ = try await Self.call(a, root, "sys/rotate", .update)
        _ = try await Self.call(a, root, "secret/after-rotation", .update, ["value": "new-term"])
        #expect(Self.value(try await Self.standby(b, root, "secret/after-rotation")) == "new-term")

        // A new mount (the mount table) and a value in it.
        _ = try await Self.call(a, root, "sys/mounts/other", .update, ["type": "kv"])
        _ = try await Self.call(a, root, "other/y", .update, ["value": "in-other"])
        #expect(Self.value(try await Self.standby(b, root, "other/y")) == "in-other")
        // An unmount: the standby's router forgets it, and sends a request for it to the active node (which answers
        // that there is no such route).
        #expect(b.standbyMayServe(path: "other/y", operation: .read))
        _ = try await Self.call(a, root, "sys/mounts/other", .delete)
        #expect(try await Self.standby(b, root, "other/y") == nil)
        #expect(b.router.withLock { $0?.route("other/y") } == nil)

        try await a.seal()
        try await b.seal()
    }

    @Test func policiesAndTokensChangedOnTheActiveNodeApplyOnTheStandby() async throws {
        let (a, b, root) = try await Self.cluster()
        _ = try await Self.call(a, root, "secret/s", .update, ["value": "secret-value"])
        _ = try await Self.call(a, root, "sys/policies/acl/reader", .update, ["policy": "path \"secret/*\" { capabilities = [\"read\"] }"])
        let auth = try #require(try await Self.call(a, root, "auth/token/create", .update, ["policies": ["reader"]]).auth)
        let token = try #require(auth["client_token"]?.stringValue)

        #expect(Self.value(try await Self.standby(b, token, "secret/s")) == "secret-value")
        let me = try await Self.standby(b, token, "auth/token/lookup-self")
        #expect(me?.data?["policies"] == ["default", "reader"])

        // The policy now denies: the standby's cached policy and ACL go.
        _ = try await Self.call(a, root, "sys/policies/acl/reader", .update, ["policy": "path \"secret/*\" { capabilities = [\"deny\"] }"])
        await #expect(throws: LogicalError.self) { try await Self.standby(b, token, "secret/s") }
        _ = try await Self.call(a, root, "sys/policies/acl/reader", .update, ["policy": "path \"secret/*\" { capabilities = [\"read\"] }"])
        #expect(Self.value(try await Self.standby(b, token, "secret/s")) == "secret-value")

        // The token is revoked: the standby's cached token goes.
        _ = try await Self.call(a, root, "auth/token/revoke", .update, ["token": .string(token)])
        await #expect(throws: LogicalError.self) { try await Self.standby(b, token, "secret/s") }
        await #expect(throws: LogicalError.self) { try await Self.standby(b, token, "auth/token/lookup-self") }

        try await a.seal()
        try await b.seal()
    }

    @Test func aRequestThatWritesGoesToTheActiveNode() async throws {
        let (a, b, root) = try await Self.cluster()
        _ = try await Self.call(a, root, "secret/w", .update, ["value": "before"])

        // A write tried on the standby's read path is refused before it reaches storage, and reported as "forward".
        #expect(try await Self.standby(b, root, "secret/w", .update, ["value": "from-standby"]) == nil)
        #expect(Self.value(try await Self.call(a, root, "secret/w")) == "before")

        // A token with a use limit: each use is a write, so the standby does not spend it.
        let auth = try #require(try await Self.call(a, root, "auth/token/create", .update, ["num_uses": 2, "policies": ["root"]]).auth)
        let limited = try #require(auth["client_token"]?.stringValue)
        #expect(try await Self.standby(b, limited, "secret/w") == nil)
        let left = try await Self.call(a, root, "auth/token/lookup", .update, ["token": .string(limited)])
        #expect(left.data?["num_uses"] == 2)

        // Outside the read path a standby's core answers nothing.
        await #expect(throws: LogicalError.self) { try await Self.call(b, root, "secret/w") }
        try await a.seal()
        try await b.seal()
    }

    @Test func aStandbyThatBecomesActiveServesFromStorageAndTheNewStandbyReadsAgain() async throws {
        let (a, b, root) = try await Self.cluster()
        _ = try await Self.call(a, root, "secret/f", .update, ["value": "1"])
        #expect(Self.value(try await Self.standby(b, root, "secret/f")) == "1")
        _ = try await Self.call(a, root, "sys/step-down", .update)
        try await HATests.eventually("b takes over") { b.haRole == .active }
        #expect(!b.servesStandbyReads)
        _ = try await Self.call(b, root, "secret/f", .update, ["value": "2"])
        try await HATests.eventually("a serves reads as a standby") { a.servesStandbyReads }
        #expect(Self.value(try await Self.standby(a, root, "secret/f")) == "2")
        _ = try await Self.call(b, root, "secret/f", .update, ["value": "3"])
        #expect(Self.value(try await Self.standby(a, root, "secret/f")) == "3")
        try await a.seal()
        try await b.seal()
    }
}
