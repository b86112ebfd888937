import CofferSDK
import Foundation
import Logging
import Testing

@testable import KVEngine

/// Issue 12, item 12b: a kv version 1 mount upgraded in place to version 2.
@Suite struct KVUpgradeTests {
    static func v2(_ h: Harness) -> any SecretsEngine {
        makeKVEngine(EngineConfiguration(mountPath: "secret/", type: "kv", options: ["version": "2"], logger: Logger(label: "test")))
    }

    static func upgrade(_ h: Harness, from options: [String: String] = ["version": "1"], now: Date = Date()) async throws -> Harness {
        let engine = try #require(Self.v2(h) as? any UpgradableEngine)
        let ops = try #require(try await engine.upgradeOperations(from: options, storage: h.storage, now: now))
        try await h.storage.transaction(ops)
        return Harness(engine: engine, storage: h.storage)
    }

    @Test func everySecretBecomesVersionOneWithItsData() async throws {
        let v1 = Harness(version: "1")
        // Names the version 2 layout itself uses must survive too.
        let secrets: [String: [String: JSONValue]] = [
            "foo": ["a": "1", "ttl": "1h"], "dir/bar": ["b": 2], "dir/deeper/baz": ["c": true], "config": ["d": "x"],
            "meta/foo": ["e": "y"], "ver/foo@1": ["f": "z"], "data/y": ["g": 4],
        ]
        for (path, data) in secrets { try await v1.send(.create, path, data) }
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let h = try await Self.upgrade(v1, now: now)

        for (path, data) in secrets {
            let read = try #require(try await h.send(.read, "data/" + path), "\(path)")
            #expect(read.data?["data"] == .object(data), "\(path)")
            #expect(read.data?["metadata"]?["version"] == 1)
            #expect(read.data?["metadata"]?["created_time"] == .string(formatVaultTime(now)))
        }
        let meta = try #require(try await h.send(.read, "metadata/foo")?.data)
        #expect(meta["current_version"] == 1)
        #expect(meta["oldest_version"] == 1)
        #expect(meta["versions"]?["1"]?["destroyed"] == false)
        let keys = try #require(try await h.send(.list, "metadata/")?.data?["keys"])
        #expect(keys == ["config", "data/", "dir/", "foo", "meta/", "ver/"])
        // The mount config is the default one, not the old `config` secret.
        #expect(try await h.send(.read, "config")?.data?["max_versions"] == 0)
        // A new write is version 2.
        let w = try #require(try await h.send(.create, "data/foo", ["data": ["a": "2"]]))
        #expect(w.data?["version"] == 2)
        // Nothing of the version 1 layout is left behind.
        #expect(try await h.storage.get("foo") == nil)
        #expect(try await h.storage.get("dir/bar") == nil)
    }

    @Test func anEmptyMountUpgradesToNothing() async throws {
        let v1 = Harness(version: "1")
        let engine = try #require(Self.v2(v1) as? any UpgradableEngine)
        #expect(try await engine.upgradeOperations(from: ["version": "1"], storage: v1.storage, now: Date()) == [])
        #expect(try await engine.upgradeOperations(from: [:], storage: v1.storage, now: Date()) == [])
    }

    @Test func aVersionTwoMountIsNotConvertedAgain() async throws {
        let h = Harness(version: "2")
        try await h.send(.create, "data/foo", ["data": ["a": "1"]])
        let engine = try #require(h.engine as? any UpgradableEngine)
        #expect(try await engine.upgradeOperations(from: ["version": "2"], storage: h.storage, now: Date()) == nil)
    }
}
