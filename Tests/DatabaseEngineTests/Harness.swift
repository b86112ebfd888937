import CofferPostgres
import CofferSDK
import CofferTesting
import Foundation
import Logging
import NIOCore
import PostgresNIO

@testable import DatabaseEngine

/// Drives the database engine the way the core does, on an in-memory backend.
struct Harness {
    let engine: any SecretsEngine
    let storage = InMemoryPhysicalBackend()
    let rotations = RecordingRotations()

    init() {
        engine = makeDatabaseEngine(
            EngineConfiguration(mountPath: "database/", type: "database", logger: Logger(label: "test"), rotations: rotations))
    }

    func request(_ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:], displayName: String = "token") -> LogicalRequest {
        LogicalRequest(
            operation: op, path: path, data: data, storage: storage, mountPoint: "database/", mountType: "database",
            displayName: displayName, isRoot: true)
    }

    @discardableResult
    func send(_ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:], displayName: String = "token") async throws -> LogicalResponse? {
        try await EngineDispatch.send(engine, request(op, path, data, displayName: displayName))
    }

    /// The error a request fails with, or nil.
    func error(_ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:]) async -> LogicalError? {
        do {
            _ = try await send(op, path, data)
            return nil
        } catch let e as LogicalError {
            return e
        } catch {
            return LogicalError.internalError("unexpected error type: \(error)")
        }
    }

    /// Renews or revokes a leased secret as the core does.
    func secretRequest(_ op: CofferSDK.Operation, _ secret: SecretInfo, increment: Int64? = nil) async throws -> LogicalResponse? {
        var s = secret
        s.leaseID = "database/creds/x/abc"
        s.issueTime = s.issueTime ?? Date()
        s.increment = increment
        var r = request(op, "creds/x")
        r.secret = s
        return try await EngineDispatch.send(engine, r)
    }
}

/// A ``RotationScheduling`` that records the jobs an engine schedules.
final class RecordingRotations: RotationScheduling, @unchecked Sendable {
    private let lock = NSLock()
    private var jobs: [String: Date] = [:]
    func schedule(_ id: String, at due: Date) { lock.withLock { jobs[id] = due } }
    func cancel(_ id: String) { _ = lock.withLock { jobs.removeValue(forKey: id) } }
    func nextRun(_ id: String) -> Date? { lock.withLock { jobs[id] } }
}

/// The test PostgreSQL (`COFFER_TEST_PG`, started by scripts/pg-test-cluster; CI sets it, and a missing one fails
/// there rather than skipping).
enum TestPG {
    static let url = ProcessInfo.processInfo.environment["COFFER_TEST_PG"].flatMap { $0.isEmpty ? nil : $0 }
    static let caFile = ProcessInfo.processInfo.environment["COFFER_TEST_PG_CA"]
    static let inCI = ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } ?? false
    /// Integration suites run when a database is given, and always in CI (where they fail without one).
    static let enabled = url != nil || inCI

    static func info() throws -> ConnectionInfo {
        guard let url else { throw TestFailure("COFFER_TEST_PG is not set: run scripts/pg-test-cluster start DIR PORT and export it") }
        return try ConnectionInfo.parseURL(url)
    }

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    static let logger = Logger(label: "pg-test")

    /// Connects as `user`/`password` (the server of COFFER_TEST_PG), without TLS.
    static func connect(user: String, password: String) async throws -> PostgresConnection {
        let i = try info()
        var c = PostgresConnection.Configuration(host: i.host, port: i.port, username: user, password: password, database: i.database ?? "postgres", tls: .disable)
        c.options.connectTimeout = .seconds(5)
        return try await PostgresConnection.connect(configuration: c, id: 1, logger: logger)
    }

    /// Whether `user` can log in with `password` and run a query.
    static func canLogin(_ user: String, _ password: String) async -> Bool {
        guard let conn = try? await connect(user: user, password: password) else { return false }
        defer { Task { try? await conn.close() } }
        return (try? await conn.query("SELECT 1", logger: logger).collect()) != nil
    }

    /// Runs `sql` as the superuser.
    static func admin(_ sql: String) async throws -> [PostgresRow] {
        let i = try info()
        let conn = try await connect(user: i.user, password: i.password)
        do {
            let rows = try await conn.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect()
            try await conn.close()
            return rows
        } catch {
            try? await conn.close()
            throw error
        }
    }

    static func roleExists(_ name: String) async throws -> Bool {
        let i = try info()
        let conn = try await connect(user: i.user, password: i.password)
        let rows = try await conn.query("SELECT 1 FROM pg_roles WHERE rolname = \(name)", logger: logger).collect()
        try await conn.close()
        return !rows.isEmpty
    }

    /// A fresh name for a test object.
    static func unique(_ prefix: String) -> String { prefix + "_" + UUID().uuidString.prefix(8).lowercased() }
}
