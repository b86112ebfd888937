import CofferSDK
import CofferTesting
import Foundation
import Testing

/// The engine framework: pattern matching, routing, validation, unsupported paths and operations, warnings, help
/// and the OpenAPI document, on a small engine declared here.
@Suite struct FrameworkTests {
    struct Echo: FrameworkEngine {
        static let router = PathRouter<Echo>([
            EnginePath(
                "keys/?",
                operations: [.list: .init("List keys.") { _, _ in LogicalResponse(data: ["keys": ["a"]]) }],
                synopsis: "List the keys."),
            EnginePath(
                "keys/{name}",
                fields: [
                    Field("name", .string, "The key's name."), .int("count", default: 3, "How many."),
                    .duration("ttl", "How long."), .bool("flag"),
                ],
                operations: [
                    .read: .init("Read a key.") { _, req in
                        LogicalResponse(data: [
                            "name": .string(try req.fields.string("name")), "count": .int(try req.fields.int("count")),
                            "ttl_set": .bool(try req.fields.durationIfSet("ttl") != nil),
                        ])
                    },
                    .update: .init("Write a key.", noContent: true) { _, req in
                        LogicalResponse(data: ["operation": .string(req.operation.rawValue), "ttl": .int(try req.fields.duration("ttl"))])
                    },
                    .delete: .init(noContent: true) { _, _ in nil },
                ],
                existenceCheck: { _, req in try req.fields.string("name") == "present" },
                synopsis: "Manage a key.", description: "Keys hold counts."),
            EnginePath(
                "keys/{name}/rotate",
                fields: [Field("name", .string)],
                operations: [.update: .init { _, _ in LogicalResponse(data: ["rotated": true]) }]),
            EnginePath(
                "sign/{name}/{algorithm?}",
                fields: [Field("name", .string), Field("algorithm", .string, default: "sha2-256")],
                operations: [.update: .init { _, req in LogicalResponse(data: ["algorithm": .string(try req.fields.string("algorithm"))]) }]),
            EnginePath(
                "data/{path*}",
                operations: [.read: .init { _, req in LogicalResponse(data: ["path": .string(try req.fields.string("path"))]) }],
                takesArbitraryInput: true),
            EnginePath(
                "login/{user:any}", fields: [Field("user", .string), .string("password")],
                operations: [.update: .init { _, _ in LogicalResponse(data: [:]) }], unauthenticated: true),
        ])
    }

    let storage = InMemoryPhysicalBackend()

    func send(_ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:]) async throws -> LogicalResponse? {
        try await EngineDispatch.send(Echo(), LogicalRequest(operation: op, path: path, data: data, storage: storage))
    }

    func error(_ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:]) async -> LogicalError? {
        do {
            _ = try await send(op, path, data)
            return nil
        } catch {
            return error as? LogicalError
        }
    }

    @Test func patternsMatchAsDeclared() {
        let trie = PathTrie(["keys/?", "keys/{name}", "keys/{name}/rotate", "sign/{name}/{algorithm?}", "data/{path*}", "x/{p+}"].map(PathPattern.init))
        func route(_ p: String) -> Int? { trie.match(p)?.route }
        #expect(route("keys") == 0)
        #expect(route("keys/") == 0)
        #expect(route("keys/k1") == 1)
        #expect(route("keys/k1/rotate") == 2)
        #expect(route("keys/k1/other") == nil)
        #expect(route("keys/-bad") == nil)  // not a generic name
        #expect(route("keys/a.b-c_d") == 1)
        #expect(route("keys/a") == 1)
        #expect(route("keys/a-") == nil)
        #expect(route("keys/.a") == nil)
        #expect(route("keys/é") == nil)  // ASCII word characters only
        #expect(route("sign/k") == 3)
        #expect(route("sign/k/sha2-512") == 3)
        #expect(trie.match("sign/k/sha2-512")?.captures.map(\.value) == ["k", "sha2-512"])
        #expect(route("data") == nil)
        #expect(route("data/") == 4)
        #expect(trie.match("data/a/b/c")?.captures.first?.value == "a/b/c")
        #expect(route("x/") == nil)
        #expect(route("x/y") == 5)
        #expect(route("nope") == nil)
        // A rest capture with a literal tail (`mounts/{path+}/tune`).
        let tune = PathTrie(["mounts/{path+}/tune", "mounts/{path+}"].map(PathPattern.init))
        #expect(tune.match("mounts/a/b/tune")?.route == 0)
        #expect(tune.match("mounts/a/b/tune")?.captures.first?.value == "a/b")
        #expect(tune.match("mounts/tune")?.route == 1)
        #expect(tune.match("mounts/tune")?.captures.first?.value == "tune")
        #expect(tune.match("mounts/a/tune/x")?.captures.first?.value == "a/tune/x")
        #expect(tune.match("mounts/") == nil)
        #expect(PathPattern("sign/{name}/{algorithm?}").regex == #"^sign/(?P<name>\w(([\w-.]+)?\w)?)(/(?P<algorithm>\w(([\w-.]+)?\w)?))?$"#)
        // An optional last part that may hold `/` (OpenBao's OptionalParamRegex).
        let optionalRest = PathTrie(["random/{source?}/{urlbytes+?}"].map(PathPattern.init))
        #expect(optionalRest.match("random")?.captures.isEmpty == true)
        #expect(optionalRest.match("random/all")?.captures.map(\.name) == ["source"])
        #expect(optionalRest.match("random/all/4/5")?.captures.map(\.value) == ["all", "4/5"])
        #expect(optionalRest.match("random/a b")?.captures.map(\.name) == ["urlbytes"])
        // As the regex backtracks: no source, and the rest is "all/".
        #expect(optionalRest.match("random/all/")?.captures.map(\.value) == ["all/"])
        #expect(PathTrie(["hmac/{name}/{urlalgorithm+?}"].map(PathPattern.init)).match("hmac/k/") == nil)
        #expect(PathPattern("hmac/{name}/{urlalgorithm+?}").regex == #"^hmac/(?P<name>\w(([\w-.]+)?\w)?)(/(?P<urlalgorithm>.+))?$"#)
        #expect(PathPattern("hmac/{name}/{urlalgorithm+?}").openAPIPaths == ["hmac/{name}", "hmac/{name}/{urlalgorithm}"])
        // Segments end at the `/` byte, also before a combining mark (one Character with the slash).
        #expect(route("keys/k1/\u{301}rotate") == nil)
        #expect(trie.match("data/a/\u{301}b/")?.captures.first?.value == "a/\u{301}b/")
        #expect(tune.match("mounts/a/\u{301}b/tune")?.captures.first?.value == "a/\u{301}b")
    }

    @Test func pathSegmentsSplitOnTheSlashByte() {
        #expect("".pathSegments() == [""])
        #expect("".pathSegments(omittingEmpty: true) == [])
        #expect("/".pathSegments() == ["", ""])
        #expect("a//b/".pathSegments() == ["a", "", "b", ""])
        #expect("a//b/".pathSegments(omittingEmpty: true) == ["a", "b"])
        #expect("/é/\u{301}x".pathSegments() == ["", "é", "\u{301}x"])
        #expect("x/a/b"["x/a/b".index(after: "x/a/b".firstIndex(of: "/")!)...].pathSegments() == ["a", "b"])
    }

    @Test func routesCapturesAndDefaults() async throws {
        let r = try await send(.read, "keys/k1")
        #expect(r?.data?["name"] == "k1")
        #expect(r?.data?["count"] == 3)
        #expect(r?.data?["ttl_set"] == false)
        #expect(try await send(.read, "keys/k1", ["count": "7"])?.data?["count"] == 7)
        // An optional part the path leaves out reads as "", not as the default (OpenBao sets every named group).
        #expect(try await send(.update, "sign/k")?.data?["algorithm"] == "")
        #expect(try await send(.update, "sign/k/sha2-512")?.data?["algorithm"] == "sha2-512")
        #expect(try await send(.read, "data/a/b")?.data?["path"] == "a/b")
        #expect(try await send(.list, "keys/")?.data?["keys"] == ["a"])
    }

    @Test func existenceCheckDecidesCreateOrUpdate() async throws {
        #expect(try await send(.update, "keys/absent")?.data?["operation"] == "create")
        #expect(try await send(.update, "keys/present")?.data?["operation"] == "update")
    }

    @Test func unsupportedPathsAndOperationsComeFromTheFramework() async throws {
        #expect(await error(.read, "nope")?.messages == ["1 error occurred:\n\t* unsupported path\n\n"])
        #expect(await error(.read, "nope")?.code == .unsupportedPath)
        #expect(await error(.list, "keys/k1/rotate")?.messages == ["1 error occurred:\n\t* unsupported operation\n\n"])
        #expect(await error(.list, "keys/k1/rotate")?.code == .unsupportedOperation)
        // A login path shows them bare.
        #expect(await error(.read, "login/u")?.messages == ["unsupported operation"])
    }

    @Test func fieldsAreValidatedBeforeTheHandler() async throws {
        // A read: the prefix.
        #expect(
            await error(.read, "keys/k1", ["count": "x"])?.messages
                == ["Field validation failed: error converting input for field \"count\": '' cannot parse value as 'int': strconv.ParseInt: invalid syntax"])
        // A write on a path with an existence check: validated there, without the prefix.
        #expect(
            await error(.update, "keys/k1", ["ttl": "-1h"])?.messages
                == ["error converting input for field \"ttl\": cannot provide negative value '-3600'"])
        // A login: a 500 with the prefix.
        let login = await error(.update, "login/u", ["password": ["a"]])
        #expect(login?.code == .internal)
        #expect(login?.messages.first?.hasPrefix("Field validation failed: error converting input for field \"password\"") == true)
        // An undeclared field is never converted (and never refused).
        #expect(await error(.read, "keys/k1", ["other": ["x": 1]]) == nil)
    }

    @Test func ignoredFieldsAreNamedOnlyWhenThereIsAResponse() async throws {
        let r = try await send(.read, "keys/k1", ["zeta": "1", "alpha": "2", "count": "1"])
        #expect(r?.warnings == ["Endpoint ignored these unrecognized parameters: [alpha zeta]"])
        #expect(try await send(.delete, "keys/k1", ["zeta": "1"]) == nil)
        #expect(try await send(.read, "data/x", ["anything": "1"])?.warnings == [])
        // A body value of a captured name is replaced with a warning, even when equal or when the optional part is
        // absent from the path (a null is not a value).
        let replaced = { (n: String) in "Endpoint replaced the value of these parameters with the values captured from the endpoint's path: [\(n)]" }
        #expect(try await send(.read, "keys/k1", ["name": "k1"])?.warnings == [replaced("name")])
        #expect(try await send(.update, "sign/k", ["algorithm": "sha2-512"])?.warnings == [replaced("algorithm")])
        #expect(try await send(.update, "sign/k", ["algorithm": .null])?.warnings == [])
    }

    @Test func specialPathsComeFromTheDeclarations() {
        #expect(Echo().specialPaths.unauthenticated == ["login/*"])
        #expect(Echo().specialPaths.root.isEmpty)
    }

    @Test func helpIsWrittenFromTheDeclaration() async throws {
        let r = try await send(.help, "keys/k1")
        let help = r?.data?["help"]?.stringValue ?? ""
        #expect(help.hasPrefix("Request:        keys/k1\nMatching Route: ^keys/(?P<name>\\w(([\\w-.]+)?\\w)?)$\n\nManage a key."))
        #expect(help.contains("## PARAMETERS\n\n    count (int)\n\n        How many.\n"))
        #expect(help.contains("    ttl (duration (sec))\n"))
        #expect(help.hasSuffix("## DESCRIPTION\n\nKeys hold counts.\n"))
        #expect(r?.data?["see_also"] == .null)
        #expect(r?.data?["openapi"]?["paths"]?["/keys/{name}"] != nil)
    }

    @Test func openAPIDocumentCoversEveryPathAndOperation() throws {
        let doc = OpenAPIDocument.build(
            version: "2.7.2", mounts: [.init(path: "echo/", tag: "secrets", type: "echo", paths: Echo.router.pathDescriptions)])
        #expect(doc["openapi"] == "3.0.2")
        let paths = doc["paths"]?.objectValue ?? [:]
        #expect(Set(paths.keys) == [
            "/echo/keys", "/echo/keys/{name}", "/echo/keys/{name}/rotate", "/echo/sign/{name}", "/echo/sign/{name}/{algorithm}",
            "/echo/data/{path}", "/echo/login/{user}",
        ])
        let key = paths["/echo/keys/{name}"]
        #expect(key?["x-vault-createSupported"] == true)
        #expect(key?["get"]?["operationId"] == "echo-read-keys-name")
        #expect(key?["post"]?["operationId"] == "echo-write-keys-name")
        #expect(key?["delete"]?["responses"]?["204"] != nil)
        #expect(key?["parameters"]?.arrayValue?.first?["name"] == "name")
        let schema = key?["post"]?["requestBody"]?["content"]?["application/json"]?["schema"]?["$ref"]?.stringValue ?? ""
        let name = String(schema.split(separator: "/").last ?? "")
        let props = doc["components"]?["schemas"]?[name]?["properties"]?.objectValue ?? [:]
        #expect(Set(props.keys) == ["count", "ttl", "flag"])
        #expect(props["count"]?["type"] == "integer")
        #expect(props["ttl"]?["format"] == "seconds")
        #expect(paths["/echo/keys"]?["get"]?["parameters"]?.arrayValue?.first?["name"] == "list")
        #expect(paths["/echo/login/{user}"]?["x-vault-unauthenticated"] == true)
        // Operation ids are unique.
        var ids: [String] = []
        for (_, item) in paths {
            for m in ["get", "post", "patch", "delete"] { if let id = item[m]?["operationId"]?.stringValue { ids.append(id) } }
        }
        #expect(Set(ids).count == ids.count)
    }
}
