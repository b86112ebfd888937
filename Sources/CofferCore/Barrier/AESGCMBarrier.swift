import CofferSDK
import Crypto
import Foundation
import Synchronization

/// Errors of the security barrier. Messages never include key material or plaintext.
public enum BarrierError: Error, CustomStringConvertible, Sendable {
    case sealed
    case corrupt(String)
    case decryptFailed(path: String)
    case unknownTerm(UInt32)

    public var description: String {
        switch self {
        case .sealed: return "Vault is sealed"
        case .corrupt(let m): return "barrier: \(m)"
        case .decryptFailed(let path): return "failed to decrypt entry at \"\(path)\": message authentication failed"
        case .unknownTerm(let t): return "barrier: no key for term \(t)"
        }
    }
}

/// The security barrier: every entry is AES-256-GCM sealed with the active keyring term and stored as
/// `0x01 | term (4 bytes, big endian) | nonce (12) | ciphertext | tag (16)`. The associated data is the 5-byte header
/// followed by the storage path, so neither the term nor the entry's location can be changed undetected.
///
/// Reads take no lock beyond a brief snapshot of the keyring, so they never queue behind each other.
public final class AESGCMBarrier: LogicalStorage {
    public static let keyringPath = "core/keyring"
    public static let rootKeyPath = "core/root-key"
    static let version: UInt8 = 1

    public let physical: any PhysicalBackend
    private let keyring = Mutex<Keyring?>(nil)
    private let encryptionCount = Atomic<Int64>(0)

    /// Decrypted entries, so a hot read costs no storage round trip and no AES. Cleared on seal. A read only fills
    /// the cache when no write ran meanwhile (`writes` unchanged), so it can never resurrect an overwritten value.
    /// An entry may also hold the value decoded from its bytes (``getDecoded(_:as:decode:)``).
    private struct ReadCache {
        var entries: [String: CachedEntry] = [:]
        var bytes = 0
        var writes: UInt64 = 0
    }
    private struct CachedEntry {
        var data: Data
        var decoded: (any Sendable)?
        /// The key's length plus the dictionary slot, `Data` object and allocator headers, set on insertion.
        var overhead = 0
        /// What the entry counts against the cap: a decoded value is reckoned at twice its bytes.
        var cost: Int { (decoded == nil ? data.count : data.count * 3) + overhead }
    }
    private let cache = Mutex(ReadCache())
    static let cacheMaxBytes = 16 * 1024 * 1024
    static let cacheMaxEntry = 64 * 1024
    /// Not cached here: the token store keeps its own cache of decoded entries, and tokens come and go in
    /// bursts of tens of thousands that would otherwise fill (and fragment) the heap twice.
    static let uncachedPrefix = "sys/token/"

    public init(physical: any PhysicalBackend) {
        self.physical = physical
    }

    public var isSealed: Bool { keyring.withLock { $0 == nil } }

    // MARK: Entry format

    /// Seals one value for `path` under `key`, tagging it with `term`.
    public static func encrypt(_ plaintext: Data, path: String, term: UInt32, key: SymmetricKey, nonce: AES.GCM.Nonce = AES.GCM.Nonce()) throws -> Data {
        var out = Data(capacity: 1 + 4 + 12 + plaintext.count + 16)
        out.append(version)
        withUnsafeBytes(of: term.bigEndian) { out.append(contentsOf: $0) }
        let box = try AES.GCM.seal(plaintext, using: key, nonce: nonce, authenticating: associatedData(header: out, path: path))
        out.append(contentsOf: box.nonce)
        out.append(box.ciphertext)
        out.append(box.tag)
        return out
    }

    /// Header (version and term) followed by the path: what every entry's tag authenticates besides its ciphertext.
    static func associatedData(header: Data, path: String) -> Data {
        var aad = Data(header.prefix(5))
        aad.append(contentsOf: path.utf8)
        return aad
    }

    /// The term a stored value names, or nil when the header is malformed.
    static func term(of blob: Data) -> UInt32? {
        guard blob.count >= 1 + 4 + 12 + 16, blob[blob.startIndex] == version else { return nil }
        let s = blob.startIndex
        return blob[(s + 1)..<(s + 5)].reduce(UInt32(0)) { ($0 << 8) | UInt32($1) }
    }

    public static func decrypt(_ blob: Data, path: String, key: SymmetricKey) throws -> Data {
        guard blob.count >= 1 + 4 + 12 + 16, blob[blob.startIndex] == version else {
            throw BarrierError.corrupt("entry at \"\(path)\" has an invalid header")
        }
        let s = blob.startIndex
        do {
            let nonce = try AES.GCM.Nonce(data: blob[(s + 5)..<(s + 17)])
            let box = try AES.GCM.SealedBox(nonce: nonce, ciphertext: blob[(s + 17)..<(blob.endIndex - 16)], tag: blob[(blob.endIndex - 16)...])
            return try AES.GCM.open(box, using: key, authenticating: associatedData(header: blob[s..<(s + 5)], path: path))
        } catch {
            throw BarrierError.decryptFailed(path: path)
        }
    }

    // MARK: Lifecycle

    /// Creates the keyring and stores it, sealed by `rootKey`, with the root key sealed by `unsealKey`.
    func initialize(rootKey: SymmetricKey, unsealKey: SymmetricKey, now: Date) async throws {
        let ring = Keyring.fresh(rootKey: rootKey, now: now)
        let sealedRoot = try Self.encrypt(rootKey.withUnsafeBytes { Data($0) }, path: Self.rootKeyPath, term: 0, key: unsealKey)
        let sealedRing = try Self.encrypt(ring.serialized(), path: Self.keyringPath, term: 0, key: rootKey)
        try await physical.transaction([.put(Self.rootKeyPath, sealedRoot), .put(Self.keyringPath, sealedRing)])
    }

    /// Opens the barrier with the unseal key; throws when the key is wrong.
    func unseal(unsealKey: SymmetricKey) async throws {
        guard let sealedRoot = try await physical.get(Self.rootKeyPath), let sealedRing = try await physical.get(Self.keyringPath) else {
            throw BarrierError.corrupt("barrier is not initialized")
        }
        let rootBytes = try Self.decrypt(sealedRoot, path: Self.rootKeyPath, key: unsealKey)
        let rootKey = SymmetricKey(data: rootBytes)
        let ring = try Keyring.deserialize(try Self.decrypt(sealedRing, path: Self.keyringPath, key: rootKey))
        keyring.withLock { $0 = ring }
    }

    /// Re-reads the keyring from storage with the root key already held (another node of an HA cluster may have
    /// rotated it while this one was a standby) and drops every cached entry.
    func reloadKeyring() async throws {
        guard let ring = keyring.withLock({ $0 }) else { throw BarrierError.sealed }
        guard let sealedRing = try await physical.get(Self.keyringPath) else { throw BarrierError.corrupt("barrier is not initialized") }
        let fresh = try Keyring.deserialize(try Self.decrypt(sealedRing, path: Self.keyringPath, key: ring.rootKey))
        keyring.withLock { $0 = fresh }
        clearCache()
    }

    /// Forgets the decrypted entries of `keys` (another node wrote them); a read under way does not cache what it read.
    func invalidate(_ keys: [String]) {
        cache.withLock { c in
            c.writes &+= 1
            for k in keys { if let old = c.entries.removeValue(forKey: k) { c.bytes -= old.cost } }
        }
    }

    /// Forgets every decrypted entry (another node may have written any of them).
    func clearCache() {
        cache.withLock { $0 = ReadCache(entries: [:], bytes: 0, writes: $0.writes &+ 1) }
    }

    /// Drops every key from memory.
    func seal() {
        keyring.withLock { $0 = nil }
        cache.withLock { $0 = ReadCache(entries: [:], bytes: 0, writes: $0.writes &+ 1) }
    }

    private func beginWrite(_ keys: [String]) {
        cache.withLock { c in
            c.writes &+= 1
            for k in keys { if let old = c.entries.removeValue(forKey: k) { c.bytes -= old.cost } }
            c.entries.releaseCapacityIfSparse()
        }
    }

    private func endWrite(_ values: [(String, Data?)], decoded: [String: any Sendable] = [:]) {
        cache.withLock { c in
            c.writes &+= 1
            for (k, v) in values {
                if let old = c.entries.removeValue(forKey: k) { c.bytes -= old.cost }
                if let v { Self.insert(&c, k, CachedEntry(data: v, decoded: decoded[k])) }
            }
        }
    }

    private static func insert(_ c: inout ReadCache, _ key: String, _ entry: CachedEntry) {
        guard entry.data.count <= cacheMaxEntry, !key.hasPrefix(uncachedPrefix) else { return }
        var entry = entry
        entry.overhead = key.utf8.count + 160
        if let old = c.entries.removeValue(forKey: key) { c.bytes -= old.cost }
        if c.bytes + entry.cost > cacheMaxBytes {
            c.entries.removeAll()
            c.bytes = 0
        }
        c.entries[key] = entry
        c.bytes += entry.cost
    }

    /// Installs a new active term; entries written under older terms stay readable.
    func rotate(now: Date) async throws -> KeyTerm {
        try StandbyReadScope.refuseWrite(Self.keyringPath)
        guard let ring = keyring.withLock({ $0 }) else { throw BarrierError.sealed }
        let next = ring.rotated(now: now)
        let sealedRing = try Self.encrypt(next.serialized(), path: Self.keyringPath, term: 0, key: next.rootKey)
        try await physical.put(Self.keyringPath, sealedRing)
        keyring.withLock { $0 = next }
        return next.active
    }

    public func activeTerm() throws -> KeyTerm {
        guard let ring = keyring.withLock({ $0 }) else { throw BarrierError.sealed }
        return ring.active
    }

    public var encryptions: Int64 { encryptionCount.load(ordering: .relaxed) }

    // MARK: LogicalStorage

    private func currentRing() throws -> Keyring {
        guard let ring = keyring.withLock({ $0 }) else { throw BarrierError.sealed }
        return ring
    }

    public func get(_ key: String) async throws -> Data? {
        try await cachedEntry(key)?.data
    }

    public func getDecoded<T: Sendable>(_ key: String, as type: T.Type, decode: (Data) throws -> T) async throws -> T? {
        guard let entry = try await cachedEntry(key) else { return nil }
        if let value = entry.decoded as? T { return value }
        let value = try decode(entry.data)
        cache.withLock { c in
            // Attach only to the very bytes decoded: a write meanwhile replaced or dropped the entry.
            if var current = c.entries[key], current.data == entry.data {
                current.decoded = value
                Self.insert(&c, key, current)
            }
        }
        return value
    }

    /// The cached entry for `key`, or its value read from storage and decrypted (and cached when no write ran
    /// meanwhile).
    private func cachedEntry(_ key: String) async throws -> CachedEntry? {
        var ring = try currentRing()
        let (hit, writesBefore) = cache.withLock { ($0.entries[key], $0.writes) }
        if let hit { return hit }
        guard let blob = try await physical.get(key) else { return nil }
        guard let term = Self.term(of: blob) else { throw BarrierError.corrupt("entry at \"\(key)\" has an invalid header") }
        if ring.terms[term] == nil, term > ring.activeTerm {
            // Another node of the cluster rotated the keyring and wrote this entry after this node last read it (a
            // standby serving reads): the keyring is read again.
            try await reloadKeyring()
            ring = try currentRing()
        }
        guard let k = ring.terms[term] else { throw BarrierError.unknownTerm(term) }
        let entry = CachedEntry(data: try Self.decrypt(blob, path: key, key: k.key))
        cache.withLock { c in
            if c.writes == writesBefore, c.entries[key] == nil { Self.insert(&c, key, entry) }
        }
        return entry
    }

    private func seal(_ value: Data, path: String, ring: Keyring) throws -> Data {
        encryptionCount.add(1, ordering: .relaxed)
        let active = ring.active
        return try Self.encrypt(value, path: path, term: active.term, key: active.key)
    }

    public func put(_ key: String, _ value: Data) async throws {
        try StandbyReadScope.refuseWrite(key)
        let ring = try currentRing()
        let sealed = try seal(value, path: key, ring: ring)
        beginWrite([key])
        do {
            try await physical.put(key, sealed)
        } catch {
            endWrite([(key, nil)])
            throw error
        }
        endWrite([(key, value)])
    }

    public func delete(_ key: String) async throws {
        try StandbyReadScope.refuseWrite(key)
        _ = try currentRing()
        beginWrite([key])
        defer { endWrite([(key, nil)]) }
        try await physical.delete(key)
    }

    public func list(prefix: String) async throws -> [String] {
        _ = try currentRing()
        return try await physical.list(prefix: prefix)
    }

    public func transaction(_ operations: [StorageOperation]) async throws {
        try await transaction(operations, decoded: [:])
    }

    public func transaction(_ operations: [StorageOperation], decoded: [String: any Sendable]) async throws {
        try StandbyReadScope.refuseWrite(operations.first?.key ?? "")
        let ring = try currentRing()
        let sealed = try operations.map { op -> StorageOperation in
            switch op {
            case .put(let k, let v): return .put(k, try seal(v, path: k, ring: ring))
            case .delete: return op
            }
        }
        let keys = operations.map(\.key)
        beginWrite(keys)
        do {
            try await physical.transaction(sealed)
        } catch {
            endWrite(keys.map { ($0, nil) })
            throw error
        }
        endWrite(
            operations.map { op in
                switch op {
                case .put(let k, let v): return (k, v)
                case .delete(let k): return (k, nil)
                }
            }, decoded: decoded)
    }
}
