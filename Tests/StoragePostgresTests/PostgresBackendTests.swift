import CofferPostgres
import CofferSDK
import CofferTesting
import Foundation
import PostgresNIO
import StoragePostgres
import Testing

@Suite("PostgresBackend", .enabled(if: TestPG.enabled, "COFFER_TEST_PG is unset: run scripts/pg-test-cluster start DIR PORT and export its output"))
struct PostgresBackendTests {
    @Test("passes every conformance check", arguments: PhysicalBackendConformance.Check.allCases)
    func conformance(_ check: PhysicalBackendConformance.Check) async throws {
        let table = TestPG.unique("kv")
        try await PhysicalBackendConformance.run(check) { try await TestPG.backend(table: table) }
        try await TestPG.dropTables(table)
    }

    @Test("two backends on one table see each other's writes; a second start keeps the data")
    func sharedTable() async throws {
        let table = TestPG.unique("kv")
        let a = try await TestPG.backend(table: table)
        let b = try await TestPG.backend(table: table)
        try await a.put("x/1", Data("one".utf8))
        #expect(try await b.get("x/1") == Data("one".utf8))
        try await b.transaction([.put("x/2", Data("two".utf8)), .delete("x/1")])
        #expect(try await a.list(prefix: "x/") == ["2"])
        try await a.close()
        try await b.close()
        let c = try await TestPG.backend(table: table)
        #expect(try await c.get("x/2") == Data("two".utf8))
        try await c.close()
        try await TestPG.dropTables(table)
    }

    @Test("group commit: every concurrent writer lands; one refused write among concurrent ones fails only its caller")
    func groupCommit() async throws {
        let table = TestPG.unique("kv")
        let backend = try await TestPG.backend(table: table)
        // 64 writers, 10 sequential puts each, plus a transaction per writer.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<64 {
                group.addTask {
                    for i in 0..<10 { try await backend.put("w\(w)/k\(i)", Data([UInt8(w), UInt8(i)])) }
                    try await backend.transaction([.put("t/\(w)", Data([1])), .delete("w\(w)/k0")])
                }
            }
            try await group.waitForAll()
        }
        for w in 0..<64 {
            #expect(try await backend.get("w\(w)/k9") == Data([UInt8(w), 9]))
            #expect(try await backend.get("w\(w)/k0") == nil)
            #expect(try await backend.get("t/\(w)") == Data([1]))
        }
        // A key PostgreSQL refuses (text cannot hold NUL) among good writes sent at the same time.
        let outcomes = try await withThrowingTaskGroup(of: (String, Bool).self) { group -> [String: Bool] in
            for i in 0..<20 {
                let key = i == 7 ? "bad\u{0}key" : "good/\(i)"
                group.addTask { ((try? await backend.put(key, Data([9]))) != nil ? (key, true) : (key, false)) }
            }
            var out: [String: Bool] = [:]
            for try await (k, ok) in group { out[k] = ok }
            return out
        }
        #expect(outcomes["bad\u{0}key"] == false)
        #expect(outcomes.filter { $0.key != "bad\u{0}key" }.values.allSatisfy { $0 }, "\(outcomes)")
        for i in 0..<20 where i != 7 { #expect(try await backend.get("good/\(i)") == Data([9])) }
        try await backend.close()
        try await TestPG.dropTables(table)
    }

    @Test("list skips deep subtrees and pages through wide folders")
    func listLarge() async throws {
        let table = TestPG.unique("kv")
        let backend = try await TestPG.backend(table: table)
        var ops: [StorageOperation] = []
        for i in 0..<2_000 { ops.append(.put("deep/sub/\(i)", Data([1]))) }
        for i in 0..<1_500 { ops.append(.put("wide/k\(String(format: "%04d", i))", Data([2]))) }
        ops.append(.put("deep/leaf", Data([3])))
        ops.append(.put("deep0", Data([4])))
        try await backend.transaction(ops)
        #expect(try await backend.list(prefix: "deep/") == ["leaf", "sub/"])
        #expect(try await backend.list(prefix: "") == ["deep/", "deep0", "wide/"])
        let wide = try await backend.list(prefix: "wide/")
        #expect(wide.count == 1_500 && wide.first == "k0000" && wide.last == "k1499")
        try await backend.close()
        try await TestPG.dropTables(table)
    }

    @Test("a lost connection (pg_terminate_backend) is replaced: the next get and put succeed")
    func connectionLoss() async throws {
        let table = TestPG.unique("kv")
        let app = TestPG.unique("coffer")
        let backend = try await TestPG.backend(table: table, applicationName: app)
        try await backend.put("a", Data("1".utf8))
        #expect(try await TestPG.sessionCount(applicationName: app) >= 1)

        try await TestPG.terminateSessions(applicationName: app)
        #expect(try await TestPG.sessionCount(applicationName: app) == 0)
        #expect(try await backend.get("a") == Data("1".utf8))
        #expect(try await TestPG.sessionCount(applicationName: app) == 1)

        try await TestPG.terminateSessions(applicationName: app)
        try await backend.put("b", Data("2".utf8))
        #expect(try await backend.get("b") == Data("2".utf8))

        // Several pooled connections, all lost at once: concurrent writes and reads still succeed.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<8 { group.addTask { try await backend.put("c/\(i)", Data([UInt8(i)])) } }
            try await group.waitForAll()
        }
        try await TestPG.terminateSessions(applicationName: app)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<8 {
                group.addTask {
                    try await backend.transaction([.put("d/\(i)", Data([UInt8(i)]))])
                    try await backend.delete("c/\(i)")
                }
            }
            try await group.waitForAll()
        }
        #expect(try await backend.list(prefix: "c/") == [])
        #expect(try await backend.list(prefix: "d/").count == 8)
        try await backend.close()
        #expect(try await TestPG.sessionCount(applicationName: app) == 0)
        try await TestPG.dropTables(table)
    }

    @Test("max_parallel bounds the connections")
    func maxParallel() async throws {
        let table = TestPG.unique("kv")
        let app = TestPG.unique("coffer")
        var configuration = try TestPG.configuration(table: table, applicationName: app)
        configuration.maxParallel = 3
        let backend = try await PostgresBackend(configuration: configuration, logger: TestPG.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<64 { group.addTask { try await backend.put("p/\(i % 8)", Data(count: 1000)) } }
            try await group.waitForAll()
        }
        #expect(try await TestPG.sessionCount(applicationName: app) <= 3)
        try await backend.close()
        try await TestPG.dropTables(table)
    }

    @Test("sslmode=verify-full with the server's CA connects; with another CA it fails")
    func tls() async throws {
        let i = try TestPG.info()
        let ca = try #require(TestPG.caFile, "COFFER_TEST_PG_CA is not set (scripts/pg-test-cluster makes a TLS cluster when openssl exists)")
        let table = TestPG.unique("kv")
        let userinfo = "\(ConnectionInfoTestSupport.encode(i.user)):\(ConnectionInfoTestSupport.encode(i.password))"
        let good = "postgresql://\(userinfo)@localhost:\(i.port)/postgres?sslmode=verify-full&sslrootcert=\(ca)"
        let backend = try await PostgresBackend(configuration: TestPG.configuration(table: table, url: good), logger: TestPG.logger)
        try await backend.put("tls", Data("ok".utf8))
        #expect(try await backend.get("tls") == Data("ok".utf8))
        try await backend.close()

        let otherCA = try ConnectionInfoTestSupport.selfSignedCertificate()
        defer { try? FileManager.default.removeItem(at: URL(fileURLWithPath: otherCA).deletingLastPathComponent()) }
        let bad = "postgresql://\(userinfo)@localhost:\(i.port)/postgres?sslmode=verify-full&sslrootcert=\(otherCA)"
        let error = await #expect(throws: PhysicalError.self) {
            _ = try await PostgresBackend(configuration: TestPG.configuration(table: table, url: bad), logger: TestPG.logger)
        }
        #expect(error?.description.contains("tls error") == true, "\(error?.description ?? "")")
        #expect(error?.description.contains(i.password) == false)
        try await TestPG.dropTables(table)
    }

    @Test("skip_create_table with a missing table fails naming it; with the table present it works")
    func skipCreateTable() async throws {
        let table = TestPG.unique("kv")
        var configuration = try TestPG.configuration(table: table)
        configuration.skipCreateTable = true
        let error = await #expect(throws: PhysicalError.self) {
            _ = try await PostgresBackend(configuration: configuration, logger: TestPG.logger)
        }
        #expect(error?.description.contains("table \"\(table)\" does not exist") == true, "\(error?.description ?? "")")

        try await TestPG.admin(PostgresQuery(unsafeSQL: "CREATE TABLE \"\(table)\" (key TEXT COLLATE \"C\" PRIMARY KEY, value BYTEA NOT NULL)"))
        let backend = try await PostgresBackend(configuration: configuration, logger: TestPG.logger)
        try await backend.put("k", Data("v".utf8))
        #expect(try await backend.get("k") == Data("v".utf8))
        try await backend.close()
        try await TestPG.dropTables(table)
    }

    @Test("the password never shows in errors or descriptions")
    func passwordNeverShown() async throws {
        let i = try TestPG.info()
        let secret = "Sup3rS3cretPw"
        let table = TestPG.unique("kv")
        // Wrong password, nothing listening, and an unparsable URL.
        let urls = [
            "postgresql://\(i.user):\(secret)@127.0.0.1:\(i.port)/postgres?sslmode=disable",
            "postgresql://\(i.user):\(secret)@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2",
            "postgresql://\(i.user):\(secret)/x@127.0.0.1:\(i.port)/postgres",
            "host=127.0.0.1 password=\(secret) port",
        ]
        for url in urls {
            var configuration = try TestPG.configuration(table: table, url: url)
            configuration.maxConnectRetries = 0
            #expect(!configuration.description.contains(secret))
            #expect(!String(reflecting: configuration).contains(secret))
            let error = await #expect(throws: PhysicalError.self) {
                _ = try await PostgresBackend(configuration: configuration, logger: TestPG.logger)
            }
            let text = error.map { "\($0) \(String(reflecting: $0))" } ?? ""
            #expect(!text.contains(secret) && !text.contains("S3cret"), "\(text)")
        }
    }
}

@Suite("PostgresBackendConfiguration")
struct PostgresBackendConfigurationTests {
    @Test func optionsAndDefaults() throws {
        let c = try PostgresBackendConfiguration(options: ["connection_url": "postgres://u:pw@h/db"])
        #expect(c.table == "coffer_kv_store" && c.haTable == "coffer_ha_locks" && !c.haEnabled && !c.skipCreateTable)
        #expect(c.maxParallel == 16 && c.maxConnectRetries == 1)
        let d = try PostgresBackendConfiguration(options: [
            "connection_url": "postgres://u:pw@h/db", "table": "s.t", "ha_enabled": "true", "ha_table": "locks",
            "max_parallel": "4", "max_connect_retries": "0", "skip_create_table": "1",
        ])
        #expect(d.table == "s.t" && d.haEnabled && d.haTable == "locks" && d.maxParallel == 4 && d.maxConnectRetries == 0 && d.skipCreateTable)
        #expect(throws: PhysicalError.self) { try PostgresBackendConfiguration(options: [:]) }
        #expect(throws: PhysicalError.self) { try PostgresBackendConfiguration(options: ["connection_url": "x", "max_parallel": "0"]) }
        #expect(throws: PhysicalError.self) { try PostgresBackendConfiguration(options: ["connection_url": "x", "ha_enabled": "maybe"]) }
    }

    @Test func descriptionRedactsPassword() {
        let c = PostgresBackendConfiguration(connectionURL: "postgresql://coffer:hunter2@db:5433/vault?sslmode=require")
        #expect(!c.description.contains("hunter2") && c.description.contains("[redacted]") && c.description.contains("db:5433"))
        #expect(!"\(c)".contains("hunter2") && !String(reflecting: c).contains("hunter2"))
        var dumped = ""
        dump(c, to: &dumped)
        #expect(!dumped.contains("hunter2"))
    }

    @Test(arguments: ["bad-name", "x;drop", "\"q\"", "1abc", "a.b.c", "", "a..b", String(repeating: "t", count: 64)])
    func invalidTableNamesAreRefused(_ name: String) async {
        let c = PostgresBackendConfiguration(connectionURL: "postgres://u:pw@127.0.0.1:1/db", table: name)
        let error = await #expect(throws: PhysicalError.self) { _ = try await PostgresBackend(configuration: c, logger: TestPG.logger) }
        #expect(error?.description.contains("invalid table name") == true)
    }
}

/// Helpers for building connection URLs and certificates in tests.
enum ConnectionInfoTestSupport {
    static func encode(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s
    }

    /// A self-signed certificate for `localhost` (not the server's): a wrong CA for verify-full.
    static func selfSignedCertificate() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-pg-ca-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let cert = dir.appendingPathComponent("ca.crt").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
            "-keyout", dir.appendingPathComponent("ca.key").path, "-out", cert,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestPG.TestFailure("openssl failed") }
        return cert
    }
}
