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
///   statement with data-modifying CTEs over arrays, atomic as any single statement is.
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

    /// Connects (the first connection of the pool) and creates the tables unless `skipCreateTable`, in which case
    /// they must exist.
    ///
    /// - Throws: ``PhysicalError`` for an invalid configuration, a failed connection (including TLS verification) or
    ///   a missing table; the message never holds the password.
    public init(configuration: PostgresBackendConfiguration, logger: Logger) async throws {
        self.configuration = configuration
        self.logger = logger
        statements = try PostgresStatements(table: configuration.table, haTable: configuration.haTable)
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
        if configuration.haEnabled { tables.append((statements.haTable, statements.haTableName, statements.createHATable)) }
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
                for (_, _, create) in tables { try await conn.query(PostgresQuery(unsafeSQL: create), logger: logger) }
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
        try await write(.put(key, value))
    }

    public func delete(_ key: String) async throws {
        try await write(.delete(key))
    }

    public func transaction(_ operations: [StorageOperation]) async throws {
        try await write(Write(operations))
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
        try await pool.withConnection(.ifNotSent) { conn in
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
