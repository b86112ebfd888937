import CofferSDK
import Crypto
import Foundation
import Synchronization

/// The leases on engine secrets: stored inside the barrier, indexed in memory by expiry so the sweeper never scans
/// storage, and by token in storage so revoking a token finds its leases with one listing.
///
/// Storage layout: `sys/expire/id/<lease id>` (a ``LeaseEntry``; lease ids contain `/`, so the keys form a tree
/// that `sys/leases/lookup/<prefix>` lists directly) and `sys/expire/token/<token hash>/<sha256 of lease id>` (the
/// lease id).
final class LeaseStore: Sendable {
    static let idPrefix = "sys/expire/id/"
    static let tokenPrefix = "sys/expire/token/"

    struct Meta: Sendable {
        var expire: Date
        var nextAttempt: Date?
        var accessor: String
        var revokeError: String?
    }

    let storage: any LogicalStorage
    private let index = Mutex<[String: Meta]>([:])
    /// Leases being revoked right now, so that the sweeper and a request never revoke one twice at once.
    private let inFlight = Mutex<Set<String>>([])
    /// How many leases each token holds, so that revoking a token without leases (nearly all of them) costs no
    /// storage listing.
    private let byToken = Mutex<[String: Int]>([:])

    init(storage: any LogicalStorage) {
        self.storage = storage
    }

    /// Loads the expiry index after unseal (every lease entry once).
    func setup() async throws {
        var loaded: [String: Meta] = [:]
        var tokens: [String: Int] = [:]
        for key in try await storage.listRecursive(prefix: Self.idPrefix) {
            guard let e = try await get(key) else { continue }
            loaded[e.leaseID] = Meta(expire: e.expireTime, nextAttempt: e.nextAttempt, accessor: e.mountAccessor, revokeError: e.revokeError)
            if !e.tokenHash.isEmpty { tokens[e.tokenHash, default: 0] += 1 }
        }
        index.withLock { $0 = loaded }
        byToken.withLock { $0 = tokens }
        inFlight.withLock { $0.removeAll() }
    }

    func teardown() {
        index.withLock { $0.removeAll() }
        byToken.withLock { $0.removeAll() }
        inFlight.withLock { $0.removeAll() }
    }

    var count: Int { index.withLock { $0.count } }

    static func tokenKey(_ tokenHash: String, _ leaseID: String) -> String {
        tokenPrefix + tokenHash + "/" + hexEncoded(SHA256.hash(data: Data(leaseID.utf8)))
    }

    func get(_ leaseID: String) async throws -> LeaseEntry? {
        guard !leaseID.isEmpty, let v = try await storage.getJSON(Self.idPrefix + leaseID) else { return nil }
        return try LeaseEntry(json: v)
    }

    /// Stores a new lease and its token index in one transaction.
    func register(_ e: LeaseEntry) async throws {
        var ops: [StorageOperation] = [.put(Self.idPrefix + e.leaseID, e.json().serializedData())]
        if !e.tokenHash.isEmpty { ops.append(.put(Self.tokenKey(e.tokenHash, e.leaseID), Data(e.leaseID.utf8))) }
        try await storage.transaction(ops)
        setIndex(e)
        if !e.tokenHash.isEmpty { byToken.withLock { $0[e.tokenHash, default: 0] += 1 } }
    }

    /// Rewrites a lease (renewal, a failed attempt).
    func update(_ e: LeaseEntry) async throws {
        try await storage.put(Self.idPrefix + e.leaseID, e.json().serializedData())
        setIndex(e)
    }

    private func setIndex(_ e: LeaseEntry) {
        index.withLock {
            $0[e.leaseID] = Meta(expire: e.expireTime, nextAttempt: e.nextAttempt, accessor: e.mountAccessor, revokeError: e.revokeError)
        }
    }

    /// The storage operations that delete leases and their token index entries.
    static func deleteOperations(_ entries: [LeaseEntry]) -> [StorageOperation] {
        var ops: [StorageOperation] = []
        ops.reserveCapacity(entries.count * 2)
        for e in entries {
            ops.append(.delete(idPrefix + e.leaseID))
            if !e.tokenHash.isEmpty { ops.append(.delete(tokenKey(e.tokenHash, e.leaseID))) }
        }
        return ops
    }

    /// Deletes revoked leases, in one transaction.
    func delete(_ entries: [LeaseEntry]) async throws {
        guard !entries.isEmpty else { return }
        try await storage.transaction(Self.deleteOperations(entries))
        index.withLock { i in
            for e in entries { i.removeValue(forKey: e.leaseID) }
            i.releaseCapacityIfSparse()
        }
        byToken.withLock { t in
            for e in entries where !e.tokenHash.isEmpty {
                if let n = t[e.tokenHash], n > 1 { t[e.tokenHash] = n - 1 } else { t.removeValue(forKey: e.tokenHash) }
            }
        }
    }

    /// For a token being revoked: the operations that make each of its leases expire now and drop the index, to
    /// commit with the token's deletion; the sweeper then revokes them at their source (OpenBao revokes a token's
    /// leases the same way, lazily). The in-memory index moves at once: if the token's transaction fails, the leases
    /// are revoked early, never late.
    func expireOperations(forToken hash: String, now: Date) async throws -> [StorageOperation] {
        guard byToken.withLock({ $0.removeValue(forKey: hash) }) != nil else { return [] }
        let prefix = Self.tokenPrefix + hash + "/"
        let keys = try await storage.list(prefix: prefix)
        guard !keys.isEmpty else { return [] }
        var ops: [StorageOperation] = []
        var expired: [LeaseEntry] = []
        for key in keys where !key.hasSuffix("/") {
            ops.append(.delete(prefix + key))
            guard let idBytes = try await storage.get(prefix + key) else { continue }
            guard var e = try await get(String(decoding: idBytes, as: UTF8.self)) else { continue }
            e.tokenHash = ""
            if e.expireTime > now { e.expireTime = now }
            ops.append(.put(Self.idPrefix + e.leaseID, e.json().serializedData()))
            expired.append(e)
        }
        for e in expired { setIndex(e) }
        return ops
    }

    /// Leases whose expiry has come and whose next attempt is due, oldest first.
    func due(now: Date, limit: Int = .max) -> [String] {
        index.withLock { i in
            i.filter { $0.value.expire <= now && ($0.value.nextAttempt ?? .distantPast) <= now }
                .sorted { $0.value.expire < $1.value.expire }
                .prefix(limit).map(\.key)
        }
    }

    /// Marks leases as due now (an asynchronous revoke): stored and indexed; the sweeper revokes them.
    func expireNow(_ entries: [LeaseEntry], now: Date) async throws {
        var ops: [StorageOperation] = []
        var changed: [LeaseEntry] = []
        for var e in entries {
            e.expireTime = min(e.expireTime, now)
            e.nextAttempt = nil
            ops.append(.put(Self.idPrefix + e.leaseID, e.json().serializedData()))
            changed.append(e)
        }
        guard !ops.isEmpty else { return }
        try await storage.transaction(ops)
        for e in changed { setIndex(e) }
    }

    /// Every lease id under a prefix of lease ids (which ends in `/`, or is "" for all).
    func ids(under prefix: String) async throws -> [String] {
        try await storage.listRecursive(prefix: Self.idPrefix + prefix).map { prefix + $0 }
    }

    /// Immediate children of a lease-id prefix, as `sys/leases/lookup/<prefix>` lists them.
    func children(of prefix: String) async throws -> [String] {
        try await storage.list(prefix: Self.idPrefix + prefix)
    }

    /// Claims leases for revocation; returns those not already being revoked.
    func claim(_ ids: [String]) -> [String] {
        inFlight.withLock { f in ids.filter { f.insert($0).inserted } }
    }

    func release(_ ids: [String]) {
        inFlight.withLock { f in for id in ids { f.remove(id) } }
    }

    /// Irrevocable leases: id, mount accessor, error, ordered by expiry then id.
    func irrevocable() -> [(id: String, accessor: String, error: String, expire: Date)] {
        index.withLock { i in
            i.compactMap { k, m in m.revokeError.map { (k, m.accessor, $0, m.expire) } }
        }.sorted { ($0.expire, $0.id) < ($1.expire, $1.id) }
    }

    func meta(_ id: String) -> Meta? { index.withLock { $0[id] } }
}
