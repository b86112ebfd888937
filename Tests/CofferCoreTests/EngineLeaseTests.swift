import CofferSDK
import Foundation
import Logging
import Synchronization
import Testing

@testable import CofferCore

/// What the test engine's "source" holds: live credentials, and whether revoking them fails.
final class LeaseLedger: Sendable {
    let live = Mutex<Set<String>>([])
    let failRevoke = Mutex(false)
    let revokes = Mutex(0)
    let rotations = Mutex(0)
    let failRotation = Mutex(false)
    let batches = Mutex<[Int]>([])
    let failBatch = Mutex(false)
}

/// A secrets engine that hands out leased "credentials" (`creds/{name}`) and rotates a job on a schedule, recording
/// both in a ``LeaseLedger``.
struct LeaseTestEngine: FrameworkEngine, RotatingEngine {
    let ledger: LeaseLedger
    let rotationsHandle: (any RotationScheduling)?

    static let router = PathRouter<LeaseTestEngine>(
        [
            EnginePath(
                "creds/{name}", fields: [.duration("ttl"), .duration("max_ttl")],
                operations: [
                    .read: .init { e, r in
                        let user = "u-" + RandomID.base62(8)
                        e.ledger.live.withLock { _ = $0.insert(user) }
                        let ttl = try r.fields.int("ttl")
                        let maxTTL = try r.fields.int("max_ttl")
                        return LogicalResponse(
                            data: ["username": .string(user)],
                            secret: .lease(
                                type: "creds", ttl: ttl > 0 ? ttl : nil, maxTTL: maxTTL > 0 ? maxTTL : nil,
                                internalData: ["username": .string(user)]))
                    }
                ]),
            EnginePath(
                "schedule/{name}", fields: [.duration("in")],
                operations: [
                    .update: .init { e, r in
                        e.rotationsHandle?.schedule(try r.fields.string("name"), at: Date().addingTimeInterval(Double(try r.fields.int("in"))))
                        return nil
                    }
                ]),
        ],
        secrets: [
            SecretType(
                "creds",
                renew: { _, r in
                    LogicalResponse(secret: SecretInfo(ttl: r.secret?.increment ?? 0, renewable: true, leased: true))
                },
                revoke: { e, r in
                    e.ledger.revokes.withLock { $0 += 1 }
                    if e.ledger.failRevoke.withLock({ $0 }) { throw LogicalError.internalError("ERROR: source unavailable") }
                    let user = r.secret?.internalData["username"]?.stringValue ?? ""
                    e.ledger.live.withLock { _ = $0.remove(user) }
                },
                revokeBatch: { e, requests in
                    e.ledger.batches.withLock { $0.append(requests.count) }
                    if e.ledger.failBatch.withLock({ $0 }) { throw LogicalError.internalError("batch failed") }
                    let users = requests.compactMap { $0.secret?.internalData["username"]?.stringValue }
                    e.ledger.live.withLock { live in for u in users { live.remove(u) } }
                })
        ])

    var pathDescriptions: [PathDescription] { [] }

    func scheduledRotations(storage: any LogicalStorage) async throws -> [(id: String, due: Date)] { [] }

    func rotate(job id: String, storage: any LogicalStorage) async throws -> Date? {
        if ledger.failRotation.withLock({ $0 }) { throw LogicalError.internalError("rotation failed") }
        ledger.rotations.withLock { $0 += 1 }
        return nil
    }
}

@Suite struct EngineLeaseTests {
    typealias S = SecurityTests

    static func core(clock: TestClock, ledger: LeaseLedger, physical: any PhysicalBackend = InMemoryPhysicalBackend())
        async throws -> (Core, String, [UInt8])
    {
        let factory: EngineFactory = { config in LeaseTestEngine(ledger: ledger, rotationsHandle: config.rotations) }
        let core = Core(
            configuration: CoreConfiguration(), physical: physical, engines: ["leasetest": factory], logger: Logger(label: "test"),
            now: { clock.now })
        try await core.loadSealConfig()
        let r = try await core.initialize(shares: 1, threshold: 1)
        _ = try await core.unseal(keyBytes: r.keys[0], reset: false)
        _ = try await S.write(core, r.rootToken, "sys/mounts/lt", ["type": "leasetest"])
        return (core, r.rootToken, r.keys[0])
    }

    static func creds(_ core: Core, _ token: String, _ query: [String: JSONValue] = [:], name: String = "a") async throws -> CoreResponse {
        try await S.write(core, token, "lt/creds/\(name)", query, op: .read)
    }

    @Test func leaseIsRegisteredLookedUpListedAndRevoked() async throws {
        let clock = TestClock(), ledger = LeaseLedger()
        let (core, root, _) = try await Self.core(clock: clock, ledger: ledger)
        let r = try await Self.creds(core, root, ["ttl": "1h"])
        #expect(r.leaseID.hasPrefix("lt/creds/a/"))
        #expect(r.leaseID.count == "lt/creds/a/".count + 24)
        #expect(r.leaseDuration == 3600)
        #expect(r.renewable)
        #expect(ledger.live.withLock { $0.count } == 1)

        let l = try #require(try await S.write(core, root, "sys/leases/lookup", ["lease_id": .string(r.leaseID)]).data)
        #expect(l["id"] == .string(r.leaseID))
        #expect(l["path"] == "lt/creds/a")
        #expect(l["ttl"] == 3600)
        #expect(l["renewable"] == true)
        #expect(l["last_renewal"] == .null)

        let top = try #require(try await S.write(core, root, "sys/leases/lookup/", op: .list).data)
        #expect(top["keys"]?.arrayValue?.contains("lt/") == true)
        let list = try #require(try await S.write(core, root, "sys/leases/lookup/lt/creds/a", op: .list).data)
        #expect(list["keys"] == .array([.string(String(r.leaseID.dropFirst("lt/creds/a/".count)))]))

        let revoked = try await S.write(core, root, "sys/leases/revoke", ["lease_id": .string(r.leaseID)])
        #expect(revoked.httpStatus == nil)
        #expect(ledger.live.withLock { $0.isEmpty }, "revoked at its source")
        #expect(await S.message { _ = try await S.write(core, root, "sys/leases/lookup", ["lease_id": .string(r.leaseID)]) } == "invalid lease")
        // Revoking it again, or an unknown lease, is not an error.
        _ = try await S.write(core, root, "sys/leases/revoke", ["lease_id": .string(r.leaseID)])
        #expect(ledger.revokes.withLock { $0 } == 1)
    }

    @Test func expiryRevokesAtTheSourceAndSurvivesASealCycle() async throws {
        let clock = TestClock(), ledger = LeaseLedger()
        let (core, root, key) = try await Self.core(clock: clock, ledger: ledger)
        let r = try await Self.creds(core, root, ["ttl": "30s"])
        #expect(r.leaseDuration == 30)
        try await core.seal()
        _ = try await core.unseal(keyBytes: key, reset: false)
        #expect(core.leases.count == 1, "the index is rebuilt from storage")
        clock.advance(29)
        _ = try await core.revokeExpiredTokens()
        #expect(ledger.live.withLock { $0.count } == 1)
        clock.advance(2)
        _ = try await core.revokeExpiredTokens()
        #expect(ledger.live.withLock { $0.isEmpty })
        #expect(core.leases.count == 0)
    }

    @Test func revokingTheTokenRevokesItsLeases() async throws {
        let clock = TestClock(), ledger = LeaseLedger()
        let (core, root, _) = try await Self.core(clock: clock, ledger: ledger)
        let child = try await CoreTests.create(core, token: root, ["policies": ["root"]])
        let grandchild = try await CoreTests.create(core, token: child, ["policies": ["root"]])
        _ = try await Self.creds(core, child)
        _ = try await Self.creds(core, grandchild)
        _ = try await Self.creds(core, root)
        #expect(ledger.live.withLock { $0.count } == 3)
        _ = try await S.write(core, root, "auth/token/revoke", ["token": .string(child)])
        _ = try await core.revokeExpiredTokens()
        #expect(ledger.live.withLock { $0.count } == 1, "the child's and grandchild's leases went with them; root's stays")
    }

    @Test func renewalIsCappedByTheMaxTTLWithOpenBaosWarning() async throws {
        let clock = TestClock(), ledger = LeaseLedger()
        let (core, root, _) = try await Self.core(clock: clock, ledger: ledger)
        let r = try await Self.creds(core, root, ["ttl": "1h", "max_ttl": "24h"])
        let renewed = try await S.write(core, root, "sys/leases/renew", ["lease_id": .string(r.leaseID), "increment": "2h"])
        #expect(renewed.leaseID == r.leaseID)
        #expect(renewed.leaseDuration == 7200)
        #expect(renewed.warnings.isEmpty)
        // Checked on OpenBao 2.7.2: at once after issue the whole max TTL remains ("24h"); a second later, 23h59m59s.
        let whole = try await S.write(core, root, "sys/leases/renew", ["lease_id": .string(r.leaseID), "increment": "100h"])
        #expect(whole.leaseDuration == 86400)
        #expect(whole.warnings == ["TTL of \"100h\" exceeded the effective max_ttl of \"24h\"; TTL value is capped accordingly"])
        clock.advance(1)
        let capped = try await S.write(core, root, "sys/leases/renew", ["lease_id": .string(r.leaseID), "increment": "100h"])
        #expect(capped.leaseDuration == 86399)
        #expect(capped.warnings == ["TTL of \"100h\" exceeded the effective max_ttl of \"23h59m59s\"; TTL value is capped accordingly"])
        let l = try #require(try await S.write(core, root, "sys/leases/lookup", ["lease_id": .string(r.leaseID)]).data)
        #expect(l["last_renewal"] != .null)
        #expect(await S.message { _ = try await S.write(core, root, "sys/leases/renew", ["lease_id": "lt/creds/a/nosuch"]) } == "lease not found")
        clock.advance(86_400)
        #expect(await S.message { _ = try await S.write(core, root, "sys/leases/renew", ["lease_id": .string(r.leaseID)]) } == "lease expired")
    }

    @Test func failedRevocationsAreRetriedThenIrrevocableThenForced() async throws {
        let clock = TestClock(), ledger = LeaseLedger()
        let (core, root, _) = try await Self.core(clock: clock, ledger: ledger)
        let r = try await Self.creds(core, root, ["ttl": "10s"])
        ledger.failRevoke.withLock { $0 = true }
        let text = "failed to revoke entry: resp: (*logical.Response)(nil) err: ERROR: source unavailable"
        #expect(await S.message { _ = try await S.write(core, root, "sys/leases/revoke", ["lease_id": .string(r.leaseID)]) } == text)
        #expect(
            await S.message { _ = try await S.write(core, root, "sys/leases/revoke-prefix/lt/creds") }
                == "failed to revoke \"\(r.leaseID)\" (1 / 1): \(text)")
        clock.advance(11)
        // Six attempts with growing delays; then it is irrevocable and never dropped.
        for attempt in 1...6 {
            _ = try await core.revokeExpiredTokens()
            let e = try #require(try await core.leases.get(r.leaseID))
            #expect(e.attempts == attempt)
            clock.advance(400)
        }
        let e = try #require(try await core.leases.get(r.leaseID))
        #expect(e.revokeError == "out of retries: " + text)
        let count = try #require(try await S.write(core, root, "sys/leases/count", ["type": "irrevocable"], op: .read).data)
        #expect(count["lease_count"] == 1)
        #expect(count["counts"]?.objectValue?.count == 1)
        let list = try #require(try await S.write(core, root, "sys/leases", ["type": "irrevocable"], op: .read).data)
        #expect(list["leases"]?.arrayValue?.first?["lease_id"] == .string(r.leaseID))
        #expect(list["leases"]?.arrayValue?.first?["error"] == .string("out of retries: " + text))
        let lookup = try #require(try await S.write(core, root, "sys/leases/lookup", ["lease_id": .string(r.leaseID)]).data)
        #expect(lookup["revoke_error"] == .string("out of retries: " + text))
        #expect(lookup["renewable"] == false)
        #expect(
            await S.message { _ = try await S.write(core, root, "sys/leases/renew", ["lease_id": .string(r.leaseID)]) }
                == "lease is expired and has failed previous revocation attempts")
        #expect(await S.message { _ = try await S.write(core, root, "sys/leases/count", op: .read) } == "")
        _ = try await S.write(core, root, "sys/leases/revoke-force/lt/creds/a")
        #expect(try await core.leases.get(r.leaseID) == nil)
        #expect(try #require(try await S.write(core, root, "sys/leases/count", ["type": "irrevocable"], op: .read).data)["lease_count"] == 0)
    }

    @Test func revokePrefixRevokesThousandsAndAsyncAnswers202() async throws {
        let clock = TestClock(), ledger = LeaseLedger()
        let (core, root, _) = try await Self.core(clock: clock, ledger: ledger)
        for i in 0..<2_000 { _ = try await Self.creds(core, root, name: i % 2 == 0 ? "even" : "odd") }
        #expect(ledger.live.withLock { $0.count } == 2_000)
        _ = try await S.write(core, root, "sys/leases/revoke-prefix/lt/creds/even")
        #expect(ledger.live.withLock { $0.count } == 1_000)
        let queued = try await S.write(core, root, "sys/leases/revoke-prefix/lt/creds/odd", ["sync": false])
        #expect(queued.httpStatus == 202)
        #expect(ledger.live.withLock { $0.count } == 1_000, "only queued")
        _ = try await core.revokeExpiredTokens()
        #expect(ledger.live.withLock { $0.isEmpty })
        #expect(core.leases.count == 0)
        // A prefix that names nothing is not an error.
        _ = try await S.write(core, root, "sys/leases/revoke-prefix/lt/creds/nosuch")
    }

    @Test func revokePrefixUsesTheEnginesBatchRevocationAndFallsBackOneByOne() async throws {
        let clock = TestClock(), ledger = LeaseLedger()
        let (core, root, _) = try await Self.core(clock: clock, ledger: ledger)
        for _ in 0..<250 { _ = try await Self.creds(core, root) }
        _ = try await S.write(core, root, "sys/leases/revoke-prefix/lt/creds/a")
        #expect(ledger.batches.withLock { $0.sorted() } == [50, 100, 100])
        #expect(ledger.revokes.withLock { $0 } == 0, "no lease went one by one")
        #expect(ledger.live.withLock { $0.isEmpty } && core.leases.count == 0)
        // A batch that fails: every lease is revoked on its own instead.
        for _ in 0..<30 { _ = try await Self.creds(core, root) }
        ledger.failBatch.withLock { $0 = true }
        _ = try await S.write(core, root, "sys/leases/revoke-prefix/lt/creds/a")
        #expect(ledger.revokes.withLock { $0 } == 30)
        #expect(ledger.live.withLock { $0.isEmpty } && core.leases.count == 0)
    }

    @Test func disablingTheMountRevokesItsLeasesOrRefuses() async throws {
        let clock = TestClock(), ledger = LeaseLedger()
        let (core, root, _) = try await Self.core(clock: clock, ledger: ledger)
        let r = try await Self.creds(core, root)
        ledger.failRevoke.withLock { $0 = true }
        let refused = await S.message { _ = try await S.write(core, root, "sys/mounts/lt", op: .delete) }
        #expect(refused?.hasPrefix("failed to revoke \"\(r.leaseID)\" (1 / 1): failed to revoke entry: ") == true)
        #expect(try await core.findMount(path: "lt", isAuth: false) != nil, "the mount stays")
        ledger.failRevoke.withLock { $0 = false }
        _ = try await S.write(core, root, "sys/mounts/lt", op: .delete)
        #expect(ledger.live.withLock { $0.isEmpty })
        #expect(core.leases.count == 0)
    }

    @Test func scheduledRotationsRunWhenDueAndRetryAfterFailure() async throws {
        let clock = TestClock(), ledger = LeaseLedger()
        let (core, root, _) = try await Self.core(clock: clock, ledger: ledger)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-rot-\(UUID().uuidString)")
        let file = dir.appendingPathComponent("audit.log")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try await S.write(core, root, "sys/audit/f", ["type": "file", "options": ["file_path": .string(file.path)]])
        _ = try await S.write(core, root, "lt/schedule/job", ["in": "0s"])
        ledger.failRotation.withLock { $0 = true }
        clock.advance(1)
        #expect(await core.runDueRotations() == 0)
        let mount = try #require(try core.findMount(path: "lt", isAuth: false))
        let retry = try #require(core.rotations.next(.init(mountUUID: mount.uuid, id: "job")))
        #expect(retry > clock.now, "a failed rotation is tried again later, not dropped")
        ledger.failRotation.withLock { $0 = false }
        clock.advance(11)
        #expect(await core.runDueRotations() == 1)
        #expect(ledger.rotations.withLock { $0 } == 1)
        #expect(core.rotations.count == 0, "the engine said there is no next run")
        let text = core.metrics.prometheusText()
        #expect(text.contains(#"coffer_rotations_total{result="failure"} 1"#))
        #expect(text.contains(#"coffer_rotations_total{result="success"} 1"#))
        // Both runs are in the audit log, as updates of the mount's job path; the failed one with its error.
        let entries = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }
        let runs = entries.filter { $0["type"] == "response" && $0["request"]?["path"] == "lt/job" }
        #expect(runs.count == 2)
        #expect(runs.first?["error"]?.stringValue?.contains("rotation failed") == true)
        #expect(runs.last?["error"] == nil || runs.last?["error"] == .string(""))
    }
}
