import CofferSDK
import Foundation
import Logging
import Synchronization
import Testing

@testable import CofferCore

/// Several cores on one shared in-memory store (``InMemoryHANode`` views): the election, failover, the keyring read
/// again on takeover, step-down, and the write fence of a deposed active node.
@Suite(.timeLimit(.minutes(2))) struct HATests {
    /// A lease long enough that a loaded machine never lets it lapse between renewals (a lapse hands the lock to the
    /// other node and swaps the roles a test expects); every takeover here follows a release, not an expiry.
    static func ha(_ id: String) -> HAConfiguration {
        HAConfiguration(
            nodeID: id, apiAddress: "http://\(id):8200", clusterAddress: "https://\(id):8201", lockTTL: .seconds(5),
            renewInterval: .milliseconds(200), retryInterval: .milliseconds(100), stepDownPause: .seconds(3))
    }

    static func node(_ id: String, _ store: InMemoryPhysicalBackend) -> (Core, InMemoryHANode) {
        var cfg = CoreConfiguration()
        cfg.ha = ha(id)
        let view = store.node()
        return (Core(configuration: cfg, physical: view, engines: [:], logger: Logger(label: "test-\(id)")), view)
    }

    /// Waits (up to 10 s) until `condition` holds.
    static func eventually(_ what: String, _ condition: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("timed out waiting until \(what)")
        throw CancellationError()
    }

    static func writePolicy(_ core: Core, _ token: String, _ name: String) async throws {
        _ = try await core.handle(CoreRequest(
            id: "t", operation: .update, path: "sys/policies/acl/\(name)", data: ["policy": .string("path \"\(name)/*\" { capabilities = [\"read\"] }")],
            token: token))
    }

    static func readPolicy(_ core: Core, _ token: String, _ name: String) async throws -> String? {
        let r = try await core.handle(CoreRequest(id: "t", operation: .read, path: "sys/policies/acl/\(name)", token: token))
        return r.data?["policy"]?.stringValue
    }

    static func unseal(_ core: Core, _ keys: [[UInt8]]) async throws {
        try await core.loadSealConfig()
        for k in keys.prefix(2) { _ = try await core.unseal(keyBytes: k, reset: false) }
        #expect(!core.isSealed)
    }

    /// Two nodes on one store, initialized through `a`, `a` active and `b` a standby.
    static func twoNodes() async throws -> (store: InMemoryPhysicalBackend, a: Core, aView: InMemoryHANode, b: Core, keys: [[UInt8]], root: String) {
        let store = InMemoryPhysicalBackend()
        let (a, aView) = node("a", store)
        let (b, _) = node("b", store)
        let initResult = try await a.initialize(shares: 3, threshold: 2)
        try await unseal(a, initResult.keys)
        try await eventually("a is active") { a.haRole == .active }
        try await unseal(b, initResult.keys)
        return (store, a, aView, b, initResult.keys, initResult.rootToken)
    }

    @Test func failoverKeepsEveryWriteAndReadsTheRotatedKeyring() async throws {
        let (_, a, _, b, keys, root) = try await Self.twoNodes()
        #expect(b.haRole == .standby)
        try await Self.eventually("b knows the leader") { b.haLeader?.nodeID == "a" }
        #expect(b.haLeader?.apiAddress == "http://a:8200")
        #expect(a.haLeader?.nodeID == "a" && a.activeSince != nil && b.activeSince == nil)

        try await Self.writePolicy(a, root, "before")
        // The keyring rotates on the active node; the standby must read the new term when it takes over.
        _ = try await a.handle(CoreRequest(id: "t", operation: .update, path: "sys/rotate", token: root))
        try await Self.writePolicy(a, root, "after")
        await #expect(throws: (any Error).self, "a standby serves nothing itself") { try await Self.readPolicy(b, root, "before") }

        try await a.seal()
        try await Self.eventually("b takes over after a sealed") { b.haRole == .active }
        #expect(try await Self.readPolicy(b, root, "before") != nil)
        #expect(try await Self.readPolicy(b, root, "after") != nil)
        try await Self.writePolicy(b, root, "on-b")

        // a comes back as a standby.
        try await Self.unseal(a, keys)
        try await Self.eventually("a is a standby that knows b leads") { a.haRole == .standby && a.haLeader?.nodeID == "b" }
        try await b.seal()
        try await Self.eventually("a takes over again") { a.haRole == .active }
        #expect(try await Self.readPolicy(a, root, "on-b") != nil)
        try await a.seal()
    }

    @Test func stepDownHandsTheLockToTheStandby() async throws {
        let (_, a, _, b, _, root) = try await Self.twoNodes()
        _ = try await a.handle(CoreRequest(id: "t", operation: .update, path: "sys/step-down", token: root))
        try await Self.eventually("b takes over after the step-down") { b.haRole == .active }
        #expect(a.haRole == .standby)
        // The node that stepped down leaves the lock alone for stepDownPause, then stays a standby while b renews.
        try await Task.sleep(for: .seconds(1))
        #expect(a.haRole == .standby && b.haRole == .active)
        try await a.seal()
        try await b.seal()
    }

    @Test func aDeposedActiveNodeCannotWrite() async throws {
        let (store, a, aView, b, _, root) = try await Self.twoNodes()
        let lockA = try #require(a.haState.withLock { $0.lock })

        // The lock moves to b behind a's back (as when a's lease ran out while it was cut off from storage).
        try await store.node().releaseLock(lockA)
        try await Self.eventually("b takes over") { b.haRole == .active }
        let lockB = try #require(b.haState.withLock { $0.lock })
        #expect(lockB.term == lockA.term + 1)

        // Whatever a believes meanwhile, a write with its old term cannot commit.
        let stale = store.node()
        stale.setWriteFence(.held(lockA))
        await #expect(throws: PhysicalError.self) { try await stale.put("core/anything", Data([1])) }
        #expect(try await store.get("core/anything") == nil)
        await #expect(throws: PhysicalError.self) { try await aView.put("core/anything", Data([1])) }

        // a notices at its next renewal and becomes a standby; b keeps serving.
        try await Self.eventually("a steps down") { a.haRole == .standby }
        try await Self.writePolicy(b, root, "after-takeover")
        try await b.seal()
        try await a.seal()
    }

    @Test func aSingleNodeIsAlwaysActiveWhenUnsealed() async throws {
        let core = Core(configuration: CoreConfiguration(), physical: InMemoryPhysicalBackend(), engines: [:], logger: Logger(label: "test"))
        #expect(!core.haEnabled && core.haRole == .sealed && !core.isActive)
        let r = try await core.initialize(shares: 1, threshold: 1)
        _ = try await core.unseal(keyBytes: r.keys[0], reset: false)
        #expect(core.haRole == .active && core.isActive)
    }
}
