import CofferHCL
import CofferSDK
import Testing

@Suite("HCL parser")
struct HCLParserTests {
    private func json(_ text: String) throws -> String { try HCL.parse(text).serialized() }

    @Test func policyBlockNestsByLabel() throws {
        #expect(try json(#"path "secret/*" { capabilities = ["read"] }"#) == #"{"path":{"secret/*":{"capabilities":["read"]}}}"#)
    }

    @Test func blocksWithDifferentLabelsMerge() throws {
        let text = """
            path "a" { x = 1 }
            path "b" { y = 2 }
            audit "file" "one" { path = "/tmp/a" }
            audit "file" "two" { path = "/tmp/b" }
            """
        #expect(
            try json(text)
                == #"{"audit":{"file":{"one":{"path":"/tmp/a"},"two":{"path":"/tmp/b"}}},"path":{"a":{"x":1},"b":{"y":2}}}"#
        )
    }

    @Test func repeatedFullyLabelledBlocksBecomeAnArray() throws {
        let text = """
            path "a" { capabilities = ["read"] }
            path "a" { capabilities = ["list"] }
            path "a" { capabilities = ["update"] }
            listener "tcp" { address = "x" }
            """
        #expect(
            try json(text)
                == #"{"listener":{"tcp":{"address":"x"}},"path":{"a":[{"capabilities":["read"]},{"capabilities":["list"]},{"capabilities":["update"]}]}}"#
        )
    }

    @Test func commentsAndScalars() throws {
        let text = """
            # hash comment
            // slash comment
            /* block
               comment */
            a = 1 # trailing
            b = -2.5
            c = 0x1F
            d = true
            e = false
            f = 1e3
            g = "tab\\there \\"quoted\\" \\u00e9 \\\\"
            h = [1, "two", [3], { x = 4 },]
            i = []
            j = { k = "v", l = { m = 1 } }
            k-dash.dot = "ok"
            "quoted key" = "yes"
            interp = "${var.x["y"]}"
            """
        let value = try HCL.parse(text)
        #expect(value["a"] == .int(1))
        #expect(value["b"] == .double(-2.5))
        #expect(value["c"] == .int(31))
        #expect(value["d"] == .bool(true))
        #expect(value["e"] == .bool(false))
        #expect(value["f"] == .double(1000))
        #expect(value["g"] == .string("tab\there \"quoted\" é \\"))
        #expect(value["h"] == [1, "two", [3], ["x": 4]])
        #expect(value["i"] == [])
        #expect(value["j"] == ["k": "v", "l": ["m": 1]])
        #expect(value["k-dash.dot"] == "ok")
        #expect(value["quoted key"] == "yes")
        #expect(value["interp"] == #"${var.x["y"]}"#)
    }

    @Test func heredocs() throws {
        let text = """
            a = <<EOF
            line one
              line two
            EOF
            b = <<-EOT
                indented
                  more
                EOT
            c = 1
            """
        let value = try HCL.parse(text)
        #expect(value["a"] == "line one\n  line two\n")
        #expect(value["b"] == "indented\n  more\n")
        #expect(value["c"] == 1)
    }

    @Test func vaultServerConfig() throws {
        let text = """
            storage "sqlite" {
              path = "/var/lib/coffer.db"
            }
            listener "tcp" {
              address     = "127.0.0.1:8200"
              tls_disable = 1
            }
            ui = true
            default_lease_ttl = "768h"
            """
        #expect(
            try json(text)
                == #"{"default_lease_ttl":"768h","listener":{"tcp":{"address":"127.0.0.1:8200","tls_disable":1}},"storage":{"sqlite":{"path":"/var/lib/coffer.db"}},"ui":true}"#
        )
    }

    @Test func jsonInputIsAccepted() throws {
        #expect(try json(#"  {"path":{"a":{"capabilities":["read"]}}}"#) == #"{"path":{"a":{"capabilities":["read"]}}}"#)
        #expect(throws: HCLError.self) { try HCL.parse("{\n\"a\": }") }
    }

    @Test func sourceMapRecordsKeyLines() throws {
        let (_, map) = try HCL.parseWithSourceMap("\n\npath \"a\" {\n  capabilities = []\n  foo = 1\n}\n")
        #expect(map.line(of: ["path"]) == 3)
        #expect(map.line(of: ["path", "a"]) == 3)
        #expect(map.line(of: ["path", "a", "foo"]) == 5)
    }

    /// Messages and positions as OpenBao reports them for the same input.
    @Test(arguments: [
        (#"path "a" { capabilities = ["read" "#, "At 1:35: error parsing list, expected comma or list end, got: EOF"),
        ("path \"a\" {\n capabilities = [\"read\"\n}", "At 3:1: error parsing list, expected comma or list end, got: RBRACE"),
        ("path \"a\" {\n capabilities = \n}", "At 3:1: Unknown token: 3:1 RBRACE }"),
        ("path \"a {\n capabilities = [\"read\"]\n}", "At 1:10: literal not terminated"),
        ("path \"a\" {\n capabilities = [\"read\"]\n}}", "At 3:2: expected: IDENT | STRING | ASSIGN | LBRACE got: RBRACE"),
        ("\n\npath \"a\" \n capabilities = [\"read\"]\n}", "At 4:15: nested object expected: LBRACE got: ASSIGN"),
    ])
    func syntaxErrorsMatchOpenBao(text: String, expected: String) {
        #expect(throws: HCLError.self) { try HCL.parse(text) }
        do {
            _ = try HCL.parse(text)
        } catch {
            #expect(error.description == expected)
        }
    }

    @Test func errorCarriesLineAndColumn() {
        do {
            _ = try HCL.parse("a = 1\nb = 2\nc 3")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 3)
            #expect(error.column == 3)
            #expect(error.description.hasPrefix("At 3:3: "))
        }
    }

    @Test func unterminatedConstructs() {
        #expect(throws: HCLError.self) { try HCL.parse("a = <<EOF\nnever ends\n") }
        #expect(throws: HCLError.self) { try HCL.parse("/* open") }
        #expect(throws: HCLError.self) { try HCL.parse("a { b = 1") }
        #expect(throws: HCLError.self) { try HCL.parse("a = \"bad \\q escape\"") }
    }
}
