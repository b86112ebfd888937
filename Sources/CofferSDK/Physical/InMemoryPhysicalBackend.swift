import Foundation
import Synchronization

/// The in-memory backend for `-dev`, `inmem` configs and tests.
///
/// Besides the entries it keeps a folder index (each folder's immediate children, with the number of keys under
/// each), so that listing a folder costs the size of that folder, not of the whole store: revoking a token tree or
/// sweeping expired tokens lists one small folder per token.
public final class InMemoryPhysicalBackend: PhysicalBackend, LogicalStorage {
    fileprivate struct State {
        var entries: [String: Data] = [:]
        /// The HA lock of ``node()`` views, kept with the entries so that a fenced write and a takeover never interleave.
        var lock: (holder: HALockHolder, expires: ContinuousClock.Instant, released: Bool)?
        /// The change feed of fenced writes: (position, key), oldest first, and the first position not yet used.
        var changes: [(position: UInt64, key: String, at: ContinuousClock.Instant)] = []
        var nextChange: UInt64 = 1
        /// Positions below this were pruned.
        var prunedBelow: UInt64 = 0
        /// Folder path (`""` or ending in `/`) → child name (a key's last component, or a folder name ending in
        /// `/`) → number of keys under that child.
        var folders: [String: [String: Int]] = [:]

        mutating func put(_ key: String, _ value: Data) {
            if entries.updateValue(value, forKey: key) == nil { index(key, by: 1) }
        }

        mutating func delete(_ key: String) {
            if entries.removeValue(forKey: key) != nil { index(key, by: -1) }
        }

        /// Adds or removes one key from the count of every folder on its path.
        mutating func index(_ key: String, by delta: Int) {
            // Works on UTF-8 offsets: slicing by Character costs several times more on every write.
            let utf8 = key.utf8
            var start = utf8.startIndex
            while true {
                let slash = utf8[start...].firstIndex(of: UInt8(ascii: "/"))
                let end = slash.map { utf8.index(after: $0) } ?? utf8.endIndex
                let folder = String(key[..<start])
                let child = String(key[start..<end])
                // Move the folder's table out, change it, put it back: it is then never shared while it changes.
                // (Reading `folders[folder]?[child]` first kept a second reference alive, and every change copied
                // the whole table: revoking the 25k children of one token took minutes.)
                var children = folders.removeValue(forKey: folder) ?? [:]
                let n = (children[child] ?? 0) + delta
                if n > 0 {
                    children[child] = n
                } else {
                    children.removeValue(forKey: child)
                }
                if !children.isEmpty { folders[folder] = children }
                guard slash != nil, end != utf8.endIndex else { return }
                start = end
            }
        }
    }

    private let state = Mutex(State())

    public init() {}

    public func get(_ key: String) async throws -> Data? { state.withLock { $0.entries[key] } }
    public func put(_ key: String, _ value: Data) async throws { state.withLock { $0.put(key, value) } }
    public func delete(_ key: String) async throws { state.withLock { $0.delete(key) } }

    public func list(prefix: String) async throws -> [String] {
        state.withLock { s in
            if prefix.isEmpty || prefix.hasSuffix("/") {
                return (s.folders[prefix].map { Array($0.keys) } ?? []).sorted()
            }
            // A prefix inside a name: the folder's children that start with the rest.
            let cut = prefix.lastIndex(of: "/").map { prefix.index(after: $0) } ?? prefix.startIndex
            let folder = String(prefix[..<cut])
            let partial = prefix[cut...]
            return (s.folders[folder]?.keys.filter { $0.hasPrefix(partial) }.map { String($0.dropFirst(partial.count)) }.filter { !$0.isEmpty } ?? []).sorted()
        }
    }

    public func transaction(_ operations: [StorageOperation]) async throws {
        state.withLock { s in
            for op in operations {
                switch op {
                case .put(let k, let v): s.put(k, v)
                case .delete(let k): s.delete(k)
                }
            }
        }
    }

    public func close() async throws {}

    /// A view of this store for one node of a simulated HA cluster (tests): its own write fence, the shared entries
    /// and lock.
    public func node() -> InMemoryHANode { InMemoryHANode(store: self) }

    fileprivate func withState<T>(_ body: (inout State) throws -> T) rethrows -> T { try state.withLock { try body(&$0) } }

    fileprivate static func check(_ fence: WriteFence, _ s: State) throws {
        switch fence {
        case .open: return
        case .closed(let reason): throw PhysicalError(reason)
        case .held(let lock):
            guard let l = s.lock, l.holder.identity == lock.identity, l.holder.term == lock.term else { throw PhysicalError(fencedWriteMessage) }
        }
    }

    fileprivate func fencedTransaction(_ operations: [StorageOperation], fence: WriteFence) throws {
        try state.withLock { s in
            try Self.check(fence, s)
            let held: Bool
            if case .held = fence { held = true } else { held = false }
            let now = ContinuousClock.now
            for op in operations {
                let key: String
                switch op {
                case .put(let k, let v):
                    s.put(k, v)
                    key = k
                case .delete(let k):
                    s.delete(k)
                    key = k
                }
                if held {
                    s.changes.append((s.nextChange, key, now))
                }
            }
            if held { s.nextChange += 1 }
        }
    }

    /// Test hook: every stored key.
    public var allKeys: [String] { state.withLock { Array($0.entries.keys).sorted() } }
    /// Test hook: replaces a raw value (for tamper tests).
    public func rawSet(_ key: String, _ value: Data) { state.withLock { $0.put(key, value) } }
}

/// One node's view of an ``InMemoryPhysicalBackend`` shared by several cores in one process: the HA lock by the
/// process's continuous clock, and a write fence of its own. For tests of the election and fencing.
public final class InMemoryHANode: HABackend {
    let store: InMemoryPhysicalBackend
    private let fence = Mutex<WriteFence>(.open)

    init(store: InMemoryPhysicalBackend) { self.store = store }

    public func get(_ key: String) async throws -> Data? { try await store.get(key) }
    public func list(prefix: String) async throws -> [String] { try await store.list(prefix: prefix) }
    public func put(_ key: String, _ value: Data) async throws { try store.fencedTransaction([.put(key, value)], fence: fence.withLock { $0 }) }
    public func delete(_ key: String) async throws { try store.fencedTransaction([.delete(key)], fence: fence.withLock { $0 }) }
    public func transaction(_ operations: [StorageOperation]) async throws {
        try store.fencedTransaction(operations, fence: fence.withLock { $0 })
    }
    public func close() async throws {}

    public func setWriteFence(_ fence: WriteFence) { self.fence.withLock { $0 = fence } }

    public func acquireLock(identity: String, value: String, ttl: Duration) async throws -> HALock? {
        let now = ContinuousClock.now
        return store.withState { s -> HALock? in
            if let l = s.lock, l.expires > now, l.holder.identity != identity { return nil }
            let term: Int64
            if let l = s.lock { term = (l.holder.identity == identity && l.expires > now) ? l.holder.term : l.holder.term + 1 } else { term = 1 }
            s.lock = (HALockHolder(identity: identity, value: value, term: term, valid: true), now + ttl, false)
            return HALock(identity: identity, value: value, term: term)
        }
    }

    public func renewLock(_ lock: HALock, ttl: Duration) async throws -> Bool {
        let now = ContinuousClock.now
        return store.withState { s in
            // A released lock stays released: renewing cannot revive it (as on PostgreSQL).
            guard let l = s.lock, l.holder.identity == lock.identity, l.holder.term == lock.term, !l.released else { return false }
            s.lock = (l.holder, now + ttl, false)
            return true
        }
    }

    public func releaseLock(_ lock: HALock) async throws {
        let now = ContinuousClock.now
        store.withState { s in
            guard let l = s.lock, l.holder.identity == lock.identity, l.holder.term == lock.term else { return }
            s.lock = (l.holder, now - .seconds(1), true)
        }
    }

    public func lockHolder() async throws -> HALockHolder? {
        let now = ContinuousClock.now
        return store.withState { s in
            guard let l = s.lock else { return nil }
            var h = l.holder
            h.valid = l.expires > now
            return h
        }
    }

    public func changeFeedPosition() async throws -> ChangeFeedPosition {
        store.withState { ChangeFeedPosition($0.nextChange) }
    }

    public func changes(since position: ChangeFeedPosition) async throws -> ChangeFeedBatch {
        store.withState { s in
            let next = ChangeFeedPosition(s.nextChange)
            guard position.value >= s.prunedBelow else { return ChangeFeedBatch(keys: [], next: next, complete: false) }
            let keys = s.changes.filter { $0.position >= position.value }.map(\.key)
            return ChangeFeedBatch(keys: keys, next: next, complete: true)
        }
    }

    public func pruneChanges(olderThan age: Duration) async throws {
        let cutoff = ContinuousClock.now - age
        store.withState { s in
            while let first = s.changes.first, first.at < cutoff {
                s.prunedBelow = first.position + 1
                s.changes.removeFirst()
            }
        }
    }
}
