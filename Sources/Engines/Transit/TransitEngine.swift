import CofferSDK
import Foundation
import Synchronization

/// Builds the transit secrets engine for a mount.
@Sendable public func makeTransitEngine(_ config: EngineConfiguration) -> any SecretsEngine {
    TransitEngine()
}

/// The transit engine: named keys kept in storage (`policy/<name>`), used for encryption, signing and HMACs
/// without ever leaving the server (unless exportable).
///
/// Parsed key material is cached per key name and replaced on every write to that key, so an encrypt costs a
/// dictionary lookup plus the AEAD. Its paths are declared in ``router`` (Routes.swift).
struct TransitEngine: FrameworkEngine {
    /// Serialises every read-modify-write of a key (create, rotate, config, trim, delete, restore).
    let lock = AsyncLock()
    let cache = KeyCache()
    let wrapping = WrappingKeyCache()
    /// The clock: injected by tests to drive `auto_rotate_period`.
    let now: @Sendable () -> Date

    init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }
}

/// Parsed keys by name. Entries are replaced whenever the engine writes the key.
final class KeyCache: Sendable {
    private let entries = Mutex<[String: LoadedKey]>([:])

    func get(_ name: String) -> LoadedKey? { entries.withLock { $0[name] } }
    func set(_ name: String, _ key: LoadedKey) { entries.withLock { $0[name] = key } }
    func remove(_ name: String) { _ = entries.withLock { $0.removeValue(forKey: name) } }
}

extension TransitEngine {
    /// Another node wrote `policy/<name>`: that key's parsed material is dropped. (The import wrapping key, the
    /// other thing kept in memory, never changes once made.)
    func invalidate(key: String) {
        if key.hasPrefix("policy/") { cache.remove(String(key.dropFirst(7))) }
    }

    /// The key, from the cache or storage (then cached). Nil when it does not exist.
    func loadKey(_ storage: any LogicalStorage, _ name: String) async throws -> LoadedKey? {
        if let cached = cache.get(name) { return cached }
        guard let json = try await storage.getJSON(KeyPolicy.storageKey(name)) else { return nil }
        guard let policy = KeyPolicy(json: json) else { throw TransitErrors.multi("failed to decode key \(name)") }
        let loaded = try LoadedKey(policy: policy)
        cache.set(name, loaded)
        return loaded
    }

    /// The key for an operation, rotated first if its `auto_rotate_period` has passed.
    func loadForUse(_ storage: any LogicalStorage, _ name: String) async throws -> LoadedKey? {
        guard let key = try await loadKey(storage, name) else { return nil }
        if needsAutoRotation(key.policy) {
            return try await lock.withLock {
                guard let current = try await loadKey(storage, name) else { return nil }
                guard needsAutoRotation(current.policy) else { return current }
                var p = current.policy
                try rotate(&p)
                return try await save(storage, p)
            }
        }
        return key
    }

    func needsAutoRotation(_ p: KeyPolicy) -> Bool {
        guard p.autoRotatePeriod > 0, p.rotationAllowed, let latest = p.versions[p.latestVersion] else { return false }
        // Whole seconds are enough for a period of an hour or more, and avoid parsing the RFC 3339 time per request.
        // creation_time can come from a restored backup: saturating arithmetic, never a trap.
        let age = CheckedNumber.subtract(CheckedNumber.int64(clamping: now().timeIntervalSince1970), latest.creationTime) ?? Int64.max
        return age >= p.autoRotatePeriod
    }

    /// Writes the key and replaces its cache entry.
    @discardableResult
    func save(_ storage: any LogicalStorage, _ policy: KeyPolicy) async throws -> LoadedKey {
        let loaded = try LoadedKey(policy: policy)
        try await storage.putJSON(KeyPolicy.storageKey(policy.name), policy.json)
        cache.set(policy.name, loaded)
        return loaded
    }

    /// Adds a version and makes it the latest. A key rotated here is no longer an imported key (as in OpenBao).
    func rotate(_ p: inout KeyPolicy) throws {
        let v = p.latestVersion + 1
        p.versions[v] = try KeyGenerator.newVersion(type: p.type, keySize: p.keySize, now: now())
        p.latestVersion = v
        p.imported = false
    }

    /// Evaluates background work the core may call periodically: rotates every key whose period has passed.
    /// Run by the core in the background: keys whose `auto_rotate_period` has passed are rotated.
    func periodic(storage: any LogicalStorage) async throws {
        try await rotateDueKeys(storage)
    }

    func rotateDueKeys(_ storage: any LogicalStorage) async throws {
        for name in try await storage.list(prefix: "policy/") where !name.hasSuffix("/") {
            _ = try await loadForUse(storage, name)
        }
    }
}
