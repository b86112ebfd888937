import Foundation
import Testing

@testable import DatabaseEngine

@Suite struct UsernameTemplateTests {
    let now = Date(timeIntervalSince1970: 1_796_660_197)

    func render(_ t: String, display: String = "token", role: String = "dyn") throws -> String {
        try UsernameTemplate(t).render(.init(displayName: display, roleName: role, now: now))
    }

    @Test func defaultShapeMatchesOpenBao() throws {
        // LIVE: v-token-dyn-D5qQ8UdbcwGHwNJkwt3U-1796660197
        let u = try render(UsernameTemplate.defaultText)
        let parts = u.split(separator: "-")
        #expect(parts.count == 5)
        #expect(parts[0] == "v" && parts[1] == "token" && parts[2] == "dyn" && parts[4] == "1796660197")
        #expect(parts[3].count == 20 && parts[3].allSatisfy { $0.isLetter || $0.isNumber })
    }

    @Test func defaultTruncatesTo63() throws {
        let u = try render(UsernameTemplate.defaultText, display: String(repeating: "d", count: 40), role: String(repeating: "r", count: 40))
        #expect(u.hasPrefix("v-dddddddd-rrrrrrrr-"))
        #expect(u.count <= 63)
    }

    @Test func functionsAndPipes() throws {
        #expect(try render("coffer-{{.RoleName}}-{{random 8}}").count == "coffer-dyn-".count + 8)
        #expect(try render("{{.DisplayName | uppercase}}") == "TOKEN")
        #expect(try render("{{ .RoleName | replace \"d\" \"D\" | truncate 2 }}") == "Dy")
        #expect(try render("{{lowercase \"ABC\"}}") == "abc")
        #expect(try render("{{unix_time}}") == "1796660197")
        #expect(try render("{{unix_time_millis}}") == "1796660197000")
        #expect(try render("{{printf \"%s_%d%%\" .RoleName 7}}") == "dyn_7%")
        #expect(try render("a {{- \" b\" -}} c") == "a bc")
        #expect(try render("{{timestamp \"2006-01-02\"}}") == "2026-12-07")
        #expect(try render("{{ truncate_sha256 10 \"abcdefghijklmnop\" }}").count == 10)
    }

    @Test(arguments: ["{{", "{{nosuch}}", "{{.Other}}", "{{random}}", "{{ \"unterminated }}", "{{truncate 2 .RoleName .DisplayName}}", "{{)}}"])
    func invalidTemplates(text: String) {
        #expect(throws: UsernameTemplate.ParseError.self) { _ = try UsernameTemplate(text).render(.init(displayName: "d", roleName: "r")) }
    }
}
