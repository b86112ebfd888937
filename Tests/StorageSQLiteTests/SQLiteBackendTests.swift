import CofferSDK
import CofferTesting
import Foundation
import Logging
import SQLiteNIO
import StorageSQLite
import Testing

/// A fresh directory under the system temp dir, removed by `remove()`.
private struct TempDir {
    let url: URL

    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-sqlite-tests-\(UUID().uuidString)")
    }

    /// A database path whose parent directories do not exist yet.
    var dbPath: String { url.appendingPathComponent("nested/dir/coffer.db").path }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

private let logger = Logger(label: "coffer.tests.sqlite")

@Suite("SQLiteBackend")
struct SQLiteBackendTests {
    @Test("passes every conformance check", arguments: PhysicalBackendConformance.Check.allCases)
    func conformance(_ check: PhysicalBackendConformance.Check) async throws {
        let dir = TempDir()
        defer { dir.remove() }
        try await PhysicalBackendConformance.run(check) {
            try await SQLiteBackend(path: dir.dbPath, logger: logger)
        }
    }

    @Test("creates parent directories and keeps data across close and reopen")
    func reopenKeepsData() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let big = PhysicalBackendConformance.pseudoRandomData(count: 300_000, seed: 42)
        do {
            let backend = try await SQLiteBackend(path: dir.dbPath, logger: logger)
            try await backend.put("a/one", Data("1".utf8))
            try await backend.put("a/two", big)
            try await backend.put("b", Data())
            try await backend.transaction([.put("c/x", Data("x".utf8)), .delete("a/one"), .put("100%_", Data("m".utf8))])
            try await backend.close()
        }
        #expect(FileManager.default.fileExists(atPath: dir.dbPath))
        let attributes = try FileManager.default.attributesOfItem(atPath: dir.dbPath)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

        let reopened = try await SQLiteBackend(path: dir.dbPath, logger: logger)
        #expect(try await reopened.get("a/one") == nil)
        #expect(try await reopened.get("a/two") == big)
        #expect(try await reopened.get("b") == Data())
        #expect(try await reopened.get("c/x") == Data("x".utf8))
        #expect(try await reopened.list(prefix: "") == ["100%_", "a/", "b", "c/"])
        try await reopened.put("a/three", Data("3".utf8))
        try await reopened.close()

        // Reopen a second time without an intervening write, to check nothing was lost by close().
        let third = try await SQLiteBackend(path: dir.dbPath, logger: logger)
        #expect(try await third.list(prefix: "a/") == ["three", "two"])
        try await third.close()
    }

    @Test("group commit: 64 concurrent writes take far fewer than 64 commits")
    func groupCommit() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let backend = try await SQLiteBackend(path: dir.dbPath, logger: logger)
        let before = backend.commitCount
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<64 {
                group.addTask { try await backend.put("gc/k\(i)", Data("v\(i)".utf8)) }
            }
            try await group.waitForAll()
        }
        let commits = backend.commitCount - before
        print("SQLiteBackend group commit: 64 concurrent puts took \(commits) commits")
        #expect(commits >= 1)
        #expect(commits < 16, "64 concurrent puts took \(commits) commits")
        for i in 0..<64 {
            #expect(try await backend.get("gc/k\(i)") == Data("v\(i)".utf8))
        }

        // Sustained load: 64 writers doing 10 puts each, one after another.
        let sustainedBefore = backend.commitCount
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<64 {
                group.addTask {
                    for j in 0..<10 { try await backend.put("load/\(i)/\(j)", Data("\(j)".utf8)) }
                }
            }
            try await group.waitForAll()
        }
        let sustainedCommits = backend.commitCount - sustainedBefore
        print("SQLiteBackend group commit: 64 writers x 10 sequential puts (640 writes) took \(sustainedCommits) commits")
        #expect(sustainedCommits < 320)
        #expect(try await backend.list(prefix: "load/").count == 64)

        // Sequential writes commit one by one.
        let sequentialBefore = backend.commitCount
        for i in 0..<5 { try await backend.put("seq/\(i)", Data()) }
        #expect(backend.commitCount - sequentialBefore == 5)

        // Mixed concurrent puts, deletes and transactions.
        let mixedBefore = backend.commitCount
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<64 {
                group.addTask {
                    switch i % 3 {
                    case 0: try await backend.delete("gc/k\(i)")
                    case 1: try await backend.transaction([.put("tx/\(i)/a", Data()), .delete("gc/k\(i)")])
                    default: try await backend.put("gc/k\(i)", Data("new\(i)".utf8))
                    }
                }
            }
            try await group.waitForAll()
        }
        let mixedCommits = backend.commitCount - mixedBefore
        print("SQLiteBackend group commit: 64 concurrent mixed writes took \(mixedCommits) commits")
        #expect(mixedCommits < 16)
        for i in 0..<64 {
            let expected: Data? = i % 3 == 2 ? Data("new\(i)".utf8) : nil
            #expect(try await backend.get("gc/k\(i)") == expected)
        }
        try await backend.close()
    }

    /// Installs a trigger (through a separate connection) that aborts any insert of a key starting "poison".
    private func installPoisonTrigger(at path: String) async throws {
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        do {
            _ = try await connection.query(
                """
                CREATE TRIGGER poison BEFORE INSERT ON entries WHEN substr(NEW.key, 1, 6) = 'poison'
                BEGIN SELECT RAISE(ABORT, 'poisoned key'); END
                """
            )
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }

    @Test("a transaction that fails part-way leaves nothing behind")
    func failedTransactionLeavesNothing() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let backend = try await SQLiteBackend(path: dir.dbPath, logger: logger)
        try await backend.put("keep", Data("kept".utf8))
        try await backend.put("doomed", Data("still here".utf8))
        try await installPoisonTrigger(at: dir.dbPath)

        await #expect(throws: (any Error).self) {
            try await backend.transaction([
                .put("t/a", Data("a".utf8)),
                .delete("doomed"),
                .put("keep", Data("overwritten".utf8)),
                .put("poison/x", Data("p".utf8)),
                .put("t/b", Data("b".utf8)),
            ])
        }
        #expect(try await backend.get("t/a") == nil)
        #expect(try await backend.get("t/b") == nil)
        #expect(try await backend.get("poison/x") == nil)
        #expect(try await backend.get("doomed") == Data("still here".utf8))
        #expect(try await backend.get("keep") == Data("kept".utf8))
        #expect(try await backend.list(prefix: "") == ["doomed", "keep"])

        // The backend keeps working after the failure.
        try await backend.put("after", Data("ok".utf8))
        #expect(try await backend.get("after") == Data("ok".utf8))
        try await backend.close()
    }

    @Test("one bad batch in a group commit fails only its own caller")
    func badBatchInGroupFailsAlone() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let backend = try await SQLiteBackend(path: dir.dbPath, logger: logger)
        try await installPoisonTrigger(at: dir.dbPath)

        let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for i in 0..<48 {
                group.addTask {
                    do {
                        if i % 16 == 5 {
                            try await backend.transaction([.put("ok/bad\(i)", Data()), .put("poison/\(i)", Data())])
                        } else {
                            try await backend.transaction([.put("ok/\(i)", Data("v".utf8)), .put("ok/\(i)b", Data())])
                        }
                        return (i, true)
                    } catch {
                        return (i, false)
                    }
                }
            }
            var out: [Int: Bool] = [:]
            for try await (i, ok) in group { out[i] = ok }
            return out
        }
        for i in 0..<48 {
            if i % 16 == 5 {
                #expect(results[i] == false, "poisoned batch \(i) should fail")
                #expect(try await backend.get("ok/bad\(i)") == nil)
            } else {
                #expect(results[i] == true, "good batch \(i) should succeed")
                #expect(try await backend.get("ok/\(i)") == Data("v".utf8))
                #expect(try await backend.get("ok/\(i)b") == Data())
            }
        }
        #expect(try await backend.list(prefix: "poison/") == [])
        try await backend.close()
    }

    @Test("list pages through large folders and skips large subtrees")
    func listLargeFolders() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let backend = try await SQLiteBackend(path: dir.dbPath, logger: logger)
        var keys: [String] = []
        for i in 0..<1_300 { keys.append("big/file\(String(format: "%05d", i))") }
        for f in 0..<5 {
            for j in 0..<700 { keys.append("big/folder\(f)/leaf\(j)") }
            keys.append("big/folder\(f)x")
        }
        for j in 0..<600 { keys.append("big/zz/\(j)/deep/\(j)") }
        keys.append("big0")
        keys.append("bif")
        for chunk in stride(from: 0, to: keys.count, by: 1_000) {
            try await backend.transaction(keys[chunk..<min(chunk + 1_000, keys.count)].map { .put($0, Data()) })
        }
        for prefix in ["", "big/", "big", "big/folder3/", "big/zz/", "big/zz/17/", "big/file", "nothing/"] {
            let listed = try await backend.list(prefix: prefix)
            #expect(listed == immediateChildren(of: prefix, in: keys), "list(prefix: \"\(prefix)\")")
        }
        #expect(try await backend.list(prefix: "big/").count == 1_300 + 5 + 5 + 1)
        try await backend.close()
    }

    @Test("keys with NUL and code points at range-scan boundaries")
    func boundaryKeys() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let backend = try await SQLiteBackend(path: dir.dbPath, logger: logger)
        let keys = [
            "nul\u{0}key", "nul\u{0}dir/x", "nul", "nulx",
            "b\u{D7FF}", "b\u{D7FF}/y", "b\u{E000}", "b\u{7F}", "b\u{80}", "b\u{FFFF}", "b\u{10000}",
            "c\u{10FFFF}\u{10FFFF}", "c\u{10FFFF}\u{10FFFF}z", "d",
        ]
        for (i, key) in keys.enumerated() { try await backend.put(key, Data([UInt8(i)])) }
        for (i, key) in keys.enumerated() { #expect(try await backend.get(key) == Data([UInt8(i)])) }
        #expect(try await backend.get("nul\u{0}") == nil)
        for prefix in ["", "nul", "nul\u{0}", "b", "b\u{D7FF}", "b\u{D7FF}/", "c", "c\u{10FFFF}", "c\u{10FFFF}\u{10FFFF}"] {
            let listed = try await backend.list(prefix: prefix)
            #expect(listed == immediateChildren(of: prefix, in: keys), "list(prefix: \(prefix.debugDescription))")
        }
        try await backend.close()
    }

    @Test("a closed backend rejects further calls")
    func closedBackendRejects() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let backend = try await SQLiteBackend(path: dir.dbPath, logger: logger)
        try await backend.put("k", Data("v".utf8))
        try await backend.close()
        try await backend.close()  // idempotent
        await #expect(throws: PhysicalError.self) { try await backend.get("k") }
        await #expect(throws: PhysicalError.self) { try await backend.put("k", Data()) }
        await #expect(throws: PhysicalError.self) { try await backend.list(prefix: "") }
    }

    @Test("close racing with writes: every acknowledged write survives")
    func closeDrainsWrites() async throws {
        let dir = TempDir()
        defer { dir.remove() }
        let backend = try await SQLiteBackend(path: dir.dbPath, logger: logger)
        let writes = Task {
            await withTaskGroup(of: Int?.self) { group in
                for i in 0..<64 {
                    group.addTask { (try? await backend.put("w/\(i)", Data("\(i)".utf8))) == nil ? nil : i }
                }
                var acknowledged: [Int] = []
                for await i in group { if let i { acknowledged.append(i) } }
                return acknowledged
            }
        }
        await Task.yield()
        try await backend.close()
        let acknowledged = await writes.value
        let reopened = try await SQLiteBackend(path: dir.dbPath, logger: logger)
        for i in acknowledged {
            #expect(try await reopened.get("w/\(i)") == Data("\(i)".utf8))
        }
        #expect(try await reopened.list(prefix: "w/").count == acknowledged.count)
        try await reopened.close()
    }
}
