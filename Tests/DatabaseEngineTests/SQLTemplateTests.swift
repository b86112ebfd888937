import Foundation
import Testing

@testable import DatabaseEngine

/// The statement lexer: each placeholder escaped for its context, with hostile values.
@Suite struct SQLTemplateTests {
    /// The default revocation's `DO` block: the name enters only as a dollar-quoted literal whose tag it cannot hold.
    @Test func dropUserBlockQuotesTheNameAndRefusesItsTags() throws {
        let block = try #require(PostgresConnector.dropUserBlock(role: #"v-a"b'c$$d;e\f"#))
        #expect(block.contains(#"ARRAY[$coffer_role$v-a"b'c$$d;e\f$coffer_role$]::text[]"#))
        let many = try #require(PostgresConnector.dropUsersBlock(roles: ["a", "b'c"]))
        #expect(many.contains(#"ARRAY[$coffer_role$a$coffer_role$, $coffer_role$b'c$coffer_role$]::text[]"#))
        #expect(PostgresConnector.dropUsersBlock(roles: ["a", "b$coffer_role$"]) == nil)
        #expect(PostgresConnector.dropUsersBlock(roles: []) == nil)
        #expect(block.hasPrefix("DO $coffer_revoke$") && block.hasSuffix("$coffer_revoke$"))
        #expect(PostgresConnector.dropUserBlock(role: "x$coffer_role$; DROP ROLE postgres; --") == nil)
        #expect(PostgresConnector.dropUserBlock(role: "x$coffer_revoke$") == nil)
        #expect(PostgresConnector.dropUserBlock(role: "a\u{0}b") == nil)
    }

    static let hostile = [#"a"b"#, "a'b", #"a\b"#, "a$$b", "a;b", "x\"; DROP TABLE t; --", "ü名前🔑", "'); DROP ROLE x; --"]

    @Test(arguments: hostile)
    func doubleQuotedIdentifier(value: String) throws {
        let out = try SQLTemplate.render(#"CREATE ROLE "{{name}}";"#, ["name": value])
        #expect(out == "CREATE ROLE \"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\";")
    }

    @Test(arguments: hostile)
    func singleQuotedLiteral(value: String) throws {
        let out = try SQLTemplate.render("ALTER ROLE \"u\" WITH PASSWORD '{{password}}';", ["password": value])
        #expect(out == "ALTER ROLE \"u\" WITH PASSWORD '" + value.replacingOccurrences(of: "'", with: "''") + "';")
    }

    @Test func bareValuesAreQuoted() throws {
        let out = try SQLTemplate.render(
            "CREATE ROLE {{name}} PASSWORD {{password}} VALID UNTIL {{expiration}}",
            ["name": #"a"b"#, "password": "p'w", "expiration": "2026-01-01 00:00:00+0000"])
        #expect(out == #"CREATE ROLE "a""b" PASSWORD 'p''w' VALID UNTIL '2026-01-01 00:00:00+0000'"#)
    }

    @Test func spacesInsideBracesAndUnknownKeysStay() throws {
        #expect(try SQLTemplate.render(#""{{ name }}" {{other}}"#, ["name": "n"]) == #""n" {{other}}"#)
    }

    @Test func nulIsRefused() {
        #expect(throws: SQLTemplate.RenderError.self) { try SQLTemplate.render(#""{{name}}""#, ["name": "a\u{0}b"]) }
        #expect(throws: SQLTemplate.RenderError.self) { try SQLTemplate.render("'{{password}}'", ["password": "\u{0}"]) }
    }

    @Test func escapeStringsAreRefused() throws {
        #expect(throws: SQLTemplate.RenderError.self) { try SQLTemplate.render("SELECT E'{{password}}'", ["password": "x"]) }
        #expect(throws: SQLTemplate.RenderError.self) { try SQLTemplate.render("SELECT e'{{password}}'", ["password": "x"]) }
        #expect(throws: SQLTemplate.RenderError.self) { try SQLTemplate.render(#"SELECT U&"{{name}}""#, ["name": "x"]) }
        // A word ending in e before a quote is not an E string.
        #expect(try SQLTemplate.render("SELECT name'{{password}}'", ["password": "x"]) == "SELECT name'x'")
    }

    @Test func commentsAreRefused() throws {
        #expect(throws: SQLTemplate.RenderError.self) { try SQLTemplate.render("-- {{name}}\nSELECT 1", ["name": "x"]) }
        #expect(throws: SQLTemplate.RenderError.self) { try SQLTemplate.render("/* {{name}} */", ["name": "x"]) }
        // After the comment ends, context is bare again.
        #expect(try SQLTemplate.render("-- c\n{{name}}", ["name": "x"]) == "-- c\n\"x\"")
    }

    @Test func dollarBodiesAreSQLButTheirTagIsRefused() throws {
        let t = #"DO $$ BEGIN CREATE ROLE "{{name}}" PASSWORD '{{password}}'; END $$;"#
        #expect(try SQLTemplate.render(t, ["name": "n", "password": "p'q"]) == #"DO $$ BEGIN CREATE ROLE "n" PASSWORD 'p''q'; END $$;"#)
        #expect(throws: SQLTemplate.RenderError.self) { try SQLTemplate.render(t, ["name": "n", "password": "a$$b"]) }
        let tagged = #"DO $body$ BEGIN EXECUTE '{{password}}'; END $body$"#
        #expect(throws: SQLTemplate.RenderError.self) { try SQLTemplate.render(tagged, ["password": "x$body$y"]) }
        #expect(try SQLTemplate.render(tagged, ["password": "x$$y"]) == #"DO $body$ BEGIN EXECUTE 'x$$y'; END $body$"#)
    }

    @Test func quotesInTheTemplateTrackContext() throws {
        // A doubled quote inside a literal does not end it.
        #expect(try SQLTemplate.render("'it''s {{password}}'", ["password": "a'"]) == "'it''s a'''")
        #expect(try SQLTemplate.render(#"'"' "{{name}}""#, ["name": "a\""]) == #"'"' "a""""#)
    }

    @Test func splitOnSemicolonsOutsideQuotes() {
        #expect(SQLTemplate.split("A; B;; C ;") == ["A", "B", "C"])
        #expect(SQLTemplate.split(#"CREATE ROLE "a;b" PASSWORD 'x;y'; GRANT x TO "a;b";"#) == [#"CREATE ROLE "a;b" PASSWORD 'x;y'"#, #"GRANT x TO "a;b""#])
        #expect(SQLTemplate.split("SELECT $$a;b$$; SELECT 2") == ["SELECT $$a;b$$", "SELECT 2"])
        #expect(SQLTemplate.split("SELECT 1 -- a;b\n; SELECT 2") == ["SELECT 1 -- a;b", "SELECT 2"])
        #expect(SQLTemplate.split("  ") == [])
    }

    @Test func statementsWithEndStayWhole() {
        let body = "DO\nBEGIN\n  CREATE ROLE x;\n  GRANT y TO x;\nEND\n"
        #expect(SQLTemplate.split(body) == [body.trimmingSpaces])
        // END inside a quoted string does not count.
        #expect(SQLTemplate.split("SELECT 'END '; SELECT 2") == ["SELECT 'END '", "SELECT 2"])
        // Nor does a word that contains it.
        #expect(SQLTemplate.split("SELECT ENDING; SELECT 2") == ["SELECT ENDING", "SELECT 2"])
    }

    @Test func quoting() {
        #expect(SQLTemplate.quoteIdentifier(#"a"b"#) == #""a""b""#)
        #expect(SQLTemplate.quoteLiteral("a'b\\") == "'a''b\\'")
    }
}
