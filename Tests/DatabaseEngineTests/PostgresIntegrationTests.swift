import CofferPostgres
import CofferSDK
import Foundation
import PostgresNIO
import Testing

@testable import DatabaseEngine

/// Against a real PostgreSQL (COFFER_TEST_PG; scripts/pg-test-cluster). In CI a missing database fails these tests.
@Suite(.enabled(if: TestPG.enabled, "COFFER_TEST_PG is unset: run scripts/pg-test-cluster start DIR PORT and export its output"))
struct PostgresIntegrationTests {
    let h = Harness()

    /// Config `pg` as the test superuser (templated URL, the password in the config).
    func configure(_ extra: [String: JSONValue] = [:], name: String = "pg") async throws {
        let i = try TestPG.info()
        var body: [String: JSONValue] = [
            "plugin_name": "postgresql-database-plugin",
            "connection_url": .string("postgresql://{{username}}:{{password}}@\(i.host):\(i.port)/\(i.database ?? "postgres")?sslmode=disable"),
            "username": .string(i.user), "password": .string(i.password), "allowed_roles": "*",
        ]
        for (k, v) in extra { body[k] = v }
        try await h.send(.update, "config/\(name)", body)
    }

    static let create = #"CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"#

    @Test func verifyConnection() async throws {
        let i = try TestPG.info()
        try await configure()
        // Wrong password: the recorded prefix, never the password.
        let wrong = await h.error(
            .update, "config/bad",
            [
                "plugin_name": "postgresql-database-plugin", "connection_url": .string("postgresql://{{username}}:{{password}}@\(i.host):\(i.port)/postgres?sslmode=disable"),
                "username": .string(i.user), "password": "wrong-pass-word",
            ])
        let text = try #require(wrong?.messages.first)
        #expect(wrong?.code == .invalidRequest)
        #expect(text.hasPrefix("error creating database object: error verifying connection: failed to connect to `user=\(i.user) database=postgres`"))
        #expect(text.contains("28P01"))
        #expect(!text.contains("wrong-pass-word"))
        // Closed port: refused quickly.
        let start = ContinuousClock.now
        let closed = await h.error(
            .update, "config/closed",
            ["plugin_name": "postgresql-database-plugin", "connection_url": "postgresql://u:p@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=3"])
        #expect(closed?.messages.first?.hasPrefix("error creating database object: error verifying connection: ") == true)
        #expect(ContinuousClock.now - start < .seconds(15))
        // verify_connection false stores it anyway.
        #expect(
            try await h.send(
                .update, "config/closed",
                ["plugin_name": "postgresql-database-plugin", "connection_url": "postgresql://u:p@127.0.0.1:1/postgres", "verify_connection": false]) == nil)
    }

    @Test func silentListenerIsBounded() async throws {
        // A TCP listener that accepts and never answers: the start-up exchange times out.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        listen(fd, 4)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        let port = Int(UInt16(bigEndian: addr.sin_port))
        let start = ContinuousClock.now
        let e = await h.error(
            .update, "config/silent",
            ["plugin_name": "postgresql-database-plugin", "connection_url": .string("postgresql://u:p@127.0.0.1:\(port)/postgres?sslmode=disable&connect_timeout=2")])
        #expect(e?.messages.first?.hasPrefix("error creating database object: error verifying connection: ") == true)
        // Bounded, not hung: connect_timeout=2 ends it in a few seconds; the margin is for a loaded CI machine.
        #expect(ContinuousClock.now - start < .seconds(60))
    }

    @Test func credsLoginRenewRevoke() async throws {
        try await configure(["username_template": "coffer-{{.RoleName}}-{{random 8}}"])
        try await h.send(.update, "roles/dyn", ["db_name": "pg", "creation_statements": .string(Self.create), "default_ttl": "1h", "max_ttl": "24h"])
        let r = try #require(try await h.send(.read, "creds/dyn"))
        let user = try #require(r.data?["username"]?.stringValue)
        let password = try #require(r.data?["password"]?.stringValue)
        #expect(user.hasPrefix("coffer-dyn-") && user.count == "coffer-dyn-".count + 8)
        #expect(password.count == 20)
        let secret = try #require(r.secret)
        #expect(secret.leased && secret.renewable && secret.ttl == 3600 && secret.maxTTL == 86400)
        #expect(secret.secretType == "creds" && secret.internalData["username"]?.stringValue == user)
        #expect(await TestPG.canLogin(user, password))

        let renewed = try #require(try await h.secretRequest(.renew, secret, increment: 7200)?.secret)
        #expect(renewed.ttl == 7200 && renewed.renewable && renewed.maxTTL == 86400)
        let until = try await TestPG.admin("SELECT extract(epoch from rolvaliduntil - now())::int FROM pg_roles WHERE rolname = '\(user)'")
        let seconds = try #require(until.first).decode(Int.self)
        #expect((7100...7300).contains(seconds))

        #expect(try await h.secretRequest(.revoke, secret) == nil)
        #expect(!(try await TestPG.roleExists(user)))
        #expect(!(await TestPG.canLogin(user, password)))
        // Idempotent: revoking again succeeds.
        #expect(try await h.secretRequest(.revoke, secret) == nil)
    }

    /// The default revocation finds the schemas where the user holds privileges (a DROP ROLE fails while any remain)
    /// and revokes them there, then drops the user.
    @Test func defaultRevocationStripsGrantsInOtherSchemas() async throws {
        try await configure()
        _ = try await TestPG.admin("CREATE SCHEMA IF NOT EXISTS coffer_grants")
        _ = try await TestPG.admin("CREATE TABLE IF NOT EXISTS coffer_grants.t (a int, b int)")
        _ = try await TestPG.admin("CREATE TABLE IF NOT EXISTS public.coffer_grants_t (a int)")
        let grants = [
            Self.create, #"GRANT USAGE ON SCHEMA coffer_grants TO "{{name}}";"#,
            #"GRANT SELECT, DELETE ON coffer_grants.t TO "{{name}}";"#, #"GRANT INSERT ON public.coffer_grants_t TO "{{name}}";"#,
        ]
        try await h.send(.update, "roles/granted", ["db_name": "pg", "creation_statements": .array(grants.map { .string($0) })])
        let r = try #require(try await h.send(.read, "creds/granted"))
        let user = try #require(r.data?["username"]?.stringValue)
        #expect(try await TestPG.roleExists(user))
        #expect(try await h.secretRequest(.revoke, try #require(r.secret)) == nil)
        #expect(!(try await TestPG.roleExists(user)), "every grant was revoked, so the role could be dropped")
        // A name with quotes, dollars, a semicolon and a backslash is revoked as itself.
        let odd = #"v-odd"'$$;\x"#
        _ = try await TestPG.admin(#"CREATE ROLE "v-odd""'$$;\x" LOGIN"#)
        _ = try await TestPG.admin(#"GRANT SELECT ON coffer_grants.t TO "v-odd""'$$;\x""#)
        var secret = SecretInfo.lease(type: "creds", internalData: ["username": .string(odd), "db_name": "pg"])
        secret.leaseID = "database/creds/granted/x"
        #expect(try await h.secretRequest(.revoke, secret) == nil)
        #expect(!(try await TestPG.roleExists(odd)))
    }

    /// Several batches at once, of users that hold grants (their REVOKEs touch the same catalog rows): every user is
    /// dropped, none waits on another's lock for long.
    @Test func concurrentBatchRevocationsOfGrantedUsers() async throws {
        try await configure()
        _ = try await TestPG.admin("CREATE TABLE IF NOT EXISTS public.coffer_batch_t (a int)")
        try await h.send(.update, "roles/batch", [
            "db_name": "pg",
            "creation_statements": .array([.string(Self.create), .string(#"GRANT SELECT ON public.coffer_batch_t TO "{{name}}";"#)]),
        ])
        var secrets: [SecretInfo] = []
        for _ in 0..<40 { secrets.append(try #require(try await h.send(.read, "creds/batch")?.secret)) }
        let users = secrets.compactMap { $0.internalData["username"]?.stringValue }
        let engine = h.engine
        let storage = h.storage
        try await withThrowingTaskGroup(of: Void.self) { group in
            for chunk in stride(from: 0, to: secrets.count, by: 10) {
                let batch = secrets[chunk..<min(chunk + 10, secrets.count)].map { secret in
                    var r = LogicalRequest(operation: .revoke, path: "creds/batch", storage: storage)
                    r.secret = secret
                    return r
                }
                group.addTask {
                    // A batch may lose a lock race and fail as a whole; the core then revokes one by one.
                    if (try? await engine.revokeSecrets(batch)) != true {
                        for r in batch { _ = try await engine.handle(r) }
                    }
                }
            }
            try await group.waitForAll()
        }
        for user in users { #expect(!(try await TestPG.roleExists(user)), "\(user)") }
    }

    @Test func hostileDisplayNameAndCustomRevocation() async throws {
        try await configure(["username_template": "{{.DisplayName}}-{{random 4}}"])
        try await h.send(
            .update, "roles/hostile",
            [
                "db_name": "pg", "creation_statements": .string(Self.create),
                "revocation_statements": [#"DROP ROLE IF EXISTS "{{name}}";"#],
            ])
        let display = #"x"; DROP ROLE postgres; -- 'ü"#
        let r = try #require(try await h.send(.read, "creds/hostile", displayName: display))
        let user = try #require(r.data?["username"]?.stringValue)
        #expect(user.hasPrefix(display))
        #expect(try await TestPG.roleExists(user))
        #expect(try await TestPG.roleExists("postgres"))
        try await h.secretRequest(.revoke, try #require(r.secret))
        #expect(!(try await TestPG.roleExists(user)))
    }

    @Test func failingCreationIsRolledBack() async throws {
        let prefix = TestPG.unique("fail")
        try await configure(["username_template": .string(prefix + "-{{random 6}}")])
        try await h.send(
            .update, "roles/failing",
            [
                "db_name": "pg", "creation_statements": [.string(Self.create), #"GRANT SELECT ON nosuch_table TO "{{name}}";"#],
                "rollback_statements": [#"DROP ROLE IF EXISTS "{{name}}";"#],
            ])
        let e = await h.error(.read, "creds/failing")
        #expect(e?.code == .internal)
        #expect(e?.messages == ["1 error occurred:\n\t* failed to execute query: ERROR: relation \"nosuch_table\" does not exist (SQLSTATE 42P01)\n\n"])
        let left = try await TestPG.admin("SELECT rolname FROM pg_roles WHERE rolname LIKE '\(prefix)%'")
        #expect(left.isEmpty)
    }

    /// `rotation_period` on a connection: the root password is a scheduled job of the engine, given back after a
    /// restart, and running it locks out the old password.
    @Test func rootPasswordRotatesOnItsPeriod() async throws {
        let root = TestPG.unique("rootp")
        let oldPassword = "old-" + UUID().uuidString
        _ = try await TestPG.admin("CREATE ROLE \(root) WITH LOGIN SUPERUSER PASSWORD '\(oldPassword)'")
        defer { Task { _ = try? await TestPG.admin("DROP ROLE IF EXISTS \(root)") } }
        let i = try TestPG.info()
        let body: [String: JSONValue] = [
            "plugin_name": "postgresql-database-plugin",
            "connection_url": .string("postgresql://{{username}}:{{password}}@\(i.host):\(i.port)/postgres?sslmode=disable"),
            "username": .string(root), "password": .string(oldPassword), "allowed_roles": "*",
        ]
        var bad = body
        bad["rotation_period"] = "2s"
        #expect(await h.error(.update, "config/rp", bad)?.messages == ["rotation_period must be 5 seconds or more"])
        var good = body
        good["rotation_period"] = "1h"
        try await h.send(.update, "config/rp", good)
        #expect(try await h.send(.read, "config/rp")?.data?["rotation_period"] == 3600)
        let engine = try #require(h.engine as? any RotatingEngine)
        let jobs = try await engine.scheduledRotations(storage: h.storage)
        let due = try #require(jobs.first { $0.id == "root/rp" }?.due)
        #expect(due.timeIntervalSinceNow > 3500 && due.timeIntervalSinceNow <= 3600)
        let next = try #require(try await engine.rotate(job: "root/rp", storage: h.storage))
        #expect(next.timeIntervalSinceNow > 3500)
        #expect(!(await TestPG.canLogin(root, oldPassword)), "the scheduled rotation changed the root password")
    }

    @Test func rotateRootLocksOutTheOldPassword() async throws {
        let root = TestPG.unique("root")
        let oldPassword = "old-" + UUID().uuidString
        _ = try await TestPG.admin("CREATE ROLE \(root) WITH LOGIN SUPERUSER PASSWORD '\(oldPassword)'")
        defer { Task { _ = try? await TestPG.admin("DROP ROLE IF EXISTS \(root)") } }
        let i = try TestPG.info()
        try await h.send(
            .update, "config/rot",
            [
                "plugin_name": "postgresql-database-plugin",
                "connection_url": .string("postgresql://{{username}}:{{password}}@\(i.host):\(i.port)/postgres?sslmode=disable"),
                "username": .string(root), "password": .string(oldPassword), "allowed_roles": "*",
            ])
        #expect(try await h.send(.update, "rotate-root/rot") == nil)
        #expect(!(await TestPG.canLogin(root, oldPassword)))
        // The engine reconnects with the new password.
        try await h.send(.update, "roles/afterrot", ["db_name": "rot", "creation_statements": .string(Self.create)])
        let r = try #require(try await h.send(.read, "creds/afterrot"))
        try await h.secretRequest(.revoke, try #require(r.secret))
        #expect(try await h.storage.get("wal/root/rot") == nil)
    }

    @Test func staticRoleRotation() async throws {
        let user = TestPG.unique("static")
        _ = try await TestPG.admin("CREATE ROLE \(user) WITH LOGIN PASSWORD 'initial'")
        defer { Task { _ = try? await TestPG.admin("DROP ROLE IF EXISTS \(user)") } }
        try await configure()
        try await h.send(.update, "static-roles/st", ["db_name": "pg", "username": .string(user), "rotation_period": "1h"])
        let creds = try #require(try await h.send(.read, "static-creds/st")?.data)
        let first = try #require(creds["password"]?.stringValue)
        #expect(creds["username"]?.stringValue == user)
        #expect(creds["rotation_period"] == 3600)
        #expect((3590...3600).contains(creds["ttl"]?.intValue ?? 0))
        #expect(creds["last_vault_rotation"]?.stringValue != nil)
        #expect(await TestPG.canLogin(user, first))
        #expect(!(await TestPG.canLogin(user, "initial")))
        #expect(h.rotations.nextRun("static-role/st") != nil)
        let role = try #require(try await h.send(.read, "static-roles/st")?.data)
        #expect(role["next_vault_rotation"]?.stringValue != nil && role["rotation_period"] == 3600 && role["password"] == nil)

        #expect(try await h.send(.update, "rotate-role/st") == nil)
        let second = try #require(try await h.send(.read, "static-creds/st")?.data?["password"]?.stringValue)
        #expect(second != first)
        #expect(await TestPG.canLogin(user, second))
        #expect(!(await TestPG.canLogin(user, first)))

        // The scheduler's entry point rotates as well, and reports the next run.
        let engine = try #require(h.engine as? any RotatingEngine)
        let jobs = try await engine.scheduledRotations(storage: h.storage)
        #expect(jobs.map(\.id) == ["static-role/st"])
        let next = try await engine.rotate(job: "static-role/st", storage: h.storage)
        #expect(next != nil)
        let third = try #require(try await h.send(.read, "static-creds/st")?.data?["password"]?.stringValue)
        #expect(third != second)
        #expect(await TestPG.canLogin(user, third))

        try await h.send(.delete, "static-roles/st")
        #expect(h.rotations.nextRun("static-role/st") == nil)
    }

    @Test func staticRoleWALReappliesThePassword() async throws {
        let user = TestPG.unique("walst")
        _ = try await TestPG.admin("CREATE ROLE \(user) WITH LOGIN PASSWORD 'initial'")
        defer { Task { _ = try? await TestPG.admin("DROP ROLE IF EXISTS \(user)") } }
        try await configure()
        try await h.send(.update, "static-roles/w", ["db_name": "pg", "username": .string(user), "rotation_period": "1h"])
        // A rotation cut short after its WAL entry: the next run uses the WAL's password.
        try await h.storage.putJSON("wal/static-role/w", RotationWAL(username: user, password: "from-the-wal-1A").stored)
        try await h.send(.update, "rotate-role/w")
        #expect(try await h.send(.read, "static-creds/w")?.data?["password"] == "from-the-wal-1A")
        #expect(await TestPG.canLogin(user, "from-the-wal-1A"))
        #expect(try await h.storage.get("wal/static-role/w") == nil)
    }

    @Test func staticRoleForMissingUser() async throws {
        try await configure()
        let e = await h.error(.update, "static-roles/missing", ["db_name": "pg", "username": "nosuchuser_x", "rotation_period": "1h"])
        #expect(
            e?.messages == [
                "1 error occurred:\n\t* error setting credentials: 1 error occurred:\n\t* failed to execute query: ERROR: role \"nosuchuser_x\" does not exist (SQLSTATE 42704)\n\n\n\n"
            ])
        #expect(await h.error(.read, "static-roles/missing")?.code == .notFound)
    }

    @Test func tlsModes() async throws {
        let i = try TestPG.info()
        let ca = try #require(TestPG.caFile, "COFFER_TEST_PG_CA is not set (scripts/pg-test-cluster makes a TLS cluster when openssl exists)")
        for (name, url) in [
            ("tlsreq", "postgresql://{{username}}:{{password}}@127.0.0.1:\(i.port)/postgres?sslmode=require"),
            ("tlsfull", "postgresql://{{username}}:{{password}}@localhost:\(i.port)/postgres?sslmode=verify-full&sslrootcert=\(ca)"),
        ] {
            let body: [String: JSONValue] = [
                "plugin_name": "postgresql-database-plugin", "connection_url": .string(url), "username": .string(i.user),
                "password": .string(i.password), "allowed_roles": "*",
            ]
            #expect(try await h.send(.update, "config/\(name)", body) == nil, "\(name)")
        }
        // verify-full against a name the certificate does not carry fails.
        let bad = await h.error(
            .update, "config/tlsbad",
            [
                "plugin_name": "postgresql-database-plugin",
                "connection_url": .string("postgresql://{{username}}:{{password}}@127.0.0.1:\(i.port)/postgres?sslmode=verify-full"),
                "username": .string(i.user), "password": .string(i.password),
            ])
        #expect(bad?.messages.first?.hasPrefix("error creating database object: error verifying connection: ") == true)
    }
}
