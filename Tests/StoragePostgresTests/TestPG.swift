import CofferPostgres
import CofferSDK
import Foundation
import Logging
import PostgresNIO
import StoragePostgres

/// The test PostgreSQL (`COFFER_TEST_PG`, started by scripts/pg-test-cluster; CI sets it, and a missing one fails
/// there rather than skipping), as the database engine's tests use it.
enum TestPG {
    static let url = ProcessInfo.processInfo.environment["COFFER_TEST_PG"].flatMap { $0.isEmpty ? nil : $0 }
    static let caFile = ProcessInfo.processInfo.environment["COFFER_TEST_PG_CA"].flatMap { $0.isEmpty ? nil : $0 }
    static let inCI = ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } ?? false
    /// Integration suites run when a database is given, and always in CI (where they fail without one).
    static let enabled = url != nil || inCI
    static let logger = Logger(label: "coffer.tests.pg-storage")

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    static func requireURL() throws -> String {
        guard let url else { throw TestFailure("COFFER_TEST_PG is not set: run scripts/pg-test-cluster start DIR PORT and export its output") }
        return url
    }

    static func info() throws -> ConnectionInfo { try ConnectionInfo.parse(try requireURL()) }

    /// A fresh name for a test table or application name.
    static func unique(_ prefix: String) -> String { prefix + "_" + UUID().uuidString.prefix(8).lowercased() }

    /// The configuration of a backend on `table` (and `haTable` with HA on).
    static func configuration(
        table: String, haTable: String? = nil, applicationName: String = "coffer", url: String? = nil
    ) throws -> PostgresBackendConfiguration {
        PostgresBackendConfiguration(
            connectionURL: try url ?? requireURL(), table: table, haEnabled: haTable != nil,
            haTable: haTable ?? PostgresBackendConfiguration.defaultHATable, maxParallel: 8, applicationName: applicationName)
    }

    static func backend(table: String, haTable: String? = nil, applicationName: String = "coffer") async throws -> PostgresBackend {
        try await PostgresBackend(configuration: configuration(table: table, haTable: haTable, applicationName: applicationName), logger: logger)
    }

    /// Runs `sql` as the superuser on a connection of its own (without TLS).
    @discardableResult
    /// A catalog race with another suite's DDL (`tuple concurrently updated`, a deadlock) or a refused connection is
    /// tried again, up to 5 times; the error that ends it carries postgres-nio's full description.
    static func admin(_ query: PostgresQuery) async throws -> [PostgresRow] {
        let i = try info()
        var c = PostgresConnection.Configuration(
            host: i.host, port: i.port, username: i.user, password: i.password, database: i.database ?? "postgres", tls: .disable)
        c.options.connectTimeout = .seconds(5)
        var attempt = 0
        while true {
            attempt += 1
            do {
                let conn = try await PostgresConnection.connect(configuration: c, id: 1, logger: logger)
                do {
                    let rows = try await conn.query(query, logger: logger).collect()
                    try await conn.close()
                    return rows
                } catch {
                    try? await conn.close()
                    throw error
                }
            } catch {
                guard attempt < 5 else { throw TestPGError(description: "admin query failed: \(String(reflecting: error))") }
                try await Task.sleep(for: .milliseconds(200 * attempt))
            }
        }
    }

    /// A superuser connection of its own (without TLS), for tests that hold a transaction open.
    static func connect() async throws -> PostgresConnection {
        let i = try info()
        let c = PostgresConnection.Configuration(
            host: i.host, port: i.port, username: i.user, password: i.password, database: i.database ?? "postgres", tls: .disable)
        return try await PostgresConnection.connect(configuration: c, id: 2, logger: logger)
    }

    static func dropTables(_ names: String...) async throws {
        for name in names { try await admin(PostgresQuery(unsafeSQL: "DROP TABLE IF EXISTS \"\(name)\"")) }
    }

    /// Ends every session with `applicationName` and waits until the server has let them go.
    static func terminateSessions(applicationName: String) async throws {
        try await admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = \(applicationName)")
        for _ in 0..<100 {
            let rows = try await admin("SELECT count(*) FROM pg_stat_activity WHERE application_name = \(applicationName)")
            if try rows.first?.decode(Int64.self) == 0 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        // The client reads the server's goodbye (FATAL, then EOF) on its event loop.
        try await Task.sleep(for: .milliseconds(200))
    }

    static func sessionCount(applicationName: String) async throws -> Int64 {
        let rows = try await admin("SELECT count(*) FROM pg_stat_activity WHERE application_name = \(applicationName)")
        return try rows.first?.decode(Int64.self) ?? 0
    }
}

struct TestPGError: Error, CustomStringConvertible {
    var description: String
}
