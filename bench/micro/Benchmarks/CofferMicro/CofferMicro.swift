// Micro-benchmarks of Coffer's hot paths. Run through bench/micro/run, which writes the "Micro-benchmarks" section of
// bench/RESULTS.md; or directly: swift package --package-path bench/micro --scratch-path bench/micro/.build benchmark
//
// Fast operations loop `scalingFactor` times per sample, so every figure is per single operation; the SQLite
// benchmark's sample is one group of 64 concurrent writes.
import Benchmark
import CofferCore
import CofferSDK
import Crypto
import Foundation
import Logging
import StorageSQLite

// MARK: - Fixtures

/// 256 deterministic bytes: a typical sealed entry's payload (a small KV v2 version record).
let payload256 = Data((0..<256).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
let barrierKey = SymmetricKey(size: .bits256)
let barrierPath = "logical/4e3c1a9b-7d2f-4c11-9b61-2f0e5d8a7c33/versions/9f2/1a8e0c7d5b3f2e4a6c8d0b1f3e5a7c9d"

/// Ten policies of twenty rules each, in HCL, mixing exact paths, `*` globs and `+` segment wildcards as real policies do.
func policyText(_ p: Int) -> String {
    var text = ""
    for r in 0..<20 {
        let path: String
        let caps: String
        switch r % 4 {
        case 0:
            path = "secret/data/team\(p)/app\(r)/*"
            caps = #"["create", "read", "update", "patch", "delete"]"#
        case 1:
            path = "secret/metadata/team\(p)/app\(r)/*"
            caps = #"["list", "read"]"#
        case 2:
            path = "transit/encrypt/team\(p)-key\(r)"
            caps = #"["update"]"#
        default:
            path = "secret/data/+/shared\(p)/cfg\(r)"
            caps = #"["read"]"#
        }
        text += "path \"\(path)\" {\n  capabilities = \(caps)\n}\n\n"
    }
    return text
}

let policies: [Policy] = (0..<10).map { p in
    do { return try PolicyParser.parse(name: "team\(p)", text: policyText(p)) } catch { fatalError("policy: \(error)") }
}
let acl = ACL(policies: policies)
/// Requests a token holding those ten policies typically makes: prefix-glob hits, an exact hit, segment-wildcard hits
/// and a denial (no rule matches).
let aclRequests: [(String, CofferSDK.Operation)] = [
    ("secret/data/team3/app4/db", .read),
    ("secret/data/team9/app16/api/key", .update),
    ("secret/metadata/team0/app5/", .list),
    ("transit/encrypt/team7-key10", .update),
    ("secret/data/prod/shared2/cfg3", .read),
    ("secret/data/team5/app8/x", .read),
    ("secret/data/staging/shared8/cfg19", .read),
    ("sys/mounts", .read),
]

/// The `data` of a KV v2 read, as the engine returns it.
let kvReadData: [String: JSONValue] = [
    "data": .object([
        "username": "app-service",
        "password": "v3ry-s3cret-P@ssw0rd/with\"quotes\"",
        "url": "postgres://db.internal.example:5432/app?sslmode=verify-full",
        "api_key": "AKIAIOSFODNN7EXAMPLEwJalrXUtnFEMIK7MDENG",
        "ttl": 3600,
    ]),
    "metadata": .object([
        "created_time": "2026-11-29T12:42:37.123456789Z",
        "custom_metadata": .null,
        "deletion_time": "",
        "destroyed": false,
        "version": 7,
    ]),
]
let requestID = "0d8f6f8e-6c44-4b7e-9a31-3a5c0f1e2b7d"

/// The response envelope as CofferHTTP's `CofferResponder.envelope` writes it (that function is internal to CofferHTTP,
/// so the same public `JSONValue` calls are made here in the same order).
func kvReadEnvelope(data: [String: JSONValue], requestID: String) -> [UInt8] {
    var out = "{"
    out += "\"request_id\":\"\(requestID)\",\"lease_id\":"
    JSONValue.writeStringPublic("", to: &out)
    out += ",\"renewable\":\(false),\"lease_duration\":\(0),\"data\":"
    JSONValue.object(data).write(to: &out)
    out += ",\"wrap_info\":null,\"warnings\":null,\"auth\":null}"
    return Array(out.utf8)
}

// MARK: - State made by setup hooks

nonisolated(unsafe) var tokenStore: TokenStore!
nonisolated(unsafe) var tokenValue = ""
nonisolated(unsafe) var sqlite: SQLiteBackend!
nonisolated(unsafe) var sqliteDir: URL!
nonisolated(unsafe) var sqliteRound = 0

let benchmarks: @Sendable () -> Void = {
    let commitsPerGroup = BenchmarkMetric.custom("commitsPerGroup", polarity: .prefersSmaller, useScalingFactor: false)
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 5,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 10_000
    )

    // (a) Barrier: AES-256-GCM seal and open of one 256-byte entry, AAD = header + path.
    Benchmark("Barrier seal 256 B") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try AESGCMBarrier.encrypt(payload256, path: barrierPath, term: 1, key: barrierKey))
        }
    }
    let sealed = try! AESGCMBarrier.encrypt(payload256, path: barrierPath, term: 1, key: barrierKey)
    Benchmark("Barrier open 256 B") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try AESGCMBarrier.decrypt(sealed, path: barrierPath, key: barrierKey))
        }
    }

    // (b) Policy evaluation for a token with 10 policies x 20 paths: the per-request check on the cached compiled ACL,
    // and what a cache miss costs (compiling the ACL).
    Benchmark("ACL check, 10 policies x 20 paths") { benchmark in
        var i = 0
        for _ in benchmark.scaledIterations {
            let (path, op) = aclRequests[i & 7]
            blackHole(acl.allowOperation(path: path, operation: op, data: [:]))
            i &+= 1
        }
    }
    Benchmark("ACL compile, 10 policies x 20 paths", configuration: .init(scalingFactor: .one)) { benchmark in
        blackHole(ACL(policies: policies))
    }
    let oneText = policyText(4)
    Benchmark("Policy parse (HCL, 20 paths)", configuration: .init(scalingFactor: .one)) { benchmark in
        blackHole(try PolicyParser.parse(name: "team4", text: oneText))
    }

    // (c) Token lookup: HMAC of the token under the salt, then the in-memory entry cache (warm).
    Benchmark(
        "Token lookup (warm cache)",
        closure: { benchmark in
            let now = Date()
            for _ in benchmark.scaledIterations {
                blackHole(try await tokenStore.lookup(token: tokenValue, now: now))
            }
        },
        setup: {
            let store = TokenStore(storage: InMemoryPhysicalBackend())
            try await store.setup()
            let token = "s.Kx7cQp2ZbW9mR4tYvN8aLh3J"
            let entry = TokenEntry(
                idHash: try store.hash(token), accessor: "bVh2Xc9PqL4mN7rT1sW5yZ8a", parentHash: nil,
                policies: (0..<10).map { "team\($0)" }, meta: ["app": "bench"], displayName: "token-bench", numUses: 0,
                creationTime: Date(), creationTTL: 86_400, explicitMaxTTL: 0, period: 0, renewable: true,
                path: "auth/token/create", expireTime: Date().addingTimeInterval(86_400), role: "")
            try await store.create(entry)
            guard try await store.lookup(token: token, now: Date()) != nil else { fatalError("token not found") }
            tokenStore = store
            tokenValue = token
        }
    )

    // (d) The HTTP JSON envelope of a typical KV v2 read response, to bytes.
    Benchmark("KV v2 read envelope (JSON encode)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(kvReadEnvelope(data: kvReadData, requestID: requestID))
        }
    }

    // (e) SQLite (WAL, synchronous=FULL): 64 concurrent writes of a sealed-entry-sized value, shared by group commit.
    Benchmark(
        "SQLite 64 concurrent writes (group commit)",
        configuration: .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal, commitsPerGroup], scalingFactor: .one,
            maxDuration: .seconds(5), maxIterations: 2_000),
        closure: { benchmark in
            let db = sqlite!
            sqliteRound += 1
            let round = sqliteRound
            let value = sealed
            let before = db.commitCount
            benchmark.startMeasurement()
            await withTaskGroup(of: Void.self) { group in
                for w in 0..<64 {
                    group.addTask {
                        do { try await db.put("logical/bench/k\(w)-\(round % 16)", value) } catch { fatalError("put: \(error)") }
                    }
                }
            }
            benchmark.stopMeasurement()
            benchmark.measurement(commitsPerGroup, db.commitCount - before)
        },
        setup: {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-micro-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            sqliteDir = dir
            sqlite = try await SQLiteBackend(path: dir.appendingPathComponent("coffer.db").path, logger: Logger(label: "bench"))
        },
        teardown: {
            try await sqlite.close()
            sqlite = nil
            try? FileManager.default.removeItem(at: sqliteDir)
        }
    )
}
