import CofferSDK
import Foundation
import PostgresNIO
import StoragePostgres
import Synchronization
import Testing

/// Two nodes (backends with their own pools) sharing one key/value table and one HA table.
private struct Pair: Sendable {
    let table = TestPG.unique("kv")
    let haTable = TestPG.unique("ha")
    let a: PostgresBackend
    let b: PostgresBackend

    init() async throws {
        a = try await TestPG.backend(table: table, haTable: haTable)
        b = try await TestPG.backend(table: table, haTable: haTable)
    }

    /// Node A takes the lock and fences its writes with it.
    @discardableResult
    func makeAActive(ttl: Duration) async throws -> HALock {
        let lock = try #require(try await a.acquireLock(identity: "node-a", value: "a", ttl: ttl))
        a.setWriteFence(.held(lock))
        return lock
    }

    func close() async throws {
        try await a.close()
        try await b.close()
        try await TestPG.dropTables(table, haTable, table + "_changes")
    }
}

@Suite("PostgresBackend HA", .enabled(if: TestPG.enabled, "COFFER_TEST_PG is unset: run scripts/pg-test-cluster start DIR PORT and export its output"))
struct PostgresHATests {
    @Test("one holder at a time; re-acquiring keeps the term; renew extends only the holder's lease")
    func exclusiveAndRenew() async throws {
        let p = try await Pair()
        #expect(try await p.a.lockHolder() == nil)
        let lock = try #require(try await p.a.acquireLock(identity: "node-a", value: "{\"addr\":\"a\"}", ttl: .seconds(30)))
        #expect(lock.term == 1 && lock.identity == "node-a")
        #expect(try await p.b.acquireLock(identity: "node-b", value: "b", ttl: .seconds(30)) == nil)
        #expect(try await p.b.lockHolder() == HALockHolder(identity: "node-a", value: "{\"addr\":\"a\"}", term: 1, valid: true))
        #expect(try await p.a.acquireLock(identity: "node-a", value: "{\"addr\":\"a\"}", ttl: .seconds(30))?.term == 1)

        #expect(try await p.a.renewLock(lock, ttl: .seconds(30)))
        #expect(try await !p.b.renewLock(HALock(identity: "node-b", value: "b", term: 1), ttl: .seconds(30)))
        #expect(try await !p.a.renewLock(HALock(identity: "node-a", value: "a", term: 2), ttl: .seconds(30)))
        try await p.close()
    }

    @Test("another node takes over only after the lease expired, with a higher term; the old holder cannot renew")
    func takeoverAfterExpiry() async throws {
        let p = try await Pair()
        let lockA = try #require(try await p.a.acquireLock(identity: "node-a", value: "a", ttl: .seconds(1)))
        #expect(try await p.b.acquireLock(identity: "node-b", value: "b", ttl: .seconds(1)) == nil)
        // A renewal keeps it held past the first second.
        try await Task.sleep(for: .milliseconds(600))
        #expect(try await p.a.renewLock(lockA, ttl: .seconds(1)))
        try await Task.sleep(for: .milliseconds(600))
        #expect(try await p.b.acquireLock(identity: "node-b", value: "b", ttl: .seconds(1)) == nil)
        try await Task.sleep(for: .milliseconds(700))
        #expect(try await p.a.lockHolder()?.valid == false)
        let lockB = try #require(try await p.b.acquireLock(identity: "node-b", value: "b", ttl: .seconds(30)))
        #expect(lockB.term == lockA.term + 1)
        #expect(try await !p.a.renewLock(lockA, ttl: .seconds(30)))
        #expect(try await p.a.lockHolder() == HALockHolder(identity: "node-b", value: "b", term: lockB.term, valid: true))
        try await p.close()
    }

    @Test("release lets another node acquire at once; the released lock cannot be renewed")
    func release() async throws {
        let p = try await Pair()
        let lockA = try #require(try await p.a.acquireLock(identity: "node-a", value: "a", ttl: .seconds(60)))
        try await p.a.releaseLock(lockA)
        #expect(try await p.a.lockHolder()?.valid == false)
        #expect(try await !p.a.renewLock(lockA, ttl: .seconds(60)))
        let lockB = try #require(try await p.b.acquireLock(identity: "node-b", value: "b", ttl: .seconds(60)))
        #expect(lockB.term == lockA.term + 1)
        // Releasing a lock no longer held changes nothing.
        try await p.a.releaseLock(lockA)
        #expect(try await p.b.lockHolder()?.valid == true)
        try await p.close()
    }

    @Test("the fence rejects a deposed holder's put, delete and transaction; the value is unchanged")
    func fenceRejectsDeposedHolder() async throws {
        let p = try await Pair()
        try await p.makeAActive(ttl: .seconds(1))
        try await p.a.put("k", Data("v1".utf8))
        try await p.a.transaction([.put("t/1", Data("1".utf8)), .put("t/2", Data("2".utf8))])
        try await p.a.delete("t/2")
        #expect(try await p.b.get("k") == Data("v1".utf8))

        try await Task.sleep(for: .milliseconds(1_200))
        let lockB = try #require(try await p.b.acquireLock(identity: "node-b", value: "b", ttl: .seconds(30)))
        p.b.setWriteFence(.held(lockB))

        for write in [
            { try await p.a.put("k", Data("v2".utf8)) }, { try await p.a.delete("k") },
            { try await p.a.transaction([.put("k", Data("v3".utf8)), .delete("t/1")]) },
            { try await p.a.transaction([.delete("t/1")]) }, { try await p.a.transaction([.put("new", Data())]) },
        ] as [@Sendable () async throws -> Void] {
            let error = await #expect(throws: PhysicalError.self) { try await write() }
            #expect(error?.description == fencedWriteMessage)
        }
        #expect(try await p.b.get("k") == Data("v1".utf8))
        #expect(try await p.b.get("t/1") == Data("1".utf8))
        #expect(try await p.b.get("new") == nil)
        // Reads are not fenced; the new holder writes.
        #expect(try await p.a.get("k") == Data("v1".utf8))
        try await p.b.put("k", Data("b".utf8))
        #expect(try await p.a.get("k") == Data("b".utf8))
        try await p.close()
    }

    @Test(".closed refuses every write without touching the database; .open lets them through")
    func closedFence() async throws {
        let p = try await Pair()
        try await p.a.put("k", Data("v".utf8))
        p.a.setWriteFence(.closed("standby: writes go to the active node"))
        for write in [
            { try await p.a.put("k", Data("x".utf8)) }, { try await p.a.delete("k") },
            { try await p.a.transaction([.put("k", Data("y".utf8))]) }, { try await p.a.transaction([]) },
        ] as [@Sendable () async throws -> Void] {
            let error = await #expect(throws: PhysicalError.self) { try await write() }
            #expect(error?.description == "standby: writes go to the active node")
        }
        #expect(try await p.a.get("k") == Data("v".utf8))
        #expect(try await p.a.list(prefix: "") == ["k"])
        p.a.setWriteFence(.open)
        try await p.a.put("k", Data("w".utf8))
        #expect(try await p.b.get("k") == Data("w".utf8))
        try await p.close()
    }

    @Test("fenced writes racing a takeover: each either commits before it or fails")
    func fencedWritesRaceTakeover() async throws {
        let p = try await Pair()
        try await p.makeAActive(ttl: .seconds(1))
        let race = RaceState()
        let snapshot: [String] = try await withThrowingTaskGroup(of: [String]?.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    var i = 0
                    while !race.stop.load(ordering: .relaxed) {
                        let key = "w\(writer)-\(i)"
                        i += 1
                        do {
                            if i % 2 == 0 {
                                try await p.a.put("race/\(key)", Data(key.utf8))
                            } else {
                                try await p.a.transaction([.put("race/\(key)", Data(key.utf8)), .put("other/\(key)", Data())])
                            }
                            race.succeeded.withLock { _ = $0.insert(key) }
                        } catch let error as PhysicalError {
                            guard error.description == fencedWriteMessage else { throw error }
                        }
                    }
                    return nil
                }
            }
            group.addTask {
                var lock: HALock?
                while lock == nil {
                    lock = try await p.b.acquireLock(identity: "node-b", value: "b", ttl: .seconds(30))
                    if lock == nil { try await Task.sleep(for: .milliseconds(20)) }
                }
                // Every write of the old term that committed did so before this takeover: it is visible now.
                let seen = try await p.b.list(prefix: "race/")
                try await Task.sleep(for: .milliseconds(300))
                race.stop.store(true, ordering: .relaxed)
                return seen
            }
            var seen: [String] = []
            for try await result in group { if let result { seen = result } }
            return seen
        }
        let acknowledged = race.succeeded.withLock { $0 }
        #expect(!acknowledged.isEmpty)
        #expect(acknowledged.isSubset(of: Set(snapshot)), "writes acknowledged after the takeover: \(acknowledged.subtracting(snapshot).sorted())")
        #expect(Set(try await p.b.list(prefix: "race/")) == acknowledged)
        try await p.close()
    }

    @Test("the change feed: fenced writes record their keys; a transaction open during a read is reported by a later one")
    func changeFeed() async throws {
        let p = try await Pair()
        try await p.makeAActive(ttl: .seconds(30))
        let start = try await p.b.changeFeedPosition()
        try await p.a.put("k/one", Data([1]))
        try await p.a.delete("k/one")
        try await p.a.transaction([.put("k/two", Data([2])), .put("k/three", Data([3])), .delete("k/four")])
        let first = try await p.b.changes(since: start)
        #expect(first.complete)
        #expect(Set(first.keys) == ["k/one", "k/two", "k/three", "k/four"])
        #expect(first.next >= start)

        // A commit that lands out of order: a transaction that began before the next read and commits after it is
        // not in that read, and the position does not move past it, so the read after reports it.
        let slow = try await TestPG.connect()
        try await slow.query("BEGIN", logger: TestPG.logger)
        try await slow.query(PostgresQuery(unsafeSQL: "INSERT INTO \"\(p.table)_changes\" (key) VALUES ('k/slow')"), logger: TestPG.logger)
        try await p.a.put("k/fast", Data([4]))
        let second = try await p.b.changes(since: first.next)
        #expect(second.keys.contains("k/fast"))
        #expect(!second.keys.contains("k/slow"))
        try await slow.query("COMMIT", logger: TestPG.logger)
        try await slow.close()
        let third = try await p.b.changes(since: second.next)
        #expect(third.keys.contains("k/slow"), "a transaction still open at the last read is reported once it commits")

        // Nothing new: nothing reported (the position may repeat the last keys only while older transactions run).
        let later = try await p.b.changes(since: third.next)
        #expect(!later.keys.contains("k/one"))

        // Writes outside the lock (a single node, initialization) are not recorded.
        let single = try await TestPG.backend(table: p.table, haTable: p.haTable)
        let before = try await p.b.changeFeedPosition()
        try await single.put("k/unfenced", Data([5]))
        #expect(try await p.b.changes(since: before).keys.isEmpty)
        try await single.close()

        // Pruning drops old entries.
        try await p.a.pruneChanges(olderThan: .zero)
        #expect(try await p.b.changes(since: start).keys.isEmpty)
        try await p.close()
    }

    @Test("HA calls fail when ha_enabled is off")
    func haDisabled() async throws {
        let table = TestPG.unique("kv")
        let backend = try await TestPG.backend(table: table)
        await #expect(throws: PhysicalError.self) { _ = try await backend.acquireLock(identity: "x", value: "", ttl: .seconds(1)) }
        try await backend.close()
        try await TestPG.dropTables(table)
    }
}

/// What the racing writers share.
private final class RaceState: Sendable {
    let succeeded = Mutex<Set<String>>([])
    let stop = Atomic<Bool>(false)
}
