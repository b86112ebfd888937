import CofferSDK
import Testing

@testable import KVEngine

/// Routing, field conversion and warnings as the framework gives them to the kv engines, checked against
/// OpenBao 2.7.2 (`bao server -dev`).
@Suite struct KVv2RoutingTests {
    let h = Harness(version: "2")

    @Test func rootOfAFamilyIsNotAListing() async throws {
        for p in ["data", "metadata", "delete", "undelete", "destroy"] {
            for op: CofferSDK.Operation in [.read, .update, .delete] {
                let r = try #require(try await h.send(op, p, ["versions": [1]]))
                #expect(r.httpStatus == 404)
                #expect(r.warnings == ["Non-listing operations on the root of a K/V v2 mount are not supported."])
            }
        }
        // `subkeys` has no such answer; a LIST of a family is a LIST of its folder.
        #expect(try await h.send(.read, "subkeys")?.warnings.first?.hasPrefix("Invalid path for a versioned K/V") == true)
        #expect(await h.error(.list, "data")?.messages == ["1 error occurred:\n\t* unsupported operation\n\n"])
        #expect(await h.error(.list, "subkeys")?.code == .unsupportedOperation)
        #expect(await h.error(.read, "delete/")?.code == .unsupportedOperation)
        #expect(await h.error(.read, "data/")?.code == .notFound)
        #expect(try await h.send(.read, "config/")?.warnings.first?.hasSuffix("use 'bao kv get' for this operation.") == true)
    }

    @Test func invalidPathWarnsWithoutNamingIgnoredFields() async throws {
        let r = try #require(try await h.send(.update, "foo", ["a": 1, "b": 2]))
        #expect(r.httpStatus == 404)
        #expect(r.warnings.count == 1)
        #expect(try await h.send(.delete, "foo")?.warnings.first?.hasSuffix("use 'bao kv delete' for this operation.") == true)
        #expect(try await h.patch("foo", ["data": ["a": 1]])?.warnings.first?.hasSuffix("use 'bao kv patch' for this operation.") == true)
    }

    @Test func unknownFieldsAreNamedInAWarning() async throws {
        let w = try #require(try await h.send(.update, "data/w", ["data": ["a": 1], "foo": 1]))
        #expect(w.warnings == ["Endpoint ignored these unrecognized parameters: [foo]"])
        #expect(try await h.send(.read, "data/w", ["version": "1", "foo": "1"])?.warnings == [
            "Endpoint ignored these unrecognized parameters: [foo]"
        ])
        #expect(try await h.send(.read, "config", ["bogus": "1"])?.warnings == ["Endpoint ignored these unrecognized parameters: [bogus]"])
    }

    @Test func folderWritesAreRefusedBeforeTheirFields() async {
        #expect(await h.error(.update, "data/x/", ["data": "bad"])?.messages == ["cannot write to a path ending in '/'"])
        #expect(await h.error(.update, "metadata/", ["max_versions": "x"])?.messages == ["cannot write to a path ending in '/'"])
        #expect(await h.error(.update, "", ["a": 1])?.messages == ["cannot write to a path ending in '/'"])
        // A PATCH too, once its media type is right.
        #expect(await h.error(.patch, "data/x/", ["data": ["a": 1]], contentType: "application/merge-patch+json")?.messages == [
            "cannot write to a path ending in '/'"
        ])
        #expect(await h.error(.patch, "data/x/", ["data": ["a": 1]], contentType: "application/json")?.code == .unsupportedMediaType)
    }

    @Test func versionsNameEveryBadElement() async {
        let prefix = "Field validation failed: error converting input for field \"versions\": decoding failed due to the following error(s):\n\n"
        #expect(await h.error(.update, "delete/x", ["versions": ["x", "y", 1]])?.messages == [
            prefix + "'[0]' cannot parse value as 'int': strconv.ParseInt: invalid syntax\n'[1]' cannot parse value as 'int': strconv.ParseInt: invalid syntax"
        ])
        #expect(await h.error(.update, "delete/x", ["versions": "1,x"])?.messages == [
            prefix + "'[1]' cannot parse value as 'int': strconv.ParseInt: invalid syntax"
        ])
        #expect(await h.error(.update, "destroy/x", ["versions": [1.0]])?.messages == [
            prefix + "'[0]' cannot parse value as 'int': strconv.ParseInt: invalid syntax"
        ])
        #expect(await h.error(.update, "delete/x", ["versions": ["a": 1]])?.messages == [
            prefix + "'[0]' expected type 'int', got unconvertible type 'map[string]interface {}'"
        ])
        #expect(await h.error(.update, "delete/x", ["versions": "99999999999999999999"])?.messages == [
            prefix + "'[0]' cannot parse value as 'int': strconv.ParseInt: value out of range"
        ])
        #expect(await h.error(.update, "undelete/x", ["versions": true]) == nil)
    }

    @Test func integralFloatsAreNotIntegers() async {
        #expect(await h.error(.update, "config", ["max_versions": 2.0])?.messages == [
            "Field validation failed: error converting input for field \"max_versions\": '' cannot parse value as 'int': strconv.ParseInt: invalid syntax"
        ])
    }

    @Test func dataAsAListOfObjectsIsMerged() async throws {
        try await h.send(.update, "data/l", ["data": [["a": 1], nil, [["b": 2]], ["a": 3]]])
        #expect(try await h.send(.read, "data/l")?.data?["data"] == ["a": 3, "b": 2])
        try await h.send(.update, "data/e", ["data": []])
        #expect(try await h.send(.read, "data/e")?.data?["data"] == [:])
        #expect(await h.error(.update, "data/bad", ["data": [["a": 1], "x"]])?.messages == [
            "error converting input for field \"data\": '[1]' expected type 'map[string]interface {}', got unconvertible type 'string'"
        ])
        #expect(await h.error(.update, "data/bad", ["data": [["x"]]])?.messages == [
            "error converting input for field \"data\": '[0][0]' expected type 'map[string]interface {}', got unconvertible type 'string'"
        ])
    }

    @Test func nullDataIsStoredAsNull() async throws {
        #expect(try await h.send(.update, "data/n", ["data": nil])?.data?["version"] == 1)
        let r = try #require(try await h.send(.read, "data/n")?.data)
        #expect(r["data"] == .null)
        #expect(r["metadata"]?["version"] == 1)
        // `[null]` converts to a nil map as well.
        try await h.send(.update, "data/n", ["data": [nil]])
        #expect(try await h.send(.read, "data/n")?.data?["data"] == .null)
    }

    @Test func emptyCustomMetadataReadsAsNull() async throws {
        try await h.send(.update, "metadata/c", ["custom_metadata": ["a": "b"]])
        try await h.send(.update, "metadata/c", ["custom_metadata": [:]])
        #expect(try await h.send(.read, "metadata/c")?.data?["custom_metadata"] == .null)
        try await h.send(.update, "metadata/c", ["custom_metadata": [["a": "b"]]])
        #expect(try await h.send(.read, "metadata/c")?.data?["custom_metadata"] == ["a": "b"])
        _ = try await h.patch("metadata/c", ["custom_metadata": ["a": nil]])
        #expect(try await h.send(.read, "metadata/c")?.data?["custom_metadata"] == .null)
    }

    @Test func detailedMetadataListsKeysWithTheirMetadata() async throws {
        try await h.send(.update, "data/dir/x", ["data": ["a": 1]])
        try await h.send(.update, "metadata/dir/y", ["max_versions": 3, "custom_metadata": ["k": "v"]])
        try await h.send(.update, "data/top", ["data": ["a": 1]])
        let root = try #require(try await h.send(.list, "detailed-metadata/")?.data)
        #expect(root["keys"] == ["dir/", "top"])
        #expect(root["key_info"]?["dir/"] == [:])
        #expect(root["key_info"]?["top"] == .object(try #require(try await h.send(.read, "metadata/top")?.data)))
        let dir = try #require(try await h.send(.list, "detailed-metadata/dir", ["after": "x"])?.data)
        #expect(dir["keys"] == ["y"])
        #expect(dir["key_info"]?["y"]?["max_versions"] == 3)
        #expect(dir["key_info"]?["y"]?["custom_metadata"] == ["k": "v"])
        #expect(try await h.send(.list, "detailed-metadata/", ["limit": 1])?.data?["keys"] == ["dir/"])
        #expect(await h.error(.list, "detailed-metadata/nope/")?.code == .notFound)
        #expect(await h.error(.read, "detailed-metadata/dir/x")?.code == .unsupportedOperation)
        #expect(try await h.send(.read, "detailed-metadata")?.httpStatus == 404)
    }

    @Test func declaredPathsForHelpAndOpenAPI() throws {
        let patterns = h.engine.pathDescriptions.map(\.pattern.text)
        #expect(patterns == ["config", "data/{path*}", "metadata/{path*}", "detailed-metadata/{path*}", "delete/{path*}", "undelete/{path*}", "destroy/{path*}", "subkeys/{path*}"])
        let doc = OpenAPIDocument.build(version: "test", mounts: [.init(path: "secret/", tag: "secrets", type: "kv", paths: h.engine.pathDescriptions)])
        let paths = try #require(doc["paths"]?.objectValue)
        #expect(paths["/secret/data/{path}"]?["post"] != nil)
        #expect(paths["/secret/data/{path}"]?["x-vault-createSupported"] == true)
        #expect(paths["/secret/{path}"] == nil)
    }

    @Test func pathHelp() async throws {
        let r = try #require(try await h.send(.help, "data/foo"))
        let text = try #require(r.data?["help"]?.stringValue)
        #expect(text.hasPrefix("Request:        data/foo\nMatching Route: ^data/(?P<path>.*)$\n"))
        #expect(text.contains("    version (int)"))
    }
}

@Suite struct PassthroughRoutingTests {
    // OpenBao's kv v1 and cubbyhole do not take arbitrary input: a query parameter of a read is named in a warning,
    // while a write (answered with no body) warns about nothing.
    @Test(arguments: ["kv1", "cubbyhole"])
    func readsNameIgnoredQueryParameters(flavour: String) async throws {
        let h = flavour == "kv1" ? Harness(version: "1") : Harness(cubbyhole: ())
        #expect(try await h.send(.update, "foo", ["a": 1, "path": "zzz"]) == nil)
        let r = try #require(try await h.send(.read, "foo", ["bogus": "1"]))
        #expect(r.data == ["a": 1, "path": "zzz"])
        #expect(r.warnings == ["Endpoint ignored these unrecognized parameters: [bogus]"])
        #expect(try await h.send(.list, "", ["bogus": "1"])?.warnings == ["Endpoint ignored these unrecognized parameters: [bogus]"])
        #expect(await h.error(.patch, "foo", ["a": 1], contentType: "application/merge-patch+json")?.messages == [
            "1 error occurred:\n\t* unsupported operation\n\n"
        ])
        #expect(await h.error(.patch, "foo/", ["a": 1], contentType: "application/merge-patch+json")?.messages == [
            "cannot write to a path ending in '/'"
        ])
    }
}
