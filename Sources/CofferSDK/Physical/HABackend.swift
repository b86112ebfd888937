import Foundation

/// A storage backend shared by several Coffer nodes that elects one of them active (`ha_enabled`).
///
/// The election is a lock with a lease kept in the backend itself: the holder renews it by heartbeat, and another node
/// takes it only once the lease has expired by the backend's own clock (never by a node's clock). Each time the lock
/// changes hands its **term** grows by one. The active node sets a ``WriteFence`` with the term it holds; from then on
/// every write it sends commits only if the lock still has that term when it commits, so a deposed active node that has
/// not noticed yet cannot change anything once another node took over.
///
/// ```swift
/// if let lock = try await backend.acquireLock(identity: nodeID, value: advertisement, ttl: .seconds(6)) {
///     backend.setWriteFence(.held(lock))
///     // … serve as the active node, renewing every ttl/3 …
///     guard try await backend.renewLock(lock, ttl: .seconds(6)) else { /* lost: step down */ }
/// }
/// ```
public protocol HABackend: PhysicalBackend {
    /// Takes the lock for `identity` if it is free or its lease has expired (or `identity` already holds it), with a lease
    /// of `ttl`. Returns the lock (with its new term) when this node holds it now, `nil` when another node does.
    func acquireLock(identity: String, value: String, ttl: Duration) async throws -> HALock?
    /// Extends the lease of a held lock by `ttl` from now. Returns false when the lock is no longer held with that term
    /// (taken by another node after it expired, or released).
    func renewLock(_ lock: HALock, ttl: Duration) async throws -> Bool
    /// Gives the lock up at once (step-down, shutdown), if it is still held with that term.
    func releaseLock(_ lock: HALock) async throws
    /// The lock as stored: who holds it, what it advertised, its term and whether its lease is still valid.
    func lockHolder() async throws -> HALockHolder?
    /// Which writes may commit from now on (see ``WriteFence``).
    func setWriteFence(_ fence: WriteFence)

    // MARK: Change feed

    /// Every write committed under a held lock (``WriteFence/held(_:)``) also records the keys it changed in a change
    /// feed, so that standbys that serve reads themselves can drop what they cached of those keys.
    ///
    /// The position where a reader starts: changes committed after this call are reported by
    /// ``changes(since:)`` from it (those committed before may be reported too).
    func changeFeedPosition() async throws -> ChangeFeedPosition
    /// The keys changed by writes committed since `position` (a key may come twice, or again in a later call) and the
    /// position to ask from next time. Every write that committed before this call began is in the answer or in an
    /// earlier one. `complete` is false when the feed no longer reaches back to `position` (pruned), or when more
    /// changed than is worth listing: the reader must then drop everything it cached.
    func changes(since position: ChangeFeedPosition) async throws -> ChangeFeedBatch
    /// Deletes feed entries older than `age` (the active node calls it from time to time).
    func pruneChanges(olderThan age: Duration) async throws
}

/// A position in an ``HABackend``'s change feed (on PostgreSQL, a transaction id horizon).
public struct ChangeFeedPosition: Sendable, Hashable, Comparable {
    public var value: UInt64
    public init(_ value: UInt64) { self.value = value }
    public static func < (a: Self, b: Self) -> Bool { a.value < b.value }
}

/// What ``HABackend/changes(since:)`` found.
public struct ChangeFeedBatch: Sendable, Hashable {
    public var keys: [String]
    public var next: ChangeFeedPosition
    /// False when `keys` is not the whole story: the reader drops everything.
    public var complete: Bool
    public init(keys: [String], next: ChangeFeedPosition, complete: Bool) {
        self.keys = keys
        self.next = next
        self.complete = complete
    }
}

/// A held HA lock.
public struct HALock: Sendable, Hashable {
    public var identity: String
    public var value: String
    /// Grows by one each time the lock changes hands.
    public var term: Int64

    public init(identity: String, value: String, term: Int64) {
        self.identity = identity
        self.value = value
        self.term = term
    }
}

/// The stored state of the HA lock.
public struct HALockHolder: Sendable, Hashable {
    public var identity: String
    /// What the holder advertised (Coffer stores its API and cluster addresses as JSON).
    public var value: String
    public var term: Int64
    /// False once the lease has expired by the backend's clock: another node may take the lock.
    public var valid: Bool

    public init(identity: String, value: String, term: Int64, valid: Bool) {
        self.identity = identity
        self.value = value
        self.term = term
        self.valid = valid
    }
}

/// Which writes an ``HABackend`` lets commit.
public enum WriteFence: Sendable, Hashable {
    /// Every write (a single node, or before unseal: initialization writes the seal configuration before any election).
    case open
    /// Every write fails with ``PhysicalError`` carrying the reason (a standby: its writes go to the active node).
    case closed(String)
    /// A write commits only while the lock is still held with this term; checked inside the write's own transaction.
    case held(HALock)
}

/// The message a fenced write fails with: the lock moved on, so this node is no longer the active one.
public let fencedWriteMessage = "this node is no longer the active node: the HA lock has a newer term"
