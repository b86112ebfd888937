import CofferPostgres
import CofferSDK
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// A ``HABackend`` on PostgreSQL: several Coffer nodes share one database and elect the active one through a lock row.
///
/// - Keys live in `table (key TEXT COLLATE "C" PRIMARY KEY, value BYTEA NOT NULL)`, created on first start unless
///   `skip_create_table`. Every value is a bound parameter; the table names are validated and quoted.
/// - Every write is **one statement** in autocommit, so one round trip: `put` an upsert, `delete` a delete, and
///   `transaction` reduced to its net effect per key (the last operation on each key wins) and applied by one
///   statement with data-modifying CTEs over arrays, atomic as any single statement is. Writes that arrive while
///   others are in flight are **grouped**: their operations, in queue order, become one such statement (up to
///   `maxWritersInFlight` groups at once), so one commit serves them all; a group the server refuses is sent again
///   write by write, so one bad write fails only its own caller.
/// - Under a held lock (``WriteFence/held(_:)``) the same statement starts with a CTE that selects the lock row
///   `FOR SHARE` with this node's identity and term, and writes only if it came back; the row stays locked until the
///   write commits, so a takeover (which updates it) waits for the write, and a write that comes after the takeover
///   finds a newer term and fails with ``fencedWriteMessage``. Reads are never fenced.
/// - `list(prefix:)` is one recursive query over the key index from `prefix` to its successor that jumps over each
///   child folder's subtree; no `LIKE`, so `%` and `_` are literal.
/// - Connections: up to `max_parallel`, opened lazily and reused (``PostgresConnectionPool``). When one is lost
///   (the server restarted, `pg_terminate_backend`), a read runs again on a new connection; a write does only if it
///   was never sent, and otherwise fails saying its outcome is unknown (it is never reported as applied).
/// - The HA lock uses the database's clock only (`now()`), never the node's.
///
/// ```swift
/// let backend = try await PostgresBackend(
///     configuration: .init(connectionURL: "postgresql://coffer:pw@db/coffer?sslmode=verify-full&sslrootcert=/ca.pem", haEnabled: true),
///     logger: logger)
/// try await backend.put("core/keyring", sealed)
/// try await backend.close()
/// ```
public final class PostgresBackend: HABackend {
    public let configuration: PostgresBackendConfiguration
    let statements: PostgresStatements
    let pool: PostgresConnectionPool
    let logger: Logger
    private let fence = Mutex(WriteFence.open)

    /// Group commit: writes queued while earlier ones are in flight go to PostgreSQL together, as one statement (their
    /// net effect, in queue order) in one transaction, so that one commit (one WAL flush) serves many requests.
    private struct PendingWrite {
        var operations: [StorageOperation]
        var continuation: CheckedContinuation<Void, any Error>
    }
    private struct WriteQueue {
        var pending: [PendingWrite] = []
        var running = 0
    }
    private let queue = Mutex(WriteQueue())
    /// Group statements in flight at once.
    let maxWritersInFlight: Int

    /// Connects (the first connection of the pool) and creates the tables unless `skipCreateTable`, in which case
    /// they must exist.
    ///
    /// - Throws: ``PhysicalError`` for an invalid configuration, a failed connection (including TLS verification) or
    ///   a missing table; the message never holds the password.
    public init(configuration: PostgresBackendConfiguration, logger: Logger) async throws {
        self.configuration = configuration
        self.logger = logger
        maxWritersInFlight = max(1, min(2, configuration.maxParallel / 2))
        statements = try PostgresStatements(table: configuration.table, haTable: configuration.haTable, changeFeed: configuration.haEnabled)
        let info = try configuration.connectionInfo()
        let tls: PostgresConnection.Configuration.TLS
        do {
            tls = try info.connectionTLS()
        } catch {
            throw PhysicalError("postgresql: tls error: \(error)")
        }
        var connection = info.connectionConfiguration(tls: tls, connectTimeout: info.connectTimeout ?? 10)
        // The URL's application_name (one per node, say) wins over the configured default.
        connection.options.additionalStartupParameters = [("application_name", info.applicationName ?? configuration.applicationName)]
        pool = PostgresConnectionPool(
            configuration: connection, target: "\(info.host):\(info.port)", limit: configuration.maxParallel,
            connectRetries: configuration.maxConnectRetries, logger: logger)
        do {
            try await prepareSchema()
        } catch {
            await pool.close()
            throw error
        }
    }

    private func prepareSchema() async throws {
        var tables = [(statements.table, statements.tableName, statements.createTable)]
        if configuration.haEnabled {
            tables.append((statements.haTable, statements.haTableName, statements.createHATable))
            tables.append((statements.changesTable, statements.changesTableName, statements.createChangesTable))
        }
        let extra = configuration.haEnabled ? [statements.createChangesIndex] : []
        let skip = configuration.skipCreateTable
        let logger = self.logger
        try await pool.withConnection(.always) { conn in
            if skip {
                for (quoted, name, _) in tables {
                    let rows = try await conn.query("SELECT to_regclass(\(quoted)) IS NOT NULL", logger: logger).collect()
                    guard try rows.first?.decode(Bool.self) == true else {
                        throw PhysicalError("postgresql: table \"\(name)\" does not exist (skip_create_table is set: create it first)")
                    }
                }
                return
            }
            // Two nodes starting at once: CREATE TABLE IF NOT EXISTS can still collide on the catalog, so take turns.
            try await conn.query("BEGIN", logger: logger)
            do {
                try await conn.query("SELECT pg_advisory_xact_lock(1129268806, 2)", logger: logger)
                for create in tables.map(\.2) + extra { try await conn.query(PostgresQuery(unsafeSQL: create), logger: logger) }
                try await conn.query("COMMIT", logger: logger)
            } catch {
                _ = try? await conn.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    // MARK: PhysicalBackend

    public func get(_ key: String) async throws -> Data? {
        let sql = statements.get
        let logger = self.logger
        return try await pool.withConnection(.always) { conn in
            var binds = PostgresBindings(capacity: 1)
            binds.append(key)
            let rows = try await conn.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).collect()
            guard let row = rows.first else { return nil }
            return try row.decode(Data.self)
        }
    }

    public func put(_ key: String, _ value: Data) async throws {
        try await enqueue([.put(key, value)])
    }

    public func delete(_ key: String) async throws {
        try await enqueue([.delete(key)])
    }

    public func transaction(_ operations: [StorageOperation]) async throws {
        guard !operations.isEmpty else { return try checkFence() }
        try await enqueue(operations)
    }

    static func physical(_ error: any Error) -> any Error {
        (error as? StatementRefused).map { PhysicalError($0.description) } ?? error
    }

    private func checkFence() throws {
        if case .closed(let reason) = fence.withLock({ $0 }) { throw PhysicalError(reason) }
    }

    /// Queues a write and waits for the group statement that carries it. Returns once it committed; throws what the
    /// statement threw (every write of a group shares its outcome: all applied, or none, or unknown).
    private func enqueue(_ operations: [StorageOperation]) async throws {
        try checkFence()
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let start = queue.withLock { q -> Bool in
                q.pending.append(PendingWrite(operations: operations, continuation: continuation))
                guard q.running < maxWritersInFlight else { return false }
                q.running += 1
                return true
            }
            if start { Task { await self.drain() } }
        }
    }

    /// Sends everything queued as one statement, then what was queued meanwhile, until the queue is empty.
    private func drain() async {
        while true {
            let group = queue.withLock { q -> [PendingWrite] in
                if q.pending.isEmpty {
                    q.running -= 1
                    return []
                }
                defer { q.pending = [] }
                return q.pending
            }
            if group.isEmpty { return }
            do {
                try await write(Write(group.count == 1 ? group[0].operations : group.flatMap(\.operations)))
                for w in group { w.continuation.resume() }
            } catch is StatementRefused where group.count > 1 {
                // The server refused the statement (nothing of it applied): one bad write must not fail the others, so
                // each is sent alone.
                for w in group {
                    do {
                        try await write(Write(w.operations))
                        w.continuation.resume()
                    } catch {
                        w.continuation.resume(throwing: Self.physical(error))
                    }
                }
            } catch {
                for w in group { w.continuation.resume(throwing: Self.physical(error)) }
            }
        }
    }

    public func list(prefix: String) async throws -> [String] {
        let upper = keyPrefixSuccessor(prefix)
        let sql = statements.list(bounded: upper != nil)
        let logger = self.logger
        let keys = try await pool.withConnection(.always) { conn -> [String] in
            var binds = PostgresBindings(capacity: 2)
            binds.append(prefix)
            if let upper { binds.append(upper) }
            var keys: [String] = []
            for try await key in try await conn.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).decode(String.self) {
                keys.append(key)
            }
            return keys
        }
        return immediateChildren(of: prefix, in: keys)
    }

    /// Closes every connection (after the operations in flight); later calls fail.
    public func close() async throws {
        await pool.close()
    }

    // MARK: Writes

    /// A write reduced to what it does: one put, one delete, or a batch of deletes and upserts on distinct keys.
    enum Write {
        case put(String, Data)
        case delete(String)
        case batch(deletes: [String], keys: [String], values: [Data])
        case none

        /// The net effect of `operations` in order: the last operation on each key wins.
        init(_ operations: [StorageOperation]) {
            var last: [String: Data?] = [:]
            var order: [String] = []
            for op in operations {
                switch op {
                case .put(let key, let value):
                    if last.updateValue(value, forKey: key) == nil { order.append(key) }
                case .delete(let key):
                    if last.updateValue(nil, forKey: key) == nil { order.append(key) }
                }
            }
            var deletes: [String] = []
            var keys: [String] = []
            var values: [Data] = []
            for key in order {
                if let value = last[key] ?? nil {
                    keys.append(key)
                    values.append(value)
                } else {
                    deletes.append(key)
                }
            }
            switch (deletes.count, keys.count) {
            case (0, 0): self = .none
            case (0, 1): self = .put(keys[0], values[0])
            case (1, 0): self = .delete(deletes[0])
            default: self = .batch(deletes: deletes, keys: keys, values: values)
            }
        }
    }

    private func write(_ write: Write) async throws {
        let held: HALock?
        switch fence.withLock({ $0 }) {
        case .open: held = nil
        case .closed(let reason): throw PhysicalError(reason)
        case .held(let lock): held = lock
        }
        var binds = PostgresBindings(capacity: 5)
        let sql: String
        switch write {
        case .none: return
        case .put(let key, let value):
            sql = statements.put(fenced: held != nil)
            binds.append(key)
            binds.append(ByteBuffer(bytes: value))
        case .delete(let key):
            sql = statements.delete(fenced: held != nil)
            binds.append(key)
        case .batch(let deletes, let keys, let values):
            sql = statements.batch(fenced: held != nil)
            binds.append(deletes)
            binds.append(keys)
            binds.append(values.map { ByteBuffer(bytes: $0) })
        }
        if let held {
            binds.append(held.identity)
            binds.append(held.term)
        }
        let query = PostgresQuery(unsafeSQL: sql, binds: binds)
        let logger = self.logger
        try await pool.withConnection(.ifNotSent, refusalsApart: true) { conn in
            let rows = try await conn.query(query, logger: logger).collect()
            if held != nil, try rows.first?.decode(Int64.self) != 1 {
                throw PhysicalError(fencedWriteMessage)
            }
        }
    }

    // MARK: Fence

    public func setWriteFence(_ fence: WriteFence) {
        self.fence.withLock { $0 = fence }
    }
}
