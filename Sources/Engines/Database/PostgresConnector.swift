import CofferPostgres
import CofferSDK
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization

/// A failure talking to PostgreSQL, with a text safe to show a client: OpenBao's shape (pgx's wording where it
/// matters), the root password replaced by `[password]`, and never the SQL text (it holds passwords).
struct DatabaseFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// The connection settings of one config, as they are turned into postgres-nio configurations.
struct ConnectionSettings: Sendable, Equatable {
    var info: ConnectionInfo
    var maxOpenConnections: Int
    var maxIdleConnections: Int
    var maxConnectionLifetime: Int64
    /// Seconds; from the URL's `connect_timeout`, else the default.
    var connectTimeout: Int { info.connectTimeout ?? Self.defaultConnectTimeout }
    static let defaultConnectTimeout = 10

    func clientConfiguration() throws -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        if let t = try info.tlsConfiguration() { tls = info.isTLSEnforced ? .require(t) : .prefer(t) } else { tls = .disable }
        var c = PostgresClient.Configuration(
            host: info.host, port: info.port, username: info.user, password: info.password, database: info.database, tls: tls)
        c.options.connectTimeout = .seconds(connectTimeout)
        c.options.maximumConnections = max(1, maxOpenConnections)
        c.options.minimumConnections = 0
        if maxConnectionLifetime > 0 { c.options.connectionIdleTimeout = .seconds(maxConnectionLifetime) }
        c.options.tlsServerName = info.tlsServerName
        return c
    }

    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        info.connectionConfiguration(tls: try info.connectionTLS(), connectTimeout: connectTimeout)
    }

    /// pgx's prefix of a connection failure: ``failed to connect to `user=… database=…`: host:port (host): ``.
    var connectPrefix: String {
        "failed to connect to `user=\(info.user) database=\(info.database ?? info.user)`: \(info.host):\(info.port) (\(info.host))"
    }
}

/// Runs `body`, failing with `onTimeout` after `seconds` (the body's task is cancelled).
func withDeadline<T: Sendable>(
    seconds: Int, onTimeout: @escaping @Sendable () -> any Error, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            throw onTimeout()
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw onTimeout() }
        return first
    }
}

/// The engine's PostgreSQL connections: one pooled `PostgresClient` per config, made on first use, closed when the
/// config is written, reset or deleted, and when the engine goes away. The client's `run()` is a task owned here.
final class PostgresConnector: Sendable {
    private struct Entry {
        var client: PostgresClient
        var task: Task<Void, Never>
        var settings: ConnectionSettings
    }

    private let entries = Mutex<[String: Entry]>([:])
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    deinit {
        for e in entries.withLock({ $0.values }) { e.task.cancel() }
    }

    /// Closes the pool of `name` (its connections end when the run task is cancelled).
    func close(_ name: String) {
        let e = entries.withLock { $0.removeValue(forKey: name) }
        e?.task.cancel()
    }

    func closeAll() {
        let all = entries.withLock { d -> [Entry] in
            defer { d.removeAll() }
            return Array(d.values)
        }
        for e in all { e.task.cancel() }
    }

    /// The pool of `name` for these settings; a pool made for other settings (the password rotated) is replaced.
    func client(_ name: String, _ settings: ConnectionSettings) throws -> PostgresClient {
        let config = try settings.clientConfiguration()
        var stale: Entry?
        let client = entries.withLock { d -> PostgresClient in
            if let e = d[name], e.settings == settings { return e.client }
            stale = d[name]
            let client = PostgresClient(configuration: config)
            let task = Task { await client.run() }
            d[name] = Entry(client: client, task: task, settings: settings)
            return client
        }
        stale?.task.cancel()
        return client
    }

    // MARK: Verification

    /// Connects once (not through the pool) and runs `SELECT 1`, within the connect timeout (plus as long again for
    /// the start-up exchange, so a listener that never answers fails in bounded time).
    static func verify(_ settings: ConnectionSettings, logger: Logger) async throws(DatabaseFailure) {
        let prefix = settings.connectPrefix
        let config: PostgresConnection.Configuration
        do { config = try settings.connectionConfiguration() } catch { throw DatabaseFailure(message: "\(prefix): tls error: \(error)") }
        let timeout = settings.connectTimeout
        do {
            try await withDeadline(seconds: timeout * 2, onTimeout: { DeadlineError() }) {
                let conn = try await PostgresConnection.connect(configuration: config, id: 1, logger: logger)
                do {
                    _ = try await conn.query("SELECT 1", logger: logger).collect()
                } catch {
                    try? await conn.close()
                    throw error
                }
                try? await conn.close()
            }
        } catch {
            throw DatabaseFailure(message: "\(prefix): " + describeConnectError(error))
        }
    }

    struct DeadlineError: Error {}

    /// The tail pgx would give for a failed connection, from postgres-nio's error.
    static func describeConnectError(_ error: any Error) -> String {
        if error is DeadlineError { return "failed to receive message: timeout" }
        return PostgresErrorText.connectFailure(error)
    }

    /// A failed query as pgx prints it (never with the query text).
    static func describeQueryError(_ error: any Error) -> String {
        if error is DeadlineError { return "timeout waiting for a database connection" }
        return PostgresErrorText.queryFailure(error)
    }

    // MARK: Statements

    /// Runs `queries` in one transaction on one connection of the pool (with `standard_conforming_strings` on, which
    /// the template escaping relies on); any failure rolls the transaction back and is thrown as
    /// `failed to execute query: <error>`.
    func runTransaction(
        _ name: String, _ settings: ConnectionSettings, _ queries: [String],
        check: (@Sendable (PostgresConnection, Logger) async throws -> Bool)? = nil
    ) async throws(DatabaseFailure) {
        try await withRetriedConnection(name, settings) { conn, logger in
            if let check, try await !check(conn, logger) { return }
            try await conn.query("BEGIN", logger: logger)
            do {
                try await conn.query("SET LOCAL standard_conforming_strings = on", logger: logger)
                for q in queries { _ = try await conn.query(PostgresQuery(unsafeSQL: q), logger: logger).collect() }
                try await conn.query("COMMIT", logger: logger)
            } catch {
                _ = try? await conn.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// Runs `body` on a pooled connection within the connect deadline. A body that fails as a whole (its transaction
    /// rolled back) after losing a race on a catalog row (a GRANT beside another transaction's REVOKE on one table:
    /// "tuple concurrently updated", as PostgreSQL does not lock the row first) or to a deadlock runs again, up to
    /// five times; any other failure is worded as OpenBao's `failed to execute query: ...`.
    func withRetriedConnection(
        _ name: String, _ settings: ConnectionSettings,
        _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> Void
    ) async throws(DatabaseFailure) {
        let logger = self.logger
        var attempt = 0
        while true {
            attempt += 1
            do {
                let client = try self.client(name, settings)
                try await withDeadline(seconds: settings.connectTimeout + 60, onTimeout: { Self.DeadlineError() }) {
                    try await client.withConnection { conn in try await body(conn, logger) }
                }
                return
            } catch let e as DatabaseFailure {
                throw e
            } catch {
                let text = Self.describeQueryError(error)
                if Self.isTransient(text), attempt < 5 {
                    try? await Task.sleep(for: .milliseconds(20 * attempt))
                    continue
                }
                throw DatabaseFailure(message: "failed to execute query: " + text)
            }
        }
    }

    /// A failure worth running the same transaction again for.
    static func isTransient(_ text: String) -> Bool {
        text.contains("tuple concurrently updated") || text.contains("(SQLSTATE 40P01)") || text.contains("(SQLSTATE 40001)")
    }

    /// Runs each query on its own (best effort, as rollback statements are): failures are collected, not thrown.
    func runEach(_ name: String, _ settings: ConnectionSettings, _ queries: [String]) async -> [String] {
        var failures: [String] = []
        for q in queries {
            do {
                try await runTransaction(name, settings, [q])
            } catch {
                failures.append(error.message)
            }
        }
        return failures
    }

    /// OpenBao's default revocation of a dynamic user, as one statement (one round trip, one implicit transaction):
    /// nothing when the role no longer exists; else its privileges revoked in every schema where it holds any (found
    /// through the shared-dependency index, `pg_shdepend`, rather than `information_schema.role_column_grants`, whose
    /// scan of every role costs about 50 ms once 10,000 exist), each revocation in its own sub-block so that one that
    /// fails still lets the others strip what they can (OpenBao runs them one by one), then the role dropped.
    ///
    /// The name reaches the block only as a dollar-quoted literal whose tag it cannot contain, and every statement
    /// inside is built with `format('%I')`: nothing is interpolated unescaped.
    func dropUser(_ name: String, _ settings: ConnectionSettings, role: String) async throws(DatabaseFailure) {
        try await dropUsers(name, settings, roles: [role])
    }

    /// ``dropUser(_:_:role:)`` for many users in one statement: all are dropped, or none (a failure rolls the whole
    /// block back).
    func dropUsers(_ name: String, _ settings: ConnectionSettings, roles: [String]) async throws(DatabaseFailure) {
        guard let sql = Self.dropUsersBlock(roles: roles) else {
            throw DatabaseFailure(message: "failed to execute query: the user name cannot be revoked by the default statements")
        }
        try await withRetriedConnection(name, settings) { conn, logger in
            _ = try await conn.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect()
        }
    }

    /// The `DO` block of ``dropUser(_:_:role:)``; nil for a name that holds the quoting tag or a NUL.
    static func dropUserBlock(role: String) -> String? { dropUsersBlock(roles: [role]) }

    /// The `DO` block that revokes and drops every user named; nil when a name holds a quoting tag or a NUL.
    static func dropUsersBlock(roles: [String]) -> String? {
        let tag = "$coffer_role$"
        guard !roles.isEmpty else { return nil }
        for role in roles where role.contains(tag) || role.contains("$coffer_revoke$") || role.unicodeScalars.contains("\u{0}") {
            return nil
        }
        let names = roles.map { tag + $0 + tag }.joined(separator: ", ")
        return """
            DO $coffer_revoke$
            DECLARE
              r text;
              s text;
            BEGIN
              FOREACH r IN ARRAY ARRAY[\(names)]::text[] LOOP
                CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r);
                -- Only a user that holds privileges (an ACL entry, recorded in pg_shdepend) has any to revoke. Skipping
                -- the no-op REVOKEs matters: each rewrites the catalog row of the public schema or the database,
                -- whose row lock then serialises every concurrent revocation until its transaction ends.
                IF EXISTS (SELECT 1 FROM pg_catalog.pg_shdepend d
                           WHERE d.refclassid = 'pg_catalog.pg_authid'::regclass AND d.deptype = 'a'
                             AND d.refobjid = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = r)) THEN
                  -- REVOKEs of two transactions on one object fail with "tuple concurrently updated" (PostgreSQL
                  -- does not lock the catalog row first): Coffer's revocations that strip privileges take turns.
                  PERFORM pg_catalog.pg_advisory_xact_lock(1129268806, 1);
                  FOR s IN
                    SELECT DISTINCT n.nspname FROM pg_catalog.pg_shdepend d
                    JOIN pg_catalog.pg_class c ON d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
                    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                    WHERE d.dbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
                      AND d.refclassid = 'pg_catalog.pg_authid'::regclass AND d.deptype = 'a'
                      AND d.refobjid = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = r)
                  LOOP
                    BEGIN EXECUTE format('REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA %I FROM %I', s, r);
                    EXCEPTION WHEN deadlock_detected OR lock_not_available OR query_canceled THEN RAISE; WHEN OTHERS THEN NULL; END;
                    BEGIN EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM %I', s, r);
                    EXCEPTION WHEN deadlock_detected OR lock_not_available OR query_canceled THEN RAISE; WHEN OTHERS THEN NULL; END;
                  END LOOP;
                  BEGIN EXECUTE format('REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA public FROM %I', r);
                  EXCEPTION WHEN deadlock_detected OR lock_not_available OR query_canceled THEN RAISE; WHEN OTHERS THEN NULL; END;
                  BEGIN EXECUTE format('REVOKE ALL PRIVILEGES ON ALL SEQUENCES IN SCHEMA public FROM %I', r);
                  EXCEPTION WHEN deadlock_detected OR lock_not_available OR query_canceled THEN RAISE; WHEN OTHERS THEN NULL; END;
                  BEGIN EXECUTE format('REVOKE USAGE ON SCHEMA public FROM %I', r);
                  EXCEPTION WHEN deadlock_detected OR lock_not_available OR query_canceled THEN RAISE; WHEN OTHERS THEN NULL; END;
                  BEGIN EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM %I', current_database(), r);
                  EXCEPTION WHEN deadlock_detected OR lock_not_available OR query_canceled THEN RAISE; WHEN OTHERS THEN NULL; END;
                END IF;
                EXECUTE format('DROP ROLE IF EXISTS %I', r);
              END LOOP;
            END
            $coffer_revoke$
            """
    }

    /// Whether a role exists (bound parameter).
    func roleExists(_ name: String, _ settings: ConnectionSettings, role: String) async throws(DatabaseFailure) -> Bool {
        let logger = self.logger
        do {
            let client = try self.client(name, settings)
            return try await withDeadline(seconds: settings.connectTimeout + 60, onTimeout: { Self.DeadlineError() }) {
                try await client.withConnection { conn in
                    try await Self.roleExists(conn, role, logger: logger)
                }
            }
        } catch {
            throw DatabaseFailure(message: "failed to execute query: " + Self.describeQueryError(error))
        }
    }

    static func roleExists(_ conn: PostgresConnection, _ role: String, logger: Logger) async throws -> Bool {
        let rows = try await conn.query("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = \(role)", logger: logger).collect()
        return !rows.isEmpty
    }
}
