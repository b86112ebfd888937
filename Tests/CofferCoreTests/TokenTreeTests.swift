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

    @Test func revokingALargeTreeCommitsInBatchesAndDestroysCubbyholes() async throws {
        let physical = TransactionCountingBackend()
        let core = Core(
            configuration: CoreConfiguration(), physical: physical, engines: ["cubbyhole": { _ in StoringEngine() }], logger: Logger(label: "test"))
        try await core.loadSealConfig()
        let r = try await core.initialize(shares: 1, threshold: 1)
        _ = try await core.unseal(keyBytes: r.keys[0], reset: false)
        let parent = try await Self.create(core, token: r.rootToken)
        var children: [String] = []
        for _ in 0..<300 { children.append(try await Self.create(core, token: parent)) }
        var grandchildren: [String] = []
        for c in children.prefix(300) { grandchildren.append(try await Self.create(core, token: c)) }
        for t in [children[0], children[299], grandchildren[150]] {
            _ = try await core.handle(CoreRequest(id: "t", operation: .update, path: "cubbyhole/secret", data: ["v": "x"], token: t))
        }
        let cubbyKeys = try await physical.list(prefix: "logical/").count
        #expect(cubbyKeys > 0)
        let before = physical.transactions
        _ = try await core.handle(CoreRequest(id: "t", operation: .update, path: "auth/token/revoke", data: ["token": .string(parent)], token: r.rootToken))
        let commits = physical.transactions - before
        // 601 tokens in batches of 256: three transactions (plus none per token).
        #expect(commits <= 4, "revoking 601 tokens took \(commits) commits")
        for t in [parent, children[0], children[299], grandchildren[0], grandchildren[299]] {
            #expect(!(await Self.lookupSelf(core, t)))
        }
        let leftTokens = try await physical.list(prefix: "sys/token/id/").count
        let leftLinks = try await physical.list(prefix: "sys/token/parent/").count
        #expect(leftTokens == 1, "only the root token remains")
        #expect(leftLinks == 0)
        // Every cubbyhole entry of the revoked tokens is gone from storage.
        var remaining: [String] = []
        var queue = ["logical/"]
        while let p = queue.popLast() {
            for k in try await physical.list(prefix: p) {
                if k.hasSuffix("/") { queue.append(p + k) } else { remaining.append(p + k) }
            }
        }
        #expect(remaining.isEmpty, "left: \(remaining)")
    }
}

/// Writes each update's data under its path: enough of a cubbyhole to give revoked tokens something to lose.
struct StoringEngine: SecretsEngine {
    func handle(_ request: LogicalRequest) async throws -> LogicalResponse? {
        try await request.storage.put(request.path, JSONValue.object(request.data).serializedData())
        return nil
    }
}

/// Counts the transactions that reach storage.
final class TransactionCountingBackend: PhysicalBackend {
    let base = InMemoryPhysicalBackend()
    private let count = Mutex(0)
    var transactions: Int { count.withLock { $0 } }
    func get(_ key: String) async throws -> Data? { try await base.get(key) }
    func put(_ key: String, _ value: Data) async throws {
        count.withLock { $0 += 1 }
        try await base.put(key, value)
    }
    func delete(_ key: String) async throws {
        count.withLock { $0 += 1 }
        try await base.delete(key)
    }
    func list(prefix: String) async throws -> [String] { try await base.list(prefix: prefix) }
    func transaction(_ operations: [StorageOperation]) async throws {
        count.withLock { $0 += 1 }
        try await base.transaction(operations)
    }
    func close() async throws {}
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
