import CofferSDK
import Testing

@testable import KVEngine

@Suite struct KVv2MetadataTests {
    let h = Harness(version: "2")

    @Test func configDefaultsAndUpdates() async throws {
        #expect(try await h.send(.read, "config")?.data == [
            "cas_required": false, "delete_version_after": "0s", "max_versions": 0, "metadata_cas_required": false,
        ])
        try await h.send(.update, "config", ["max_versions": 17, "cas_required": true, "delete_version_after": "30m0s"])
        try await h.send(.update, "config", [:])  // only given fields change
        #expect(try await h.send(.read, "config")?.data == [
            "cas_required": true, "delete_version_after": "30m0s", "max_versions": 17, "metadata_cas_required": false,
        ])
        try await h.send(.update, "config", ["delete_version_after": "-1h", "max_versions": -1])
        let c = try #require(try await h.send(.read, "config")?.data)
        #expect(c["delete_version_after"] == "-1s")
        #expect(c["max_versions"] == 4_294_967_295)
        #expect(
            await h.error(.update, "config", ["max_versions": "x"])?.messages == [
                "Field validation failed: error converting input for field \"max_versions\": '' cannot parse value as 'int': strconv.ParseInt: invalid syntax"
            ])
    }

    @Test func metadataReadShape() async throws {
        _ = try await h.send(.update, "data/foo", ["data": ["a": 1]])
        _ = try await h.send(.update, "data/foo", ["data": ["a": 2]])
        let m = try #require(try await h.send(.read, "metadata/foo")?.data)
        #expect(Set(m.keys) == [
            "cas_required", "created_time", "current_metadata_version", "current_version", "custom_metadata",
            "delete_version_after", "max_versions", "metadata_cas_required", "oldest_version", "updated_time", "versions",
        ])
        #expect(m["current_version"] == 2)
        #expect(m["current_metadata_version"] == 0)
        #expect(m["custom_metadata"] == .null)
        #expect(m["delete_version_after"] == "0s")
        #expect(m["updated_time"] == m["versions"]?["2"]?["created_time"])
        #expect(m["created_time"] == m["versions"]?["1"]?["created_time"])
        #expect(await h.error(.read, "metadata/missing")?.code == .notFound)
    }

    @Test func metadataWriteOnlyChangesGivenFields() async throws {
        try await h.send(.update, "metadata/new", ["custom_metadata": ["k": "v", "n": 1, "b": true], "delete_version_after": "1h", "cas_required": true])
        var m = try #require(try await h.send(.read, "metadata/new")?.data)
        #expect(m["current_version"] == 0)
        #expect(m["current_metadata_version"] == 1)
        #expect(m["versions"] == [:])
        #expect(m["custom_metadata"] == ["k": "v", "n": "1", "b": "1"])
        #expect(m["delete_version_after"] == "1h0m0s")
        try await h.send(.update, "metadata/new", ["max_versions": 7])
        m = try #require(try await h.send(.read, "metadata/new")?.data)
        #expect(m["max_versions"] == 7)
        #expect(m["cas_required"] == true)
        #expect(m["custom_metadata"] == ["k": "v", "n": "1", "b": "1"])
        #expect(m["current_metadata_version"] == 2)
        // The version written afterwards reports the key's custom metadata.
        let w = try #require(try await h.send(.update, "data/new", ["data": ["a": 1], "options": ["cas": 0]])?.data)
        #expect(w["custom_metadata"] == ["k": "v", "n": "1", "b": "1"])
        try await h.send(.update, "metadata/new", ["custom_metadata": nil])
        #expect(try await h.send(.read, "metadata/new")?.data?["custom_metadata"] == .null)
    }

    @Test func metadataWriteDoesNotTrim() async throws {
        for i in 1...5 { _ = try await h.send(.update, "data/d", ["data": ["i": .int(Int64(i))]]) }
        try await h.send(.update, "metadata/d", ["max_versions": 2])
        #expect(try await h.send(.read, "metadata/d")?.data?["versions"]?.objectValue?.count == 5)
    }

    @Test func metadataValidation() async throws {
        #expect(
            await h.error(.update, "metadata/x", ["delete_version_after": "-1h"])?.messages == [
                "error converting input for field \"delete_version_after\": cannot provide negative value '-3600'"
            ])
        #expect(
            await h.error(.update, "metadata/x", ["cas_required": "abc"])?.messages == [
                "error converting input for field \"cas_required\": '' cannot parse value as 'bool': strconv.ParseBool: invalid syntax"
            ])
        #expect(
            await h.error(.update, "metadata/x", ["custom_metadata": "x"])?.messages == [
                "error converting input for field \"custom_metadata\": '' expected type 'map[string]interface {}', got unconvertible type 'string'"
            ])
        #expect(
            await h.error(.update, "metadata/x", ["custom_metadata": ["a": ""]])?.messages == [
                "1 error occurred:\n\t* custom_metadata validation failed: length of value for key \"a\" is 0 but must be 0 < len(value) <= 512\n\n"
            ])
        #expect(
            await h.error(.update, "metadata/x", ["custom_metadata": ["z": ["a": 1]]])?.messages == [
                "custom_metadata validation failed: '' expected type 'string', got unconvertible type 'map[string]interface {}'"
            ])
        var many: [String: JSONValue] = [:]
        for i in 0..<65 { many[String(i)] = "v" }
        #expect(
            await h.error(.update, "metadata/x", ["custom_metadata": .object(many)])?.messages == [
                "1 error occurred:\n\t* custom_metadata validation failed: payload must contain at most 64 keys, provided 65\n\n"
            ])
        #expect(try await h.storage.get("meta/x") == nil)
    }

    @Test func metadataCheckAndSet() async throws {
        try await h.send(.update, "metadata/mc", ["metadata_cas_required": true])
        #expect(await h.error(.update, "metadata/mc", ["max_versions": 3])?.messages == ["metadata check-and-set parameter required for this call"])
        #expect(await h.error(.update, "metadata/mc", ["max_versions": 3, "metadata_cas": 5])?.messages == [
            "metadata check-and-set parameter does not match the current version"
        ])
        try await h.send(.update, "metadata/mc", ["max_versions": 3, "metadata_cas": 1])
        #expect(try await h.send(.read, "metadata/mc")?.data?["current_metadata_version"] == 2)
        #expect(await h.error(.update, "metadata/x1", ["metadata_cas": 1])?.messages == ["metadata_cas must be 0 when creating new metadata"])
        // OpenBao 2.7: the mount setting applies to brand-new metadata too.
        try await h.send(.update, "config", ["metadata_cas_required": true])
        #expect(await h.error(.update, "metadata/brandnew", ["max_versions": 3])?.messages == ["metadata check-and-set parameter required for this call"])
        try await h.send(.update, "metadata/brandnew", ["max_versions": 3, "metadata_cas": 0])
        #expect(await h.error(.patch, "metadata/mc", ["max_versions": 4], contentType: "application/merge-patch+json")?.messages == [
            "metadata check-and-set parameter required for this call"
        ])
    }

    @Test func metadataPatch() async throws {
        _ = try await h.send(.update, "data/s", ["data": ["a": 1]])
        try await h.patch("metadata/s", ["custom_metadata": ["x": "1"]])
        try await h.patch("metadata/s", ["custom_metadata": ["x": nil, "y": "2"], "max_versions": 4])
        let m = try #require(try await h.send(.read, "metadata/s")?.data)
        #expect(m["custom_metadata"] == ["y": "2"])
        #expect(m["max_versions"] == 4)
        #expect(m["current_metadata_version"] == 2)
        let missing = try #require(try await h.patch("metadata/nope", ["max_versions": 4]))
        #expect(missing.httpStatus == 404)
        #expect(missing.data == nil)
        #expect(await h.error(.patch, "metadata/s", ["max_versions": 4], contentType: "application/json")?.code == .unsupportedMediaType)
        #expect(
            await h.error(.patch, "metadata/s", ["delete_version_after": "-1s"], contentType: "application/merge-patch+json")?.messages == [
                "Field validation failed: error converting input for field \"delete_version_after\": cannot provide negative value '-1'"
            ])
    }

    @Test func deleteMetadataRemovesEverything() async throws {
        _ = try await h.send(.update, "data/hvac/top-secret", ["data": ["a": 1]])
        _ = try await h.send(.update, "data/hvac/top-secret", ["data": ["a": 2]])
        #expect(try await h.send(.delete, "metadata/hvac/top-secret") == nil)
        #expect(await h.error(.read, "metadata/hvac/top-secret")?.code == .notFound)
        #expect(await h.error(.read, "data/hvac/top-secret")?.code == .notFound)
        #expect(h.storage.allKeys.isEmpty)
        #expect(try await h.send(.delete, "metadata/hvac/no-secret-here") == nil)
    }

    @Test func listKeys() async throws {
        for k in ["a", "b/c", "b/d", "c", "d", "e/f"] { _ = try await h.send(.update, "data/l/" + k, ["data": ["a": 1]]) }
        #expect(try await h.send(.list, "metadata/l")?.data == ["keys": ["a", "b/", "c", "d", "e/"]])
        #expect(try await h.send(.list, "metadata/l/", ["after": "b/", "limit": "2"])?.data == ["keys": ["c", "d"]])
        #expect(try await h.send(.list, "metadata")?.data == ["keys": ["l/"]])
        #expect(await h.error(.list, "metadata/l/", ["after": "zz"])?.code == .notFound)
        #expect(await h.error(.list, "metadata/nothing")?.code == .notFound)
        // Soft-deleted and destroyed keys are still listed until their metadata is deleted.
        try await h.send(.update, "destroy/l/a", ["versions": [1]])
        try await h.send(.delete, "metadata/l/d")
        #expect(try await h.send(.list, "metadata/l")?.data == ["keys": ["a", "b/", "c", "e/"]])
    }

    @Test func existenceCheck() async throws {
        #expect(try await h.engine.existenceCheck(h.request(.update, "data/k")) == false)
        _ = try await h.send(.update, "data/k", ["data": ["a": 1]])
        #expect(try await h.engine.existenceCheck(h.request(.update, "data/k")) == true)
        #expect(try await h.engine.existenceCheck(h.request(.update, "metadata/k")) == true)
    }
}
