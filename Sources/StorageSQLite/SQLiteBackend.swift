import CofferSDK
import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLiteNIO
import Synchronization

/// A durable ``PhysicalBackend`` in one SQLite file (WAL mode, `synchronous=FULL`).
///
/// - Writes (`put`, `delete`, `transaction`) are queued and applied by a single writer with **group commit**:
///   every batch queued while the previous commit was in flight is applied in one `BEGIN IMMEDIATE … COMMIT`,
///   then every waiter is resumed. The commit runs on the writer thread through SQLite's C API
///   (``SQLiteWriteConnection``), with prepared statements reused, and resumes the waiters from there. A write returns only once its commit is durable. If a group fails, each
///   batch is retried in its own transaction so one bad batch fails only its own caller.
/// - Reads use separate read-only connections and never queue behind the writer (WAL readers see the last
///   committed state, which includes every acknowledged write).
/// - `list(prefix:)` is a range scan on the primary key (`key >= prefix AND key < successor(prefix)`),
///   skipping over each child folder's subtree; no `LIKE`, so `%` and `_` in keys are literal.
///
/// No lock or pid files are created: SQLite's own POSIX locks go away with the process, so the file can be
/// reopened after a crash or `SIGKILL` (the WAL is recovered on open).
///
/// Call ``close()`` when done.
///
/// ```swift
/// let backend = try await SQLiteBackend(path: "/var/lib/coffer/coffer.db", logger: logger)
/// try await backend.put("core/keyring", sealed)
/// try await backend.close()
/// ```
public final class SQLiteBackend: PhysicalBackend {
    /// The database file.
    public let path: String

    private let logger: Logger
    private let writer: SQLiteWriteConnection
    private let readers: [SQLiteConnection]
    private let writerPool: NIOThreadPool
    private let readerPool: NIOThreadPool
    private let state = Mutex(State())

    /// Rows fetched per query by `list(prefix:)`.
    static let listPageSize = 512

    private struct PendingWrite: Sendable {
        var operations: [StorageOperation]
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State: Sendable {
        var queue: [PendingWrite] = []
        var writerRunning = false
        var closed = false
        var activeReads = 0
        var nextReader = 0
        var commits = 0
        var idleWaiters: [CheckedContinuation<Void, Never>] = []

        var isIdle: Bool { !writerRunning && queue.isEmpty && activeReads == 0 }

        /// When closed and idle, hands back the close() waiters to resume.
        mutating func takeIdleWaitersIfClosedAndIdle() -> [CheckedContinuation<Void, Never>] {
            guard closed, isIdle, !idleWaiters.isEmpty else { return [] }
            defer { idleWaiters = [] }
            return idleWaiters
        }
    }

    /// Opens (creating if needed) the database at `path`, creating missing parent directories.
    ///
    /// - Parameters:
    ///   - path: the database file; `-wal` and `-shm` files live beside it.
    ///   - readConnections: how many read-only connections (and reader threads) to use.
    ///   - logger: for open/close and write-retry events.
    public init(path: String, readConnections: Int = 2, logger: Logger) async throws {
        precondition(readConnections >= 1, "readConnections must be at least 1")
        self.path = path
        self.logger = logger

        let fileURL = URL(fileURLWithPath: path)
        let directory = fileURL.deletingLastPathComponent()
        let fm = FileManager.default
        if !fm.fileExists(atPath: directory.path) {
            try fm.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let isNewFile = !fm.fileExists(atPath: path)

        let writerPool = NIOThreadPool(numberOfThreads: 1)
        writerPool.start()
        let readerPool = NIOThreadPool(numberOfThreads: readConnections)
        readerPool.start()
        let eventLoop = MultiThreadedEventLoopGroup.singleton.any()

        var opened: [SQLiteConnection] = []
        var writer: SQLiteWriteConnection?
        do {
            let w = try SQLiteWriteConnection(path: path)
            writer = w
            if isNewFile {
                // Before the WAL exists, so -wal/-shm inherit the same mode.
                try? fm.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            }
            try w.execute("PRAGMA busy_timeout = 10000")
            let mode = try w.scalarText("PRAGMA journal_mode = WAL")
            guard mode?.lowercased() == "wal" else {
                throw PhysicalError("sqlite: could not enable WAL journal mode on \(path) (got \(mode ?? "nothing"))")
            }
            // Per connection: every commit of this (the only writing) connection is fsynced before it returns.
            try w.execute("PRAGMA synchronous = FULL")
            try w.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT NOT NULL PRIMARY KEY, value BLOB NOT NULL)")

            var readers: [SQLiteConnection] = []
            for _ in 0..<readConnections {
                let reader = try await SQLiteConnection.open(
                    storage: .file(path: path), threadPool: readerPool, logger: logger, on: eventLoop
                )
                opened.append(reader)
                _ = try await reader.query("PRAGMA busy_timeout = 10000")
                _ = try await reader.query("PRAGMA query_only = 1")
                readers.append(reader)
            }
            self.writer = w
            self.readers = readers
            self.writerPool = writerPool
            self.readerPool = readerPool
        } catch {
            for connection in opened.reversed() { try? await connection.close() }
            writer?.close()
            try? await writerPool.shutdownGracefully()
            try? await readerPool.shutdownGracefully()
            throw error
        }
        logger.debug("sqlite backend opened", metadata: ["path": .string(path), "readers": .stringConvertible(readConnections)])
    }

    deinit {
        // Safety net for a backend dropped without close(): SQLiteConnection and NIOThreadPool assert
        // (in debug builds) if deinitialised while open, so close them on a detached task.
        let needsClose = state.withLock { s -> Bool in
            let was = s.closed
            s.closed = true
            return !was
        }
        if needsClose {
            let writer = writer, readers = readers, writerPool = writerPool, readerPool = readerPool
            Task {
                for reader in readers { try? await reader.close() }
                writer.close()
                try? await readerPool.shutdownGracefully()
                try? await writerPool.shutdownGracefully()
            }
        }
    }

    /// Number of SQLite write transactions committed so far (one per group commit).
    public var commitCount: Int { state.withLock { $0.commits } }

    // MARK: - PhysicalBackend

    public func get(_ key: String) async throws -> Data? {
        try await withReader { reader in
            let rows = try await reader.query("SELECT value FROM entries WHERE key = ?1", [.text(key)])
            guard let row = rows.first else { return nil }
            switch row.column("value") {
            case .blob(let buffer): return Data(buffer.readableBytesView)
            case .null, nil: return Data()
            case .text(let text): return Data(text.utf8)
            case .integer, .float: throw PhysicalError("sqlite: value for \(key) has an unexpected type")
            }
        }
    }

    public func put(_ key: String, _ value: Data) async throws {
        try await submit([.put(key, value)])
    }

    public func delete(_ key: String) async throws {
        try await submit([.delete(key)])
    }

    public func transaction(_ operations: [StorageOperation]) async throws {
        try await submit(operations)
    }

    public func list(prefix: String) async throws -> [String] {
        try await withReader { reader in
            try await Self.listChildren(of: prefix, on: reader)
        }
    }

    /// Waits for queued writes and in-flight reads, then closes the connections. Later calls throw.
    public func close() async throws {
        let first = state.withLock { s -> Bool in
            let was = s.closed
            s.closed = true
            return !was
        }
        guard first else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { s -> Bool in
                if s.isIdle { return true }
                s.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
        var firstError: (any Error)?
        for reader in readers {
            do { try await reader.close() } catch { firstError = firstError ?? error }
        }
        // The writer closes last: as the last connection it checkpoints the WAL into the main file.
        // Idle: no writer job runs, so closing from here cannot race the writer thread.
        writer.close()
        do { try await readerPool.shutdownGracefully() } catch { firstError = firstError ?? error }
        do { try await writerPool.shutdownGracefully() } catch { firstError = firstError ?? error }
        logger.debug("sqlite backend closed", metadata: ["path": .string(path)])
        if let firstError { throw firstError }
    }

    // MARK: - Reads

    private func withReader<T: Sendable>(_ body: (SQLiteConnection) async throws -> T) async throws -> T {
        let reader: SQLiteConnection? = state.withLock { s in
            if s.closed { return nil }
            s.activeReads += 1
            s.nextReader &+= 1
            return readers[Int(UInt(bitPattern: s.nextReader) % UInt(readers.count))]
        }
        guard let reader else { throw PhysicalError("sqlite backend \(path) is closed") }
        defer {
            let waiters = state.withLock { s in
                s.activeReads -= 1
                return s.takeIdleWaitersIfClosedAndIdle()
            }
            for waiter in waiters { waiter.resume() }
        }
        return try await body(reader)
    }

    /// Immediate children of `prefix`: pages through the key range, jumping past each child folder's subtree.
    static func listChildren(of prefix: String, on db: SQLiteConnection) async throws -> [String] {
        let prefixBytes = Array(prefix.utf8)
        let upper = successor(of: prefix)
        var lower = prefix
        var lowerInclusive = true
        var children: [String] = []
        while true {
            var sql = "SELECT CAST(key AS BLOB) AS k FROM entries WHERE key \(lowerInclusive ? ">=" : ">") ?1"
            var binds: [SQLiteData] = [.text(lower)]
            if let upper {
                sql += " AND key < ?2"
                binds.append(.text(upper))
            }
            sql += " ORDER BY key LIMIT \(listPageSize)"
            let rows = try await db.query(sql, binds)

            var folderBytes: [UInt8]?  // prefix + current folder child, including its "/"
            var lastKey: String?
            for row in rows {
                guard case .blob(let buffer)? = row.column("k") else { continue }
                let keyBytes = Array(buffer.readableBytesView)
                lastKey = String(decoding: keyBytes, as: UTF8.self)
                if let folderBytes, keyBytes.starts(with: folderBytes) { continue }
                guard keyBytes.count > prefixBytes.count, keyBytes.starts(with: prefixBytes) else { continue }
                let rest = keyBytes[prefixBytes.count...]
                if let slash = rest.firstIndex(of: UInt8(ascii: "/")) {
                    children.append(String(decoding: rest[...slash], as: UTF8.self))
                    folderBytes = Array(keyBytes[...slash])
                } else {
                    children.append(String(decoding: rest, as: UTF8.self))
                }
            }
            guard rows.count == listPageSize, let lastKey else { break }
            if let folderBytes, lastKey.utf8.starts(with: folderBytes) {
                // The page ended inside a folder's subtree: jump past all of it.
                guard let next = successor(of: String(decoding: folderBytes, as: UTF8.self)) else { break }
                lower = next
                lowerInclusive = true
            } else {
                lower = lastKey
                lowerInclusive = false
            }
        }
        // Keys come back in byte order, which is Unicode scalar order; sort with Swift's ordering and
        // drop duplicates to match `immediateChildren(of:in:)` exactly.
        var seen = Set<String>()
        return children.filter { seen.insert($0).inserted }.sorted()
    }

    /// The smallest string greater than every string that starts with `s` (see ``keyPrefixSuccessor(_:)``).
    static func successor(of s: String) -> String? { keyPrefixSuccessor(s) }

    // MARK: - Writes (group commit)

    private enum SubmitOutcome {
        case closed, queued, startWriter
    }

    private func submit(_ operations: [StorageOperation]) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome = state.withLock { s -> SubmitOutcome in
                if s.closed { return .closed }
                s.queue.append(PendingWrite(operations: operations, continuation: continuation))
                if s.writerRunning { return .queued }
                s.writerRunning = true
                return .startWriter
            }
            switch outcome {
            case .closed:
                continuation.resume(throwing: PhysicalError("sqlite backend \(path) is closed"))
            case .queued:
                break
            case .startWriter:
                // A job on the writer thread, not a task: a caller's cancellation must not abort a shared commit,
                // and the commit and the waiters' wake-ups happen without hopping threads.
                writerPool.submit { _ in self.runWriter() }
            }
        }
    }

    /// The single writer, on the writer thread: commits everything queued, repeatedly, until the queue is empty.
    private func runWriter() {
        while true {
            let next = state.withLock { s -> (batch: [PendingWrite], idleWaiters: [CheckedContinuation<Void, Never>]) in
                if s.queue.isEmpty {
                    s.writerRunning = false
                    return ([], s.takeIdleWaitersIfClosedAndIdle())
                }
                let batch = s.queue
                s.queue.removeAll(keepingCapacity: true)
                return (batch, [])
            }
            if next.batch.isEmpty {
                for waiter in next.idleWaiters { waiter.resume() }
                return
            }
            commitGroup(next.batch)
        }
    }

    private func commitGroup(_ batch: [PendingWrite]) {
        let operations = batch.count == 1 ? batch[0].operations : batch.flatMap(\.operations)
        do {
            try writer.apply(operations)
            state.withLock { $0.commits += 1 }
            for write in batch { write.continuation.resume() }
            return
        } catch {
            if batch.count == 1 {
                batch[0].continuation.resume(throwing: error)
                return
            }
            logger.warning(
                "sqlite group commit failed; retrying its batches one by one",
                metadata: ["batches": .stringConvertible(batch.count), "error": .string("\(error)")]
            )
        }
        for write in batch {
            do {
                try writer.apply(write.operations)
                state.withLock { $0.commits += 1 }
                write.continuation.resume()
            } catch {
                write.continuation.resume(throwing: error)
            }
        }
    }
}
