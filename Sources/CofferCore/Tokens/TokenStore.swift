import CofferSDK
import Crypto
import Foundation
import Synchronization

/// The token store: salted hashes only, a parent/child index for cascading revocation, and an in-memory cache of
/// entries so that checking a token on the hot path costs one HMAC and a dictionary lookup.
///
/// Storage layout (inside the barrier): `sys/token/id/<hash>`, `sys/token/accessor/<accessor hash>`,
/// `sys/token/parent/<parent hash>/<child hash>`, `sys/token/salt`.
public final class TokenStore: Sendable {
    static let idPrefix = "sys/token/id/"
    static let accessorPrefix = "sys/token/accessor/"
    static let parentPrefix = "sys/token/parent/"
    static let saltPath = "sys/token/salt"
    /// The AES-256-GCM key batch tokens are sealed under (``BatchTokenCodec``).
    static let batchKeyPath = "sys/token/batch-key"

    let storage: any LogicalStorage
    /// HMAC-SHA256 keyed with the salt, its key already absorbed: each hash copies it (the state is a value).
    private let salt = Mutex<HMAC<SHA256>?>(nil)
    private let batchCodec = Mutex<BatchTokenCodec?>(nil)
    private let cache = Mutex<[String: TokenEntry]>([:])
    /// Expiry time of every token that has one, so the sweeper never scans storage.
    private let expiries = Mutex<[String: Date]>([:])
    /// Failed revocations: attempt count and the earliest next try.
    private let retries = Mutex<[String: (attempt: Int, next: Date)]>([:])
    /// Serializes the read-decrement-write of limited-use tokens (``takeUse(hash:)``); unlimited tokens never take it.
    private let useLock = AsyncLock()
    /// Called with each revoked token's hash; answers the storage operations that destroy what belongs to it
    /// (cubbyhole, wrapped response), which commit in the same transaction as the token's own deletion.
    ///
    /// Held through a class: a closure kept directly in a `Mutex` is re-wrapped in a pair of reabstraction thunks
    /// on every `withLock` access (the write-back of the `inout` value), so the chain of thunks, and the cost of
    /// each call, grew with every revocation until revoking one token of a large tree took milliseconds.
    private let revokeHook = Mutex<RevokeHook?>(nil)
    private final class RevokeHook: Sendable {
        let run: @Sendable (String) async throws -> [StorageOperation]
        init(_ run: @escaping @Sendable (String) async throws -> [StorageOperation]) { self.run = run }
    }
    /// Tokens revoked per storage transaction when a tree is revoked: one commit (one fsync on SQLite) per batch
    /// instead of one per token.
    static let revokeBatch = 256

    public init(storage: any LogicalStorage) {
        self.storage = storage
    }

    func setRevokeHook(_ hook: @escaping @Sendable (String) async throws -> [StorageOperation]) {
        let boxed = RevokeHook(hook)
        revokeHook.withLock { $0 = boxed }
    }

    private func revokeHookOperations(_ hash: String) async throws -> [StorageOperation] {
        guard let hook = revokeHook.withLock({ $0 }) else { return [] }
        return try await hook.run(hash)
    }

    /// Loads (or creates) the salt after unseal.
    public func setup() async throws {
        let key: SymmetricKey
        if let s = try await storage.get(Self.saltPath) {
            key = SymmetricKey(data: s)
        } else {
            key = SymmetricKey(size: .bits256)
            try await storage.put(Self.saltPath, key.withUnsafeBytes { Data($0) })
        }
        salt.withLock { $0 = HMAC<SHA256>(key: key) }
        let batchKey: SymmetricKey
        if let k = try await storage.get(Self.batchKeyPath), k.count == 32 {
            batchKey = SymmetricKey(data: k)
        } else {
            batchKey = SymmetricKey(size: .bits256)
            try await storage.put(Self.batchKeyPath, batchKey.withUnsafeBytes { Data($0) })
        }
        batchCodec.withLock { $0 = BatchTokenCodec(key: batchKey) }
        cache.withLock { $0.removeAll() }
        var index: [String: Date] = [:]
        for h in try await storage.list(prefix: Self.idPrefix) where !h.hasSuffix("/") {
            if let e = try await lookup(hash: h), let t = e.expireTime { index[h] = t }
        }
        expiries.withLock { $0 = index }
    }

    /// Tokens with a TTL, each a lease in the expiry index.
    var leaseCount: Int { expiries.withLock { $0.count } }

    /// All stored tokens (a storage listing: for gauges, not the request path).
    func count() async throws -> Int {
        try await storage.list(prefix: Self.idPrefix).filter { !$0.hasSuffix("/") }.count
    }

    /// On a standby that serves reads: the salt and batch-token key the active node created, read without writing
    /// anything, and no expiry index (the active node revokes what expires).
    func setupForStandby() async throws {
        guard let s = try await storage.get(Self.saltPath), let k = try await storage.get(Self.batchKeyPath), k.count == 32 else {
            throw LogicalError.internalError("the token store is not set up yet")
        }
        salt.withLock { $0 = HMAC<SHA256>(key: SymmetricKey(data: s)) }
        batchCodec.withLock { $0 = BatchTokenCodec(key: SymmetricKey(data: k)) }
        cache.withLock { $0.removeAll() }
        expiries.withLock { $0.removeAll() }
    }

    /// Another node changed the token stored under `hash` (or, nil, any token).
    func invalidate(hash: String?) {
        cache.withLock { c in
            if let hash { c.removeValue(forKey: hash) } else { c.removeAll() }
        }
    }

    func teardown() {
        salt.withLock { $0 = nil }
        batchCodec.withLock { $0 = nil }
        cache.withLock { $0.removeAll() }
        expiries.withLock { $0.removeAll() }
    }

    /// HMAC-SHA256 of an identifier under the store's salt, hex encoded.
    public func hash(_ id: String) throws -> String {
        guard var mac = salt.withLock({ $0 }) else { throw LogicalError.sealed }
        var id = id
        id.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
        return hexEncoded(mac.finalize())
    }

    func lookup(hash h: String) async throws -> TokenEntry? {
        if let e = cache.withLock({ $0[h] }) { return e }
        guard let v = try await storage.getJSON(Self.idPrefix + h) else { return nil }
        let entry = try TokenEntry(json: v)
        cache.withLock { $0[h] = entry }
        return entry
    }

    /// Looks a token up by its value. Expired tokens are treated as absent (and revoked in the background).
    ///
    /// A batch token (`b.`) is opened rather than read: it is valid while its TTL lasts and, unless it is an orphan,
    /// while its parent is; it is never in storage, so nothing is revoked when it expires.
    public func lookup(token: String, now: Date) async throws -> TokenEntry? {
        guard !token.isEmpty else { return nil }
        let h = try hash(token)
        if token.hasPrefix(BatchTokenCodec.prefix), let codec = batchCodec.withLock({ $0 }), let e = codec.decode(token, idHash: h) {
            guard !e.isExpired(now: now) else { return nil }
            if let p = e.parentHash {
                guard let parent = try await lookup(hash: p), !parent.isExpired(now: now), parent.numUses != -1 else { return nil }
            }
            return e
        }
        guard let e = try await lookup(hash: h) else { return nil }
        if e.isExpired(now: now) {
            try? await revokeTree(hash: h)
            return nil
        }
        return e
    }

    func lookup(accessor: String) async throws -> TokenEntry? {
        guard !accessor.isEmpty else { return nil }
        guard let v = try await storage.getJSON(Self.accessorPrefix + hash(accessor)), let h = v["id_hash"]?.stringValue else {
            return nil
        }
        return try await lookup(hash: h)
    }

    /// Seals a batch token's entry into the token itself; nothing is stored. The entry's `idHash` is ignored (a
    /// batch token's hash is that of the token, known only once it is sealed).
    func sealBatch(_ entry: TokenEntry) throws -> String {
        guard let codec = batchCodec.withLock({ $0 }) else { throw LogicalError.sealed }
        return try codec.encode(entry)
    }

    /// Stores a new token; returns the entry.
    public func create(_ entry: TokenEntry) async throws {
        var ops: [StorageOperation] = [
            .put(Self.idPrefix + entry.idHash, entry.json().serializedData()),
            .put(Self.accessorPrefix + (try hash(entry.accessor)), JSONValue.object(["id_hash": .string(entry.idHash)]).serializedData()),
        ]
        if let p = entry.parentHash { ops.append(.put(Self.parentPrefix + p + "/" + entry.idHash, Data())) }
        try await storage.transaction(ops)
        cache.withLock { $0[entry.idHash] = entry }
        if let t = entry.expireTime { expiries.withLock { $0[entry.idHash] = t } }
    }

    func update(_ entry: TokenEntry) async throws {
        try await storage.put(Self.idPrefix + entry.idHash, entry.json().serializedData())
        cache.withLock { $0[entry.idHash] = entry }
        expiries.withLock { $0[entry.idHash] = entry.expireTime }
    }

    /// Takes one use of a limited-use token, atomically: reads the entry again under the store's use lock, so that of
    /// any number of concurrent requests exactly as many succeed as the token has uses. Returns the updated entry
    /// (`numUses == -1` after the last use: the token dies now but this request proceeds, as Vault does), or nil when
    /// another request took the last use first. An entry without a use limit is returned unchanged.
    func takeUse(hash: String) async throws -> TokenEntry? {
        try await useLock.withLock {
            guard var e = try await lookup(hash: hash) else { return nil }
            if e.numUses == 0 { return e }
            guard e.numUses > 0 else { return nil }
            e.numUses -= 1
            if e.numUses == 0 { e.numUses = -1 }
            try await update(e)
            return e
        }
    }

    /// Revokes the token and every descendant.
    ///
    /// Children go first, so that a crash midway never leaves a live child whose parent is gone. Tokens are
    /// deleted in transactions of `revokeBatch`, each carrying the tokens' accessors, parent links, cubbyholes and
    /// wrapped responses, so a tree of 20k tokens costs about eighty commits rather than sixty thousand.
    func revokeTree(hash root: String) async throws {
        var order: [String] = []
        var queue = [root]
        while let h = queue.popLast() {
            order.append(h)
            for child in try await storage.list(prefix: Self.parentPrefix + h + "/") where !child.hasSuffix("/") {
                queue.append(child)
            }
        }
        order.reverse()
        var start = 0
        while start < order.count {
            let end = min(start + Self.revokeBatch, order.count)
            try await revoke(Array(order[start..<end]))
            start = end
        }
    }

    /// Deletes the given tokens, and what belongs to them, in one transaction. Their children must already be
    /// gone or be in the same batch.
    private func revoke(_ batch: [String]) async throws {
        var ops: [StorageOperation] = []
        ops.reserveCapacity(batch.count * 4)
        for h in batch { try await ops += revokeOperations(hash: h) }
        try await storage.transaction(ops)
        cache.withLock { c in
            for h in batch { c.removeValue(forKey: h) }
            c.releaseCapacityIfSparse()
        }
        expiries.withLock { e in
            for h in batch { e.removeValue(forKey: h) }
            e.releaseCapacityIfSparse()
        }
    }

    /// The storage operations that delete one token: its entry, accessor index, link under its parent and the
    /// revoke hook's operations.
    private func revokeOperations(hash h: String) async throws -> [StorageOperation] {
        var ops: [StorageOperation] = [.delete(Self.idPrefix + h)]
        if let e = try await lookup(hash: h) {
            ops.append(.delete(Self.accessorPrefix + (try hash(e.accessor))))
            if let p = e.parentHash { ops.append(.delete(Self.parentPrefix + p + "/" + h)) }
        }
        try await ops += revokeHookOperations(h)
        return ops
    }

    /// Revokes one token. With `orphanChildren`, its children become orphans instead of being revoked.
    func revokeOne(hash h: String, orphanChildren: Bool) async throws {
        guard orphanChildren else { return try await revoke([h]) }
        var ops = try await revokeOperations(hash: h)
        var orphaned: [(String, TokenEntry)] = []
        for child in try await storage.list(prefix: Self.parentPrefix + h + "/") where !child.hasSuffix("/") {
            if var c = try await lookup(hash: child) {
                c.parentHash = nil
                ops.append(.put(Self.idPrefix + child, c.json().serializedData()))
                orphaned.append((child, c))
            }
            ops.append(.delete(Self.parentPrefix + h + "/" + child))
        }
        try await storage.transaction(ops)
        cache.withLock { c in
            c.removeValue(forKey: h)
            for (child, entry) in orphaned { c[child] = entry }
        }
        expiries.withLock { _ = $0.removeValue(forKey: h) }
    }

    /// Every accessor (for `auth/token/accessors`).
    func allAccessors() async throws -> [String] {
        var out: [String] = []
        for h in try await storage.list(prefix: Self.idPrefix) where !h.hasSuffix("/") {
            if let e = try await lookup(hash: h) { out.append(e.accessor) }
        }
        return out
    }

    /// Revokes every expired token whose retry time has come; returns how many were revoked. A revocation that
    /// fails stays due and is retried with exponential backoff (1 s, 2 s, 4 s ... up to 5 minutes), never dropped.
    func revokeExpired(now: Date) async throws -> Int {
        let due = expiries.withLock { e in
            e.filter { $0.value <= now }.map(\.key)
        }.filter { h in retries.withLock { ($0[h]?.next ?? .distantPast) <= now } }
        guard !due.isEmpty else { return 0 }
        return await withTaskGroup(of: Bool.self) { group in
            var iterator = due.makeIterator()
            func addNext() -> Bool {
                guard let h = iterator.next() else { return false }
                group.addTask {
                    do {
                        try await self.revokeTree(hash: h)
                        self.retries.withLock { _ = $0.removeValue(forKey: h) }
                        return true
                    } catch {
                        self.retries.withLock { r in
                            let attempt = (r[h]?.attempt ?? 0) + 1
                            r[h] = (attempt, now.addingTimeInterval(min(300, Double(1 << min(attempt, 9)))))
                        }
                        return false
                    }
                }
                return true
            }
            for _ in 0..<64 where addNext() {}
            var revoked = 0
            while let ok = await group.next() {
                if ok { revoked += 1 }
                _ = addNext()
            }
            return revoked
        }
    }

    /// Tokens whose revocation failed, with their retry state (for operators and tests).
    var pendingRetries: Int { retries.withLock { $0.count } }
}

extension TokenStore {
    /// Every stored token whose creation path starts with `prefix` (auth mounts, `sys/leases/revoke-prefix`).
    func hashes(withPathPrefix prefix: String) async throws -> [String] {
        var out: [String] = []
        for h in try await storage.list(prefix: Self.idPrefix) where !h.hasSuffix("/") {
            if let e = try await lookup(hash: h), e.path.hasPrefix(prefix) { out.append(h) }
        }
        return out
    }

    /// Revokes every token created under `prefix`, with their children, many at a time so the backend can group
    /// the commits.
    func revokeByPathPrefix(_ prefix: String) async throws {
        try await revokeConcurrently(try await hashes(withPathPrefix: prefix))
    }

    /// Revokes the given token trees, up to 64 at once.
    func revokeConcurrently(_ hashes: [String]) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var iterator = hashes.makeIterator()
            var running = 0
            while running < 64, let h = iterator.next() {
                group.addTask { try await self.revokeTree(hash: h) }
                running += 1
            }
            while try await group.next() != nil {
                if let h = iterator.next() { group.addTask { try await self.revokeTree(hash: h) } }
            }
        }
    }
}
