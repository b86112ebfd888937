import CofferSDK
import Foundation
import Logging
import Testing

@testable import CofferCore

@Suite struct CoreTests {
    static func unsealedCore(now: @escaping @Sendable () -> Date = { Date() }) async throws -> (Core, String) {
        let core = Core(configuration: CoreConfiguration(), physical: InMemoryPhysicalBackend(), engines: [:], logger: Logger(label: "test"), now: now)
        try await core.loadSealConfig()
        let r = try await core.initialize(shares: 3, threshold: 2)
        _ = try await core.unseal(keyBytes: r.keys[0], reset: false)
        _ = try await core.unseal(keyBytes: r.keys[2], reset: false)
        #expect(!core.isSealed)
        return (core, r.rootToken)
    }

    static func create(_ core: Core, token: String, _ body: [String: JSONValue] = [:], path: String = "auth/token/create") async throws -> String {
        let r = try await core.handle(CoreRequest(id: "t", operation: .update, path: path, data: body, token: token))
        return try #require(r.auth?["client_token"]?.stringValue)
    }

    static func lookupSelf(_ core: Core, _ token: String) async -> Bool {
        (try? await core.handle(CoreRequest(id: "t", operation: .read, path: "auth/token/lookup-self", token: token))) != nil
    }

    @Test func unsealProgressAndRepeatedShare() async throws {
        let core = Core(configuration: CoreConfiguration(), physical: InMemoryPhysicalBackend(), engines: [:], logger: Logger(label: "test"))
        let r = try await core.initialize(shares: 5, threshold: 3)
        #expect(core.isSealed)
        var s = try await core.unseal(keyBytes: r.keys[1], reset: false)
        #expect(s.progress == 1 && !s.nonce.isEmpty)
        s = try await core.unseal(keyBytes: r.keys[1], reset: false)
        #expect(s.progress == 1, "a repeated share must not advance progress")
        s = try await core.unseal(keyBytes: [], reset: true)
        #expect(s.progress == 0)
        _ = try await core.unseal(keyBytes: r.keys[0], reset: false)
        _ = try await core.unseal(keyBytes: r.keys[3], reset: false)
        s = try await core.unseal(keyBytes: r.keys[4], reset: false)
        #expect(!s.sealed)
    }

    @Test func revokingAParentRevokesTheWholeSubtree() async throws {
        let (core, root) = try await Self.unsealedCore()
        let parent = try await Self.create(core, token: root)
        let child = try await Self.create(core, token: parent)
        let grandchild = try await Self.create(core, token: child)
        let orphan = try await Self.create(core, token: child, path: "auth/token/create-orphan")
        #expect(await Self.lookupSelf(core, grandchild))
        _ = try await core.handle(CoreRequest(id: "t", operation: .update, path: "auth/token/revoke", data: ["token": .string(parent)], token: root))
        #expect(!(await Self.lookupSelf(core, parent)))
        #expect(!(await Self.lookupSelf(core, child)))
        #expect(!(await Self.lookupSelf(core, grandchild)))
        #expect(await Self.lookupSelf(core, orphan), "orphans are not in the tree")
    }

    @Test func revokeOrphanKeepsChildren() async throws {
        let (core, root) = try await Self.unsealedCore()
        let parent = try await Self.create(core, token: root)
        let child = try await Self.create(core, token: parent)
        _ = try await core.handle(CoreRequest(id: "t", operation: .update, path: "auth/token/revoke-orphan", data: ["token": .string(parent)], token: root))
        #expect(!(await Self.lookupSelf(core, parent)))
        #expect(await Self.lookupSelf(core, child))
    }

    @Test func childPoliciesMustBeSubsetOfParent() async throws {
        let (core, root) = try await Self.unsealedCore()
        let limited = try await Self.create(core, token: root, ["policies": ["default"]])
        await #expect(throws: LogicalError.self) {
            _ = try await Self.create(core, token: limited, ["policies": ["admin"]])
        }
    }

    @Test func expiryIsEnforcedWithAnInjectedClock() async throws {
        let clock = TestClock()
        let (core, root) = try await Self.unsealedCore(now: { clock.now })
        let short = try await Self.create(core, token: root, ["ttl": "2s"])
        let child = try await Self.create(core, token: short, ["ttl": "1h"])
        #expect(await Self.lookupSelf(core, short))
        clock.advance(3)
        #expect(!(await Self.lookupSelf(core, short)))
        #expect(!(await Self.lookupSelf(core, child)), "children die with their parent")
    }

    @Test func limitedUseTokenDiesAfterItsUses() async throws {
        let (core, root) = try await Self.unsealedCore()
        let t = try await Self.create(core, token: root, ["num_uses": 2])
        #expect(await Self.lookupSelf(core, t))
        #expect(await Self.lookupSelf(core, t))
        try await Task.sleep(for: .milliseconds(50))
        #expect(!(await Self.lookupSelf(core, t)))
    }
}

/// An engine that counts how often the core runs its periodic function.
struct CountingEngine: SecretsEngine {
    let count: Counter
    func handle(_ request: LogicalRequest) async throws -> LogicalResponse? { nil }
    func periodic(storage: any LogicalStorage) async throws { count.add() }
}

final class Counter: Sendable {
    private let value = Mutex(0)
    func add() { value.withLock { $0 += 1 } }
    var current: Int { value.withLock { $0 } }
}

@Suite struct PeriodicTests {
    @Test func coreRunsEveryMountedEnginesPeriodicFunction() async throws {
        let counter = Counter()
        let core = Core(
            configuration: CoreConfiguration(), physical: InMemoryPhysicalBackend(),
            engines: ["counting": { _ in CountingEngine(count: counter) }], logger: Logger(label: "test"))
        let r = try await core.initialize(shares: 1, threshold: 1)
        _ = try await core.unseal(keyBytes: r.keys[0], reset: false)
        _ = try await core.handle(CoreRequest(id: "t", operation: .update, path: "sys/mounts/a", data: ["type": "counting"], token: r.rootToken))
        _ = try await core.handle(CoreRequest(id: "t", operation: .update, path: "sys/mounts/b", data: ["type": "counting"], token: r.rootToken))
        await core.runPeriodicFunctions()
        #expect(counter.current == 2)
        try await core.seal()
        await core.runPeriodicFunctions()
        #expect(counter.current == 2, "nothing runs while sealed")
    }
}

final class TestClock: Sendable {
    private let value = Mutex<Date>(Date(timeIntervalSince1970: 1_800_000_000))
    var now: Date { value.withLock { $0 } }
    func advance(_ seconds: Double) { value.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

import Synchronization
