import CofferSDK
import Foundation
import Logging
import Synchronization
import Testing

@testable import CofferCore

/// Issue 12, item 12b: `sys/mounts/:path/tune` with `options.version=2` on a kv mount, through the core, with a stand-in
/// kv engine (the real conversion is tested in KVEngineTests and end to end).
@Suite struct MountUpgradeTests {
    typealias S = SecurityTests

    /// Version 1 keeps `key` as is; version 2 keeps it as `v2/key`. The upgrade may be held until released, or fail.
    final class Gate: Sendable {
        let entered = Mutex<Bool>(false)
        let released = Mutex<Bool>(false)
        let fail = Mutex<Bool>(false)
    }

    struct FakeKV: UpgradableEngine {
        let version: String
        let gate: Gate

        func handle(_ request: LogicalRequest) async throws -> LogicalResponse? {
            let key = version == "2" ? "v2/" + request.path : request.path
            switch request.operation {
            case .read:
                guard let raw = try await request.storage.get(key) else { throw LogicalError.notFound }
                return LogicalResponse(data: try JSONValue.parse(raw).objectValue)
            default:
                try await request.storage.put(key, JSONValue.object(request.data).serializedData())
                return nil
            }
        }

        func upgradeOperations(from previousOptions: [String: String], storage: any LogicalStorage, now: Date) async throws -> [StorageOperation]? {
            gate.entered.withLock { $0 = true }
            while !gate.released.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
            if gate.fail.withLock({ $0 }) { throw LogicalError.internalError("conversion failed") }
            var ops: [StorageOperation] = []
            for k in try await storage.list(prefix: "") where !k.hasSuffix("/") {
                guard let value = try await storage.get(k) else { continue }
                ops.append(.put("v2/" + k, value))
                ops.append(.delete(k))
            }
            return ops
        }
    }

    static func core(_ gate: Gate) async throws -> (Core, String) {
        let factory: EngineFactory = { config in FakeKV(version: config.options["version"] ?? "1", gate: gate) }
        let core = Core(
            configuration: CoreConfiguration(), physical: InMemoryPhysicalBackend(), engines: ["kv": factory], logger: Logger(label: "test"))
        try await core.loadSealConfig()
        let r = try await core.initialize(shares: 1, threshold: 1)
        _ = try await core.unseal(keyBytes: r.keys[0], reset: false)
        _ = try await S.write(core, r.rootToken, "sys/mounts/kv1", ["type": "kv", "options": ["version": "1"]])
        _ = try await S.write(core, r.rootToken, "kv1/foo", ["a": "1"])
        return (core, r.rootToken)
    }

    @Test func tuningToVersionTwoConvertsTheDataAndWarnsAsOpenBao() async throws {
        let gate = Gate()
        gate.released.withLock { $0 = true }
        let (core, root) = try await Self.core(gate)
        let r = try await S.write(core, root, "sys/mounts/kv1/tune", ["options": ["version": "2"]])
        #expect(r.warnings == [
            "Upgrading mount from version 1 to version 0. This mount will be unavailable for a brief period and will resume service shortly."
        ])
        #expect(try await S.write(core, root, "kv1/foo", op: .read).data == ["a": "1"], "read through the new engine right away")
        let m = try #require(try await S.write(core, root, "sys/mounts/kv1", op: .read).data)
        #expect(m["options"] == ["version": "2"])
        // Same version again: nothing to do, no warning.
        #expect(try await S.write(core, root, "sys/mounts/kv1/tune", ["options": ["version": 2]]).warnings == [])
        #expect(try await S.write(core, root, "kv1/foo", op: .read).data == ["a": "1"])
    }

    @Test func versionsAreCheckedAsOpenBaoDoes() async throws {
        let gate = Gate()
        gate.released.withLock { $0 = true }
        let (core, root) = try await Self.core(gate)
        func tune(_ v: JSONValue) async -> String? {
            await S.message { _ = try await S.write(core, root, "sys/mounts/kv1/tune", ["options": ["version": v]]) }
        }
        #expect(await tune("3") == "invalid version provided: 3")
        #expect(await tune("") == "invalid version provided: 0")
        #expect(await tune("x") == "unable to parse options: strconv.ParseInt: parsing \"x\": invalid syntax")
        #expect(await tune("2.0") == "unable to parse options: strconv.ParseInt: parsing \"2.0\": invalid syntax")
        #expect(await tune("1") == nil)
        #expect(await tune(2) == nil)
        #expect(await tune("1") == "cannot downgrade mount from version 2")
        // Other options: an empty value removes the key.
        _ = try await S.write(core, root, "sys/mounts/kv1/tune", ["options": ["foo": "bar"]])
        #expect(try await S.write(core, root, "sys/mounts/kv1", op: .read).data?["options"] == ["version": "2", "foo": "bar"])
        _ = try await S.write(core, root, "sys/mounts/kv1/tune", ["options": ["foo": ""]])
        #expect(try await S.write(core, root, "sys/mounts/kv1", op: .read).data?["options"] == ["version": "2"])
    }

    @Test func theMountIsOutOfServiceWhileUpgrading() async throws {
        let gate = Gate()
        let (core, root) = try await Self.core(gate)
        let tune = Task { try await S.write(core, root, "sys/mounts/kv1/tune", ["options": ["version": "2"]]) }
        while !gate.entered.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        let m = await S.message { _ = try await S.write(core, root, "kv1/foo", op: .read) }
        #expect(m == "Upgrading from non-versioned to versioned data. This backend will be unavailable for a brief period and will resume service shortly.")
        gate.released.withLock { $0 = true }
        _ = try await tune.value
        #expect(try await S.write(core, root, "kv1/foo", op: .read).data == ["a": "1"])
    }

    @Test func aFailedUpgradeLeavesTheMountAsItWas() async throws {
        let gate = Gate()
        gate.fail.withLock { $0 = true }
        gate.released.withLock { $0 = true }
        let (core, root) = try await Self.core(gate)
        #expect(await S.message { _ = try await S.write(core, root, "sys/mounts/kv1/tune", ["options": ["version": "2"]]) } != nil)
        #expect(try await S.write(core, root, "sys/mounts/kv1", op: .read).data?["options"] == ["version": "1"])
        #expect(try await S.write(core, root, "kv1/foo", op: .read).data == ["a": "1"])
    }
}
