import CofferSDK
import Foundation
import Logging
import Synchronization
import Testing

@testable import CofferCore

/// `sys/rotate/keyring/config` with OpenBao's bounds and errors, and the automatic rotation it drives: by the number of
/// encryptions under the active term (counted across checks in storage) and by the term's age.
@Suite struct KeyringRotationTests {
    let clock = TestClock()
    let core: Core
    let root: String

    init() async throws {
        let clock = self.clock
        core = Core(
            configuration: CoreConfiguration(), physical: InMemoryPhysicalBackend(), engines: [:], logger: Logger(label: "test"),
            now: { clock.now })
        let r = try await core.initialize(shares: 1, threshold: 1)
        _ = try await core.unseal(keyBytes: r.keys[0], reset: false)
        root = r.rootToken
    }

    func call(_ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:], token: String? = nil) async throws -> CoreResponse {
        try await core.handle(CoreRequest(id: "t", operation: op, path: path, data: data, token: token ?? root))
    }

    func error(_ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:], token: String? = nil) async -> String? {
        do {
            _ = try await call(op, path, data, token: token)
            return nil
        } catch let e as LogicalError {
            return e.messages.joined(separator: "; ")
        } catch {
            return "\(error)"
        }
    }

    @Test func configReadsWritesAndRefusesAsOpenBao() async throws {
        let fresh = try #require(try await call(.read, "sys/rotate/keyring/config").data)
        #expect(fresh == ["enabled": true, "interval": 0, "max_operations": 3_865_470_566])
        #expect(await error(.update, "sys/rotate/keyring/config", ["max_operations": 1000]) == "max_operations must be in the range [1000000,3865470566]")
        #expect(await error(.update, "sys/rotate/keyring/config", ["max_operations": 9_999_999_999_999]) == "max_operations must be in the range [1000000,3865470566]")
        #expect(await error(.update, "sys/rotate/keyring/config", ["interval": "1h"]) == "interval must be greater or equal to 24h0m0s")
        _ = try await call(.update, "sys/rotate/keyring/config", ["interval": "48h", "max_operations": 1_000_000, "enabled": false])
        let set = try #require(try await call(.read, "sys/rotate/config").data)
        #expect(set == ["enabled": false, "interval": "48h0m0s", "max_operations": 1_000_000])
        // Sudo, as in OpenBao: a policy granting the path without sudo is not enough.
        _ = try await call(.update, "sys/policies/acl/rot", ["policy": "path \"sys/rotate/*\" { capabilities = [\"read\", \"update\"] }"])
        let token = try #require(try await call(.update, "auth/token/create", ["policies": ["rot"]]).auth?["client_token"]?.stringValue)
        #expect(await error(.read, "sys/rotate/keyring/config", token: token)?.contains("permission denied") == true)
    }

    @Test func rotatesAfterMaxOperationsCountedAcrossChecks() async throws {
        #expect(try await core.checkKeyringRotation() == nil)
        try await core.barrier.putJSON(Core.keyringUsagePath, ["term": 1, "count": 999_980])
        _ = try await call(.update, "sys/rotate/keyring/config", ["max_operations": 1_000_000])
        #expect(try await core.checkKeyringRotation() == nil, "below the limit")
        #expect(try core.barrier.activeTerm().term == 1)
        for i in 0..<25 { _ = try await call(.update, "sys/policies/acl/p\(i)", ["policy": "path \"x\" { capabilities = [\"read\"] }"]) }
        #expect(try await core.checkKeyringRotation() == 2)
        #expect(try core.barrier.activeTerm().term == 2)
        let usage = try #require(try await core.barrier.getJSON(Core.keyringUsagePath))
        #expect(usage["term"] == 2 && (usage["count"]?.intValue ?? -1) < 5)
        #expect(try await core.checkKeyringRotation() == nil, "the new term starts from zero")
        // Everything written before the rotation still reads.
        #expect(try await call(.read, "sys/policies/acl/p0").data?["name"] == "p0")
    }

    @Test func rotatesByAgeAndNotWhenDisabled() async throws {
        _ = try await call(.update, "sys/rotate/keyring/config", ["interval": "24h", "enabled": false])
        clock.advance(2 * 86_400)
        #expect(try await core.checkKeyringRotation() == nil, "disabled")
        _ = try await call(.update, "sys/rotate/keyring/config", ["enabled": true])
        #expect(try await core.checkKeyringRotation() == 2)
        #expect(try await core.checkKeyringRotation() == nil, "the new term is young")
        clock.advance(86_401)
        #expect(try await core.checkKeyringRotation() == 3)
    }
}
