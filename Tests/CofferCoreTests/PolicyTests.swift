import CofferCore
import CofferSDK
import Testing

@Suite("ACL policies")
struct PolicyTests {
    private static func acl(_ policyNames: [String]) throws -> ACL {
        let policies = try policyNames.map { name -> Policy in
            if name == "root" { return Policy(name: "root", paths: []) }
            if name == "default" { return try PolicyParser.parse(name: name, text: DefaultPolicy.text) }
            return try PolicyParser.parse(name: name, text: OpenBaoOracle.policies[name] ?? "")
        }
        return ACL(policies: policies)
    }

    /// Every case is what OpenBao's `sys/capabilities` answered for the same policies and path.
    @Test(arguments: OpenBaoOracle.cases.indices)
    func capabilitiesMatchOpenBao(index: Int) throws {
        let c = OpenBaoOracle.cases[index]
        let acl = try Self.acl(OpenBaoOracle.tokens[c.token] ?? [])
        #expect(acl.capabilityNames(path: c.path) == c.capabilities, "token \(c.token) path \(c.path)")
    }

    /// Segments are split on the `/` byte: a combining mark after a slash must not glue two segments into one and
    /// let a one-segment wildcard grant a deeper path (the Character pitfall FuzzFields found in comma lists).
    @Test func combiningMarkAfterASlashStillSplits() throws {
        let policy = try PolicyParser.parse(name: "one", text: #"path "secret/data/+" { capabilities = ["read"] }"#)
        let acl = ACL(policies: [policy])
        #expect(acl.capabilityNames(path: "secret/data/a") == ["read"])
        #expect(acl.capabilityNames(path: "secret/data/a/\u{301}b") == ["deny"])
        #expect("a/\u{301}b".pathSegments() == ["a", "\u{301}b"])
    }

    @Test func defaultPolicyParses() throws {
        #expect(DefaultPolicy.text.hasPrefix("\n# Allow tokens to look up their own properties\npath \"auth/token/lookup-self\" {"))
        #expect(DefaultPolicy.text.hasSuffix("path \"identity/oidc/provider/+/authorize\" {\n    capabilities = [\"read\", \"update\"]\n}\n"))
        let policy = try PolicyParser.parse(name: "default", text: DefaultPolicy.text)
        #expect(policy.paths.count == 16)
        #expect(policy.paths.first?.path == "auth/token/lookup-self")
    }

    @Test func identityTemplatesAreFilledOrSkipped() throws {
        let policy = try PolicyParser.parse(name: "default", text: DefaultPolicy.text)
        let withEntity = ACL(policies: [policy], templateValues: ["identity.entity.id": "abc", "identity.entity.name": "bob"])
        #expect(withEntity.capabilityNames(path: "identity/entity/id/abc") == ["read"])
        #expect(withEntity.capabilityNames(path: "identity/entity/name/bob") == ["read"])
        #expect(withEntity.capabilityNames(path: "identity/entity/id/other") == ["deny"])
        let without = ACL(policies: [policy])
        #expect(without.capabilityNames(path: "identity/entity/id/{{identity.entity.id}}") == ["deny"])
    }

    @Test func legacyPolicyField() throws {
        let policy = try PolicyParser.parse(
            name: "legacy",
            text: """
                path "r" { policy = "read" }
                path "w" { policy = "write" }
                path "s" { policy = "sudo" }
                path "d" { policy = "deny" }
                """
        )
        let caps = Dictionary(uniqueKeysWithValues: policy.paths.map { ($0.path, $0.capabilities) })
        #expect(caps["r"] == [.read, .list])
        #expect(caps["w"] == [.create, .read, .update, .delete, .list])
        #expect(caps["s"] == [.create, .read, .update, .delete, .list, .sudo])
        #expect(caps["d"] == [.deny])
    }

    @Test func jsonPolicies() throws {
        let policy = try PolicyParser.parse(name: "j", text: #"{"path":{"secret/*":{"capabilities":["read"]},"a":{"policy":"write"}}}"#)
        #expect(Set(policy.paths.map(\.path)) == ["secret/*", "a"])
        let array = try PolicyParser.parse(name: "j", text: #"{"path":[{"x":{"capabilities":["list"]}},{"y":{"capabilities":["read"]}}]}"#)
        #expect(array.paths.map(\.path) == ["x", "y"])
    }

    @Test func parametersAndWrappingTTLs() throws {
        let policy = try PolicyParser.parse(
            name: "p",
            text: """
                path "a" {
                  capabilities = ["update"]
                  allowed_parameters = { "Foo" = ["x*", 1, true], "bar" = [] }
                  denied_parameters = { "baz" = [] }
                  required_parameters = ["foo"]
                  min_wrapping_ttl = "1m"
                  max_wrapping_ttl = 3600
                }
                """
        )
        let rules = try #require(policy.paths.first)
        #expect(rules.allowedParameters == ["foo": ["x*", 1, true], "bar": []])
        #expect(rules.deniedParameters == ["baz": []])
        #expect(rules.requiredParameters == ["foo"])
        #expect(rules.minWrappingTTL == 60)
        #expect(rules.maxWrappingTTL == 3600)
        let result = ACL(policies: [policy]).allowOperation(path: "a", operation: .update, data: ["foo": "xy"])
        #expect(result.allowed)
        #expect(result.minWrappingTTL == 60)
        #expect(result.maxWrappingTTL == 3600)
        #expect(result.matchedPath == "a")
    }

    /// Requests made against OpenBao with a token holding this policy on a kv-v1 mount, and the status it returned
    /// (204/200/400 → allowed by the ACL, 403 → refused).
    static let parameterPolicy = """
        path "kv1/*" {
         capabilities = ["read","create","update","list","delete"]
         allowed_parameters = {"a" = [], "b" = ["x*", "*y", 5, true]}
         denied_parameters = {"Z" = []}
         required_parameters = ["a"]
        }
        path "kv1/open" {
         capabilities = ["create","update"]
         denied_parameters = {"*" = []}
        }
        path "kv1/star" {
         capabilities = ["create","update"]
         allowed_parameters = {"*" = [], "c" = ["ok"]}
        }
        """

    static let parameterCases: [(operation: CofferSDK.Operation, path: String, data: String, allowed: Bool)] = [
        (.read, "kv1/r", #"{"b":"1"}"#, false),
        (.read, "kv1/r", "{}", false),
        (.update, "kv1/w", #"{"a":"1"}"#, true),
        (.update, "kv1/w", #"{"b":"xx"}"#, false),
        (.update, "kv1/w", #"{"a":1,"b":"xx"}"#, true),
        (.update, "kv1/w", #"{"a":1,"b":"zy"}"#, true),
        (.update, "kv1/w", #"{"a":1,"b":"q"}"#, false),
        (.update, "kv1/w", #"{"a":1,"b":5}"#, false),
        (.update, "kv1/w", #"{"a":1,"b":true}"#, true),
        (.update, "kv1/w", #"{"a":1,"b":"5"}"#, false),
        (.update, "kv1/w", #"{"a":1,"c":1}"#, false),
        (.update, "kv1/w", #"{"a":1,"z":1}"#, false),
        (.update, "kv1/w", #"{"A":1}"#, false),
        (.update, "kv1/w", #"{"a":1,"B":"xx"}"#, true),
        (.update, "kv1/w", #"{"a":1,"b":["xx","xy"]}"#, false),
        (.update, "kv1/w", #"{"a":1,"b":["xx","q"]}"#, false),
        (.update, "kv1/open", #"{"a":1}"#, false),
        (.update, "kv1/open", "{}", true),
        (.update, "kv1/star", #"{"q":1}"#, true),
        (.update, "kv1/star", #"{"c":"ok"}"#, true),
        (.update, "kv1/star", #"{"c":"no"}"#, false),
        (.delete, "kv1/w", "{}", true),
        (.list, "kv1/", "{}", true),
    ]

    @Test(arguments: parameterCases.indices)
    func parameterConstraintsMatchOpenBao(index: Int) throws {
        let c = Self.parameterCases[index]
        let acl = ACL(policies: [try PolicyParser.parse(name: "pp", text: Self.parameterPolicy)])
        let data = try JSONValue.parse(c.data).objectValue ?? [:]
        let result = acl.allowOperation(path: c.path, operation: c.operation, data: data)
        #expect(result.allowed == c.allowed, "\(c.operation) \(c.path) \(c.data): \(String(describing: result.denialReason))")
    }

    @Test func denialReasons() throws {
        let acl = ACL(policies: [
            try PolicyParser.parse(
                name: "p",
                text: """
                    path "d/*" { capabilities = ["deny"] }
                    path "r/*" { capabilities = ["read", "sudo"] }
                    """
            )
        ])
        #expect(acl.allowOperation(path: "nope", operation: .read, data: [:]).denialReason == .noMatchingRule)
        #expect(acl.allowOperation(path: "d/x", operation: .read, data: [:]).denialReason == .explicitDeny)
        let write = acl.allowOperation(path: "r/x", operation: .update, data: [:])
        #expect(!write.allowed)
        #expect(write.denialReason == .missingCapability(.update))
        let read = acl.allowOperation(path: "/r/x", operation: .read, data: [:])
        #expect(read.allowed && read.sudoGranted && !read.isRoot)
        #expect(read.matchedPath == "r/*")
    }

    @Test func rootAllowsEverything() {
        let acl = ACL(policies: [Policy(name: "root", paths: [])])
        let result = acl.allowOperation(path: "sys/raw/x", operation: .delete, data: ["a": 1])
        #expect(result.allowed && result.isRoot && result.sudoGranted)
        #expect(acl.capabilityNames(path: "anything") == ["root"])
        #expect(!acl.capabilities(path: "anything").contains(.deny))
    }

    @Test func listFindsExactRuleWithoutTrailingSlash() throws {
        let acl = ACL(policies: [try PolicyParser.parse(name: "p", text: #"path "secret/metadata" { capabilities = ["list"] }"#)])
        #expect(acl.allowOperation(path: "secret/metadata/", operation: .list, data: [:]).allowed)
        #expect(!acl.allowOperation(path: "secret/metadata/", operation: .read, data: [:]).allowed)
    }

    @Test func mergedWrappingTTLsAndParameters() throws {
        let a = try PolicyParser.parse(
            name: "a",
            text: #"path "x" { capabilities = ["update"] min_wrapping_ttl = 100 max_wrapping_ttl = 200 allowed_parameters = { "k" = ["v1"] } }"#
        )
        let b = try PolicyParser.parse(
            name: "b",
            text: #"path "x" { capabilities = ["read"] min_wrapping_ttl = 50 max_wrapping_ttl = 300 allowed_parameters = { "k" = ["v2"] } }"#
        )
        let acl = ACL(policies: [a, b])
        let result = acl.allowOperation(path: "x", operation: .update, data: ["k": "v1"])
        #expect(result.allowed)
        #expect(result.capabilities == [.read, .update])
        #expect(result.minWrappingTTL == 50)
        #expect(result.maxWrappingTTL == 300)
        #expect(acl.allowOperation(path: "x", operation: .update, data: ["k": "v2"]).allowed)
        #expect(!acl.allowOperation(path: "x", operation: .update, data: ["k": "v3"]).allowed)
    }

    /// Messages OpenBao returned from PUT sys/policies/acl/x (after its `failed to parse policy: ` prefix).
    @Test(arguments: [
        (#"path "a" { capabilities = ["read" "#, "At 1:35: error parsing list, expected comma or list end, got: EOF"),
        ("path \"a\" {\n capabilities = [\"read\"]\n foo = 1 \n}", "path \"a\": 1 error occurred:\n\t* invalid key \"foo\" on line 3\n\n"),
        (
            "path \"a\" {\n capabilities = [\"read\"]\n\n bar = 1\n baz = 2\n}",
            "path \"a\": 2 errors occurred:\n\t* invalid key \"bar\" on line 4\n\t* invalid key \"baz\" on line 5\n\n"
        ),
        ("path \"a\" {\n capabilities = [\"reed\"]\n}", "path \"a\": path \"a\": invalid capability \"reed\""),
        ("path \"a\" {\n capabilities = [\"root\"]\n}", "path \"a\": path \"a\": invalid capability \"root\""),
        ("path \"a\" {\n capabilities = [1]\n}", "path \"a\": path \"a\": invalid capability \"1\""),
        ("path \"a\" {\n policy = \"bogus\"\n}", "path \"a\": path \"a\": invalid policy \"bogus\""),
        (
            "path \"a\" {\n capabilities = [\"read\"]\n min_wrapping_ttl=\"10s\"\n max_wrapping_ttl=\"5s\"}",
            "path \"a\": max_wrapping_ttl cannot be less than min_wrapping_ttl"
        ),
        (
            "path \"a\" {\n capabilities = [\"read\"]\n min_wrapping_ttl=\"bogus\"}",
            "path \"a\": error parsing min_wrapping_ttl: time: invalid duration \"bogus\""
        ),
        ("path \"a/+*/b\" {\n capabilities = [\"read\"]\n}", "path \"a/+*/b\": path \"a/+*/b\": invalid use of wildcards ('+*' is forbidden)"),
        ("pth \"a\" {\n capabilities = [\"read\"]\n}", "1 error occurred:\n\t* invalid key \"pth\" on line 1\n\n"),
        (
            "path \"a\" {\n capabilities = [\"read\"]\n list_scan_response_keys_filter_path = \"x\"\n}",
            "path \"a\": list_scan_response_keys_filter_path needs to be used on a path with the list capability"
        ),
    ])
    func parseErrorsMatchOpenBao(text: String, expected: String) {
        do {
            _ = try PolicyParser.parse(name: "x", text: text)
            Issue.record("expected \(expected)")
        } catch {
            #expect(error.message == expected)
            #expect(error.apiMessage == "failed to parse policy: " + expected)
        }
    }

    @Test func acceptedOddities() throws {
        // OpenBao accepts all of these.
        for text in ["", "# nothing", "path \"a\" {}", "name = \"foo\"\npath \"a\" { capabilities = [\"read\"] }", "path \"a*b\" { capabilities = [\"read\"] }"] {
            _ = try PolicyParser.parse(name: "x", text: text)
        }
    }
}

// Generated from OpenBao 2.7.2 (`bao server -dev`): the policies below were written with PUT sys/policies/acl/:name,
// tokens created with them, and every expected value is what POST sys/capabilities returned for that token and path.
enum OpenBaoOracle {
    static let policies: [String: String] = [
        "p1": #"""
            path "secret/*" { capabilities = ["read","list"] }
            path "secret/foo" { capabilities = ["create","update"] }
            path "secret/foo/*" { capabilities = ["delete"] }
            path "secret/deny/*" { capabilities = ["deny"] }
            path "secret/+/bar" { capabilities = ["patch"] }
            path "secret/+/+/baz" { capabilities = ["sudo","read"] }
            path "secret/a/+/c*" { capabilities = ["update"] }
            path "secret/a/b/*" { capabilities = ["list"] }
            path "secret/+" { capabilities = ["create"] }
            path "kv/data/+/*" { capabilities = ["read"] }
            path "kv/data/team/*" { capabilities = ["update"] }
            path "kv/data/+/x" { capabilities = ["delete"] }
            path "kv/+/team/*" { capabilities = ["list"] }
            path "kv/+/+/deep" { capabilities = ["sudo"] }
            path "kv/data/+/deep" { capabilities = ["create"] }
            path "a*b" { capabilities = ["read"] }
            path "legacy/read" { policy = "read" }
            path "legacy/write" { policy = "write" }
            path "legacy/sudo" { policy = "sudo" }
            path "legacy/deny" { policy = "deny" }
            path "legacy/mixed" {
             policy = "read"
             capabilities = ["update"]
            }
            path "empty/exact" { }
            path "empty/*" { capabilities = ["read"] }
            path "plus/+" { capabilities = ["read"] }
            path "x/+a/b" { capabilities = ["read"] }
            path "merge/*" { capabilities = ["read"] }
            path "merge/exact" { capabilities = ["read"] }
            path "den/exact" { capabilities = ["read", "deny"] }
            path "lst/" { capabilities = ["list"] }
            path "lst/*" { capabilities = ["read"] }
            path "seg/+" { capabilities = ["read"] }
            path "seg/+/+" { capabilities = ["list"] }
            path "seg/a/*" { capabilities = ["update"] }
            path "g/ab*" { capabilities = ["read"] }
            path "g/a*" { capabilities = ["list"] }
            path "g/abc" { capabilities = ["delete"] }
            path "r1/+/b/*" { capabilities = ["read"] }
            path "r1/a/+/*" { capabilities = ["list"] }
            path "r2/+/bb" { capabilities = ["read"] }
            path "r2/+/b*" { capabilities = ["list"] }
            path "r3/+/x" { capabilities = ["read"] }
            path "r3/a/*" { capabilities = ["list"] }
            path "r4/ab/+" { capabilities = ["read"] }
            path "r4/aa/+" { capabilities = ["list"] }
            path "t/+/a/b" { capabilities = ["read"] }
            path "t/+/+/b" { capabilities = ["list"] }
            path "u/+/a*" { capabilities = ["read"] }
            path "u/+/ab*" { capabilities = ["list"] }
            path "w/+/+b*" { capabilities = ["read"] }
            path "w/+/ab*" { capabilities = ["list"] }
            """#,
        "p2": #"""
            path "merge/*" { capabilities = ["update"] }
            path "merge/exact" { capabilities = ["deny"] }
            path "secret/foo" { capabilities = ["read"] }
            path "secret/deny/*" { capabilities = ["read"] }
            path "secret/+/bar" { capabilities = ["read"] }
            path "r4/+/+" { capabilities = ["sudo"] }
            """#,
        "p3": #"""
            path "*" { capabilities = ["read"] }
            path "sys/+" { capabilities = ["list"] }
            path "+" { capabilities = ["update"] }
            path "+/*" { capabilities = ["create"] }
            path "+/x/*" { capabilities = ["delete"] }
            """#,
    ]
    /// token name → policies attached to it
    static let tokens: [String: [String]] = [
        "multi": ["p1", "p2"],
        "star": ["p3"],
        "root": ["root"],
        "default": ["default"],
        "none": ["p2"],
    ]
    /// (token, path, capabilities returned by sys/capabilities)
    static let cases: [(token: String, path: String, capabilities: [String])] = [
        ("multi", "secret/x", ["create"]),
        ("multi", "secret/", ["create"]),
        ("multi", "secret", ["deny"]),
        ("multi", "secret/foo", ["create", "read", "update"]),
        ("multi", "secret/foo/", ["create", "read", "update"]),
        ("multi", "secret/foo/bar", ["delete"]),
        ("multi", "secret/foo/bar/baz", ["delete"]),
        ("multi", "secret/deny/x", ["deny"]),
        ("multi", "secret/deny", ["create"]),
        ("multi", "secret/deny/", ["deny"]),
        ("multi", "secret/x/bar", ["patch", "read"]),
        ("multi", "secret/x/y/baz", ["read", "sudo"]),
        ("multi", "secret/a/b/c", ["list"]),
        ("multi", "secret/a/b/cde", ["list"]),
        ("multi", "secret/a/b/cde/f", ["list"]),
        ("multi", "secret/a/b/d", ["list"]),
        ("multi", "secret/a/x/c", ["update"]),
        ("multi", "secret/a/b/", ["list"]),
        ("multi", "secret/q", ["create"]),
        ("multi", "secret/a/b", ["list", "read"]),
        ("multi", "secret/q/", ["list", "read"]),
        ("multi", "secret//bar", ["patch", "read"]),
        ("multi", "secret/x/bar/", ["list", "read"]),
        ("multi", "kv/data/team/x", ["update"]),
        ("multi", "kv/data/other/x", ["delete"]),
        ("multi", "kv/data/team/y/z", ["update"]),
        ("multi", "kv/data/x", ["deny"]),
        ("multi", "kv/data/", ["deny"]),
        ("multi", "kv/metadata/team/x", ["list"]),
        ("multi", "kv/data/team/deep", ["update"]),
        ("multi", "kv/data/o/deep", ["create"]),
        ("multi", "kv/meta/o/deep", ["sudo"]),
        ("multi", "a*b", ["read"]),
        ("multi", "ab", ["deny"]),
        ("multi", "axb", ["deny"]),
        ("multi", "legacy/read", ["list", "read"]),
        ("multi", "legacy/write", ["create", "delete", "list", "read", "update"]),
        ("multi", "legacy/sudo", ["create", "delete", "list", "read", "sudo", "update"]),
        ("multi", "legacy/deny", ["deny"]),
        ("multi", "legacy/mixed", ["list", "read", "update"]),
        ("multi", "empty/exact", ["deny"]),
        ("multi", "empty/other", ["read"]),
        ("multi", "plus/x", ["read"]),
        ("multi", "plus/x/y", ["deny"]),
        ("multi", "plus/", ["read"]),
        ("multi", "plus", ["deny"]),
        ("multi", "x/+a/b", ["read"]),
        ("multi", "x/za/b", ["deny"]),
        ("multi", "merge/x", ["read", "update"]),
        ("multi", "merge/exact", ["deny"]),
        ("multi", "den/exact", ["deny"]),
        ("multi", "nomatch", ["deny"]),
        ("multi", "/secret/x", ["create"]),
        ("multi", "lst/", ["list"]),
        ("multi", "lst", ["deny"]),
        ("multi", "lst/x", ["read"]),
        ("multi", "seg/x", ["read"]),
        ("multi", "seg/a", ["read"]),
        ("multi", "seg/a/b", ["update"]),
        ("multi", "seg/x/y", ["list"]),
        ("multi", "seg/a/b/c", ["update"]),
        ("multi", "seg/", ["read"]),
        ("multi", "g/abc", ["delete"]),
        ("multi", "g/abd", ["read"]),
        ("multi", "g/ac", ["list"]),
        ("multi", "g/a", ["list"]),
        ("multi", "g/ab", ["read"]),
        ("multi", "r1/a/b/c", ["list"]),
        ("multi", "r1/a/b/", ["list"]),
        ("multi", "r1/x/b/c", ["read"]),
        ("multi", "r1/a/x/c", ["list"]),
        ("multi", "r2/a/bb", ["read"]),
        ("multi", "r2/a/bc", ["list"]),
        ("multi", "r2/a/b", ["list"]),
        ("multi", "r3/a/x", ["list"]),
        ("multi", "r3/b/x", ["read"]),
        ("multi", "r3/a/y", ["list"]),
        ("multi", "r4/ab/x", ["read"]),
        ("multi", "r4/aa/x", ["list"]),
        ("multi", "r4/ac/x", ["sudo"]),
        ("multi", "t/x/a/b", ["read"]),
        ("multi", "t/x/y/b", ["list"]),
        ("multi", "u/x/abc", ["list"]),
        ("multi", "u/x/ac", ["read"]),
        ("multi", "w/x/abc", ["list"]),
        ("multi", "w/x/zb", ["deny"]),
        ("star", "anything", ["update"]),
        ("star", "sys/mounts", ["list"]),
        ("star", "sys/mounts/x", ["read"]),
        ("star", "a/x/b", ["read"]),
        ("star", "a/x", ["read"]),
        ("star", "sys", ["update"]),
        ("star", "a/b/c", ["read"]),
        ("star", "a/", ["read"]),
        ("star", "a", ["update"]),
        ("root", "secret/x", ["root"]),
        ("root", "sys/mounts", ["root"]),
        ("default", "cubbyhole/x", ["create", "delete", "list", "read", "update"]),
        ("default", "cubbyhole", ["deny"]),
        ("default", "cubbyhole/", ["create", "delete", "list", "read", "update"]),
        ("default", "auth/token/lookup-self", ["read"]),
        ("default", "sys/capabilities-self", ["update"]),
        ("default", "identity/oidc/provider/foo/authorize", ["read", "update"]),
        ("default", "identity/entity/id/xyz", ["deny"]),
        ("default", "identity/entity/id/{{identity.entity.id}}", ["deny"]),
        ("default", "sys/tools/hash/sha2-256", ["update"]),
        ("default", "sys/tools/hash", ["update"]),
        ("default", "sys/mounts", ["deny"]),
        ("none", "merge/exact", ["deny"]),
        ("none", "merge/x", ["update"]),
        ("none", "r4/aa/x", ["sudo"]),
        ("none", "other", ["deny"]),
    ]
}
