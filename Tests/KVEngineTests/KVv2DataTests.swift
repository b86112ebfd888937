import CofferSDK
import Foundation
import Logging
import Testing

@testable import KVEngine

@Suite struct KVv2DataTests {
    let h = Harness(version: "2")

    func write(_ path: String, _ data: [String: JSONValue], cas: Int64? = nil) async throws -> [String: JSONValue] {
        var body: [String: JSONValue] = ["data": .object(data)]
        if let cas { body["options"] = ["cas": .int(cas)] }
        return try #require(try await h.send(.update, "data/" + path, body)?.data)
    }

    @Test func writeReturnsVersionMetadata() async throws {
        let out = try await write("foo", ["a": 1])
        #expect(Set(out.keys) == ["created_time", "custom_metadata", "deletion_time", "destroyed", "version"])
        #expect(out["version"] == 1)
        #expect(out["custom_metadata"] == .null)
        #expect(out["deletion_time"] == "")
        #expect(out["destroyed"] == false)
        #expect(parseVaultTime(out["created_time"]?.stringValue ?? "") != nil)
        #expect(try await write("foo", ["a": 2])["version"] == 2)
    }

    @Test func readLatestAndSpecificVersions() async throws {
        for i in 1...3 { _ = try await write("top-secret", ["pssst": .int(Int64(i))]) }
        let latest = try #require(try await h.send(.read, "data/top-secret")?.data)
        #expect(latest["data"] == ["pssst": 3])
        #expect(latest["metadata"]?["version"] == 3)
        // Query parameters arrive as strings.
        #expect(try await h.send(.read, "data/top-secret", ["version": "1"])?.data?["data"] == ["pssst": 1])
        #expect(try await h.send(.read, "data/top-secret", ["version": "0"])?.data?["metadata"]?["version"] == 3)
        #expect(try await h.send(.read, "data/top-secret", ["version": "-1"])?.data?["metadata"]?["version"] == 3)
        #expect(await h.error(.read, "data/top-secret", ["version": "99"])?.code == .notFound)
        #expect(await h.error(.read, "data/no-secret-here")?.messages == [])
        #expect(
            await h.error(.read, "data/top-secret", ["version": "abc"])?.messages == [
                "Field validation failed: error converting input for field \"version\": '' cannot parse value as 'int': strconv.ParseInt: invalid syntax"
            ])
    }

    @Test func checkAndSet() async throws {
        _ = try await write("hvac", ["a": 1], cas: 0)
        let mismatch = await h.error(.update, "data/hvac", ["data": ["a": 2], "options": ["cas": 0]])
        #expect(mismatch?.code == .invalidRequest)
        #expect(mismatch?.messages == ["check-and-set parameter did not match the current version"])
        #expect(await h.error(.update, "data/hvac", ["data": ["a": 2], "options": ["cas": -1]])?.messages == mismatch?.messages)
        #expect(try await write("hvac", ["a": 2], cas: 1)["version"] == 2)
        // A string cas is accepted; a float or junk is not.
        #expect(try await h.send(.update, "data/hvac", ["data": ["a": 3], "options": ["cas": "2"]])?.data?["version"] == 3)
        #expect(await h.error(.update, "data/hvac", ["data": ["a": 3], "options": ["cas": 1.0]])?.messages == ["error parsing check-and-set parameter"])
        #expect(await h.error(.update, "data/hvac", ["data": ["a": 3], "options": ["cas": "x"]])?.messages == ["error parsing check-and-set parameter"])
        // Read as OpenBao's weak decoding reads an integer: base prefixes, booleans, and null or "" as 0.
        #expect(try await h.send(.update, "data/hvac", ["data": ["a": 4], "options": ["cas": "0x3"]])?.data?["version"] == 4)
        #expect(await h.error(.update, "data/hvac", ["data": ["a": 5], "options": ["cas": true]])?.messages == mismatch?.messages)
        #expect(await h.error(.update, "data/hvac", ["data": ["a": 5], "options": ["cas": nil]])?.messages == mismatch?.messages)
        #expect(await h.error(.update, "data/hvac", ["data": ["a": 5], "options": ["cas": ""]])?.messages == mismatch?.messages)
        #expect(await h.error(.update, "data/hvac", ["data": ["a": 5], "options": ["cas": [1]]])?.messages == ["error parsing check-and-set parameter"])
    }

    @Test func casRequiredByMountOrKey() async throws {
        try await h.send(.update, "config", ["cas_required": true])
        #expect(await h.error(.update, "data/k", ["data": ["a": 1]])?.messages == ["check-and-set parameter required for this call"])
        _ = try await write("k", ["a": 1], cas: 0)
        try await h.send(.update, "config", ["cas_required": false])
        try await h.send(.update, "metadata/k", ["cas_required": true])
        #expect(await h.error(.update, "data/k", ["data": ["a": 1]])?.messages == ["check-and-set parameter required for this call"])
    }

    @Test func writeValidation() async {
        #expect(await h.error(.update, "data/x", ["a": 2])?.messages == ["no data provided"])
        #expect(
            await h.error(.update, "data/x", ["data": "x"])?.messages == [
                "error converting input for field \"data\": '' expected type 'map[string]interface {}', got unconvertible type 'string'"
            ])
        #expect(await h.error(.update, "data/x/", ["data": ["a": 1]])?.messages == ["cannot write to a path ending in '/'"])
    }

    @Test func maxVersionsTrimsOldVersions() async throws {
        try await h.send(.update, "config", ["max_versions": 3])
        for i in 1...5 { _ = try await write("m", ["i": .int(Int64(i))]) }
        let meta = try #require(try await h.send(.read, "metadata/m")?.data)
        #expect(meta["versions"]?.objectValue.map { Set($0.keys) } == ["3", "4", "5"])
        #expect(meta["oldest_version"] == 3)
        #expect(meta["current_version"] == 5)
        #expect(await h.error(.read, "data/m", ["version": "2"])?.code == .notFound)
        // The trimmed versions' data is gone from storage too.
        #expect(!h.storage.allKeys.contains { $0.hasPrefix("ver/m@1") || $0.hasPrefix("ver/m@2") })
    }

    // OpenBao: the effective limit is the larger of key and mount setting; oldest_version moves once
    // current_version reaches the limit.
    @Test func keyMaxVersionsAndOldestVersion() async throws {
        try await h.send(.update, "metadata/b", ["max_versions": 2])
        var oldest: [JSONValue] = []
        for i in 1...4 {
            _ = try await write("b", ["i": .int(Int64(i))])
            oldest.append(try await h.send(.read, "metadata/b")?.data?["oldest_version"] ?? .null)
        }
        #expect(oldest == [0, 1, 2, 3])
        #expect(try await h.send(.read, "metadata/b")?.data?["versions"]?.objectValue.map { Set($0.keys) } == ["3", "4"])
        try await h.send(.update, "config", ["max_versions": 3])
        try await h.send(.update, "metadata/c", ["max_versions": 2])
        for i in 1...5 { _ = try await write("c", ["i": .int(Int64(i))]) }
        #expect(try await h.send(.read, "metadata/c")?.data?["versions"]?.objectValue.map { Set($0.keys) } == ["3", "4", "5"])
    }

    @Test func softDeleteUndeleteDestroy() async throws {
        for i in 1...3 { _ = try await write("s", ["i": .int(Int64(i))]) }
        #expect(try await h.send(.delete, "data/s") == nil)
        let deleted = try #require(try await h.send(.read, "data/s"))
        #expect(deleted.httpStatus == 404)
        #expect(deleted.data?["data"] == .null)
        #expect(deleted.data?["metadata"]?["version"] == 3)
        #expect(deleted.data?["metadata"]?["deletion_time"] != "")
        let firstDeletion = deleted.data?["metadata"]?["deletion_time"]
        try await h.send(.delete, "data/s")  // deleting again keeps the original time
        #expect(try await h.send(.read, "data/s")?.data?["metadata"]?["deletion_time"] == firstDeletion)

        try await h.send(.update, "delete/s", ["versions": [1, 7]])
        try await h.send(.update, "undelete/s", ["versions": [1, 3]])
        #expect(try await h.send(.read, "data/s")?.data?["data"] == ["i": 3])
        try await h.send(.update, "destroy/s", ["versions": ["2"]])
        let destroyed = try #require(try await h.send(.read, "data/s", ["version": "2"]))
        #expect(destroyed.httpStatus == 404)
        #expect(destroyed.data?["metadata"]?["destroyed"] == true)
        #expect(try await h.storage.get("ver/s@2") == nil)
        // A destroyed version cannot be undeleted or deleted.
        try await h.send(.update, "undelete/s", ["versions": [2]])
        try await h.send(.update, "delete/s", ["versions": [2]])
        let versions = try #require(try await h.send(.read, "metadata/s")?.data?["versions"])
        #expect(versions["2"] == ["created_time": versions["2"]!["created_time"]!, "deletion_time": "", "destroyed": true])
        #expect(versions["1"]?["deletion_time"] == "")
        // Missing keys are fine.
        #expect(try await h.send(.update, "delete/nokey", ["versions": [1]]) == nil)
        #expect(try await h.send(.delete, "data/nokey") == nil)
    }

    @Test func versionActionValidation() async {
        #expect(await h.error(.update, "delete/x", [:])?.messages == ["No version number provided"])
        #expect(await h.error(.update, "undelete/x", ["versions": []])?.messages == ["No version number provided"])
        #expect(await h.error(.update, "destroy/x", [:])?.messages == ["no version number provided"])
        #expect(
            await h.error(.update, "delete/x", ["versions": ["x"]])?.messages == [
                "Field validation failed: error converting input for field \"versions\": decoding failed due to the following error(s):\n\n'[0]' cannot parse value as 'int': strconv.ParseInt: invalid syntax"
            ])
        #expect(await h.error(.read, "delete/x")?.code == .unsupportedOperation)
    }

    @Test func mergePatch() async throws {
        _ = try await write("p", ["a": 1, "b": ["c": 2, "d": 3], "e": [1, 2]])
        let out = try #require(try await h.patch("data/p", ["data": ["a": nil, "b": ["c": 9, "x": ["y": 1]], "e": [3], "n": nil]]))
        #expect(out.data?["version"] == 2)
        #expect(try await h.send(.read, "data/p")?.data?["data"] == ["b": ["c": 9, "d": 3, "x": ["y": 1]], "e": [3]])
        #expect(await h.error(.patch, "data/p", ["data": ["z": 1], "options": ["cas": 1]], contentType: "application/merge-patch+json")?.messages == [
            "check-and-set parameter did not match the current version"
        ])
        #expect(try await h.patch("data/p", ["data": ["z": 1], "options": ["cas": 2]])?.data?["version"] == 3)
        #expect(await h.error(.patch, "data/p", [:], contentType: "application/merge-patch+json")?.messages == ["no data provided"])
    }

    @Test func patchRequiresMergePatchMediaType() async throws {
        _ = try await write("p", ["a": 1])
        let e = await h.error(.patch, "data/p", ["data": ["a": 2]], contentType: "application/json")
        #expect(e?.code == .unsupportedMediaType)
        #expect(e?.messages == ["PATCH requires Content-Type of application/merge-patch+json, provided application/json"])
        #expect(await h.error(.patch, "data/p", ["data": ["a": 2]])?.code == .unsupportedMediaType)
        #expect(try await h.send(.read, "data/p")?.data?["data"] == ["a": 1])
    }

    @Test func patchOfMissingOrDeletedSecret() async throws {
        let missing = try #require(try await h.patch("data/missing", ["data": ["a": 1]]))
        #expect(missing.httpStatus == 404)
        #expect(missing.data == nil)
        _ = try await write("gone", ["a": 1])
        try await h.send(.delete, "data/gone")
        let deleted = try #require(try await h.patch("data/gone", ["data": ["a": 1]]))
        #expect(deleted.httpStatus == 404)
        #expect(deleted.data?["version"] == 1)
        #expect(deleted.data?["deletion_time"] != "")
    }

    @Test func subkeysWithDepth() async throws {
        _ = try await write("s", ["a": 1, "b": ["c": ["d": 1], "e": 2], "f": [["g": 1]], "h": [:]])
        let all = try #require(try await h.send(.read, "subkeys/s")?.data)
        #expect(all["subkeys"] == ["a": nil, "b": ["c": ["d": nil], "e": nil], "f": nil, "h": nil])
        #expect(all["metadata"]?["version"] == 1)
        #expect(try await h.send(.read, "subkeys/s", ["depth": "1"])?.data?["subkeys"] == ["a": nil, "b": nil, "f": nil, "h": nil])
        #expect(try await h.send(.read, "subkeys/s", ["depth": "2"])?.data?["subkeys"] == ["a": nil, "b": ["c": nil, "e": nil], "f": nil, "h": nil])
        #expect(try await h.send(.read, "subkeys/s", ["depth": "-1"])?.data?["subkeys"] == ["a": nil, "b": nil, "f": nil, "h": nil])
        #expect(await h.error(.read, "subkeys/nope")?.code == .notFound)
        try await h.send(.update, "destroy/s", ["versions": [1]])
        let destroyed = try #require(try await h.send(.read, "subkeys/s"))
        #expect(destroyed.httpStatus == 404)
        #expect(destroyed.data?["subkeys"] == .null)
    }

    @Test func deleteVersionAfterSetsDeletionTime() async throws {
        try await h.send(.update, "config", ["delete_version_after": "30m"])
        try await h.send(.update, "metadata/short", ["delete_version_after": "10m"])
        let out = try await write("short", ["a": 1])
        let created = try #require(parseVaultTime(out["created_time"]?.stringValue ?? ""))
        let deletion = try #require(parseVaultTime(out["deletion_time"]?.stringValue ?? ""))
        #expect(abs(deletion.timeIntervalSince(created) - 600) < 0.001)
        // Scheduled in the future: still readable.
        #expect(try await h.send(.read, "data/short")?.data?["data"] == ["a": 1])
        try await h.send(.update, "config", ["delete_version_after": "-1s"])
        #expect(try await write("short", ["a": 2])["deletion_time"] == "")
    }

    @Test func unversionedPathsGetOpenBaosWarning() async throws {
        let r = try #require(try await h.send(.read, "foo"))
        #expect(r.httpStatus == 404)
        #expect(r.data == nil)
        #expect(r.warnings == [
            "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the OpenBao CLI, use 'bao kv get' for this operation."
        ])
        #expect(try await h.send(.update, "foo", ["a": 1])?.warnings.first?.hasSuffix("use 'bao kv put' for this operation.") == true)
        #expect(try await h.send(.list, "config")?.warnings.first?.hasSuffix("use 'bao kv list' for this operation.") == true)
        #expect(await h.error(.list, "data/")?.code == .unsupportedOperation)
        #expect(await h.error(.delete, "config")?.code == .unsupportedOperation)
    }

    @Test func failedTransactionLeavesNoPartialWrite() async throws {
        let failing = FailingTransactionStorage()
        let engine = makeKVEngine(.init(mountPath: "secret/", type: "kv", options: ["version": "2"], logger: .init(label: "t")))
        let req = LogicalRequest(operation: .create, path: "data/x", data: ["data": ["a": 1]], storage: failing)
        await #expect(throws: (any Error).self) { try await engine.handle(req) }
        #expect(failing.inner.allKeys.isEmpty)
    }
}

/// Storage whose transactions always fail, to prove writes go through a single transaction.
struct FailingTransactionStorage: LogicalStorage {
    let inner = InMemoryPhysicalBackend()
    struct Failure: Error {}
    func get(_ key: String) async throws -> Data? { try await inner.get(key) }
    func put(_ key: String, _ value: Data) async throws { try await inner.put(key, value) }
    func delete(_ key: String) async throws { try await inner.delete(key) }
    func list(prefix: String) async throws -> [String] { try await inner.list(prefix: prefix) }
    func transaction(_ operations: [StorageOperation]) async throws { throw Failure() }
}
