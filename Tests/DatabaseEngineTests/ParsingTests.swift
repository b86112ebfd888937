import CofferPostgres
import Foundation
import Testing

@testable import DatabaseEngine

@Suite struct ConnectionURLTests {
    @Test func urlWithTemplatesIsPercentEncoded() throws {
        let info = try ConnectionInfo.make(
            url: "postgresql://{{username}}:{{password}}@db.example:6543/app?sslmode=verify-full&sslrootcert=/ca.pem&connect_timeout=3",
            username: "root@x", password: "p@ss:/?#%", disableEscaping: false)
        #expect(info.user == "root@x")
        #expect(info.password == "p@ss:/?#%")
        #expect(info.host == "db.example" && info.port == 6543 && info.database == "app")
        #expect(info.sslMode == .verifyFull && info.sslRootCert == "/ca.pem" && info.connectTimeout == 3)
    }

    @Test func disableEscapingKeepsValues() throws {
        let info = try ConnectionInfo.make(
            url: "postgres://{{username}}:{{password}}@h/db", username: "u", password: "a%41", disableEscaping: true)
        #expect(info.password == "aA")
    }

    @Test func configCredentialsFillMissingUserinfo() throws {
        let info = try ConnectionInfo.make(url: "postgres://127.0.0.1:5433/postgres?sslmode=disable", username: "u", password: "p", disableEscaping: false)
        #expect(info.user == "u" && info.password == "p" && info.port == 5433 && info.sslMode == .disable)
    }

    @Test func ipv6Host() throws {
        let info = try ConnectionInfo.parseURL("postgres://u@[::1]:5444/d")
        #expect(info.host == "::1" && info.port == 5444)
    }

    @Test func keyValueDSN() throws {
        let info = try ConnectionInfo.make(
            url: "host=127.0.0.1 port=5555 user={{username}} password='{{password}}' dbname=x sslmode=require",
            username: "u", password: "p w", disableEscaping: false)
        #expect(info.host == "127.0.0.1" && info.port == 5555 && info.user == "u" && info.password == "p w")
        #expect(info.database == "x" && info.sslMode == .require)
    }

    @Test(arguments: [
        "postgres://h:99999/d", "postgres://h:abc/d", "postgres://h/d?sslmode=bogus", "host=h port", "host='x",
        "postgres://h/d?connect_timeout=-1", "postgres://u:%zz@h/d",
    ])
    func invalid(url: String) {
        #expect(throws: ConnectionInfo.ParseError.self) { _ = try ConnectionInfo.make(url: url, username: "", password: "", disableEscaping: false) }
    }
}

@Suite struct CronAndGlobTests {
    func date(_ s: String) throws -> Date { try #require(ISO8601DateFormatter().date(from: s)) }

    @Test func nextRuns() throws {
        let c = try CronSchedule("*/15 2 * * *")
        #expect(c.next(after: try date("2026-01-01T01:59:00Z")) == (try date("2026-01-01T02:00:00Z")))
        #expect(c.next(after: try date("2026-01-01T02:00:00Z")) == (try date("2026-01-01T02:15:00Z")))
        #expect(c.next(after: try date("2026-01-01T02:45:30Z")) == (try date("2026-01-02T02:00:00Z")))
        let monthly = try CronSchedule("0 0 1 * *")
        #expect(monthly.next(after: try date("2026-01-15T00:00:00Z")) == (try date("2026-02-01T00:00:00Z")))
        let weekdays = try CronSchedule("30 9 * * 1-5")
        // 2026-01-03 is a Saturday.
        #expect(weekdays.next(after: try date("2026-01-03T00:00:00Z")) == (try date("2026-01-05T09:30:00Z")))
    }

    @Test(arguments: ["* * * *", "60 * * * *", "* 24 * * *", "*/0 * * * *", "a * * * *", "5-1 * * * *"])
    func invalidCron(text: String) {
        #expect(throws: CronSchedule.ParseError.self) { _ = try CronSchedule(text) }
    }

    @Test func globs() {
        #expect(Glob.matches("*", "x"))
        #expect(Glob.matches("dyn*", "dynamic") && !Glob.matches("dyn*", "static"))
        #expect(Glob.matches("*-ro", "app-ro") && !Glob.matches("*-ro", "app-rw"))
        #expect(Glob.matches("a*b*c", "aXbYc") && !Glob.matches("a*b*c", "acb"))
        #expect(Glob.matches("exact", "exact") && !Glob.matches("exact", "exactly"))
    }
}
