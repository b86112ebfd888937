import CofferSDK
import Foundation
import Synchronization

/// The identity store mounted at `identity/`: entities, entity aliases, groups, group aliases, lookups and the OIDC
/// token backend, with OpenBao's API (paths declared in ``router``). It is also the core's ``IdentityResolver`` after
/// logins.
///
/// Everything is persisted in `storage` (one record per entity, aliases inside; one per group, alias inside) and
/// loaded into memory on first use.
///
/// ```swift
/// let identity = IdentityStore(storage: PrefixedStorage(base: barrier, prefix: "sys/identity/"),
///                              mountAccessors: { await router.authMountsByAccessor() })
/// ```
public final class IdentityStore: FrameworkEngine, IdentityResolver {
    let storage: any LogicalStorage
    let mountAccessors: @Sendable () async -> [String: (type: String, path: String)]

    /// Serialises every read-modify-write (and the initial load).
    let lock = AsyncLock()
    /// The loaded state; nil until first use.
    private let cache = Mutex<IdentityState?>(nil)

    /// The server's API address (`api_addr`), the default issuer of identity tokens.
    let apiAddress: @Sendable () -> String
    /// Serialises writes of the OIDC token backend (keys, roles, config).
    let oidcLock = AsyncLock()
    /// Whether the built-in `default` named key is known to exist.
    let oidcDefaultKeyReady = Mutex(false)

    /// - Parameter apiAddress: the server's `api_addr` (e.g. `https://bao.example.com:8200`); identity tokens use it
    ///   as their issuer unless `identity/oidc/config` sets one.
    public init(
        storage: any LogicalStorage,
        mountAccessors: @escaping @Sendable () async -> [String: (type: String, path: String)],
        apiAddress: @escaping @Sendable () -> String = { "" }
    ) {
        self.storage = storage
        self.mountAccessors = mountAccessors
        self.apiAddress = apiAddress
    }

    // MARK: State

    /// Another node changed the store: the whole state is read again on next use.
    public func invalidate(key: String) {
        cache.withLock { $0 = nil }
        oidcDefaultKeyReady.withLock { $0 = false }
    }

    /// A consistent snapshot of the store, loading it on first use.
    func snapshot() async throws -> IdentityState {
        if let s = cache.withLock({ $0 }) { return s }
        return try await lock.withLock { try await loadedLocked() }
    }

    /// The state, loading it if needed. Call with `lock` held.
    private func loadedLocked() async throws -> IdentityState {
        if let s = cache.withLock({ $0 }) { return s }
        var state = IdentityState()
        for key in try await storage.list(prefix: IdentityLayout.entityPrefix) where !key.hasSuffix("/") {
            guard let data = try await storage.get(IdentityLayout.entityKey(key)) else { continue }
            state.load(try IdentityLayout.decode(Entity.self, data))
        }
        for key in try await storage.list(prefix: IdentityLayout.groupPrefix) where !key.hasSuffix("/") {
            guard let data = try await storage.get(IdentityLayout.groupKey(key)) else { continue }
            state.load(try IdentityLayout.decode(Group.self, data))
        }
        cache.withLock { $0 = state }
        return state
    }

    /// Runs `body` on a copy of the state under the lock; when it returns, writes every changed record in one
    /// transaction and publishes the new state. A throw leaves storage and memory untouched.
    func mutate<T>(_ body: (inout IdentityState) async throws -> T) async throws -> T {
        try await lock.withLock {
            var state = try await loadedLocked()
            state.clearDirty()
            let result = try await body(&state)
            var ops: [StorageOperation] = []
            for id in state.dirtyEntities.sorted() {
                if let e = state.entity(id: id) {
                    ops.append(.put(IdentityLayout.entityKey(id), try IdentityLayout.encode(e)))
                } else {
                    ops.append(.delete(IdentityLayout.entityKey(id)))
                }
            }
            for id in state.dirtyGroups.sorted() {
                if let g = state.group(id: id) {
                    ops.append(.put(IdentityLayout.groupKey(id), try IdentityLayout.encode(g)))
                } else {
                    ops.append(.delete(IdentityLayout.groupKey(id)))
                }
            }
            if !ops.isEmpty { try await storage.transaction(ops) }
            state.clearDirty()
            let published = state
            cache.withLock { $0 = published }
            return result
        }
    }

    // MARK: Mount information

    /// Adds `mount_type` and `mount_path` for an accessor that names a current mount.
    static func addMountInfo(
        _ out: inout [String: JSONValue], accessor: String, mounts: [String: (type: String, path: String)]
    ) {
        if let m = mounts[accessor] {
            out["mount_type"] = .string(m.type)
            out["mount_path"] = .string(m.path)
        }
    }

    /// The `{id, mount_accessor, name}` summary of an alias inside a list's `key_info`, with its mount's information.
    static func aliasSummary(
        id: String, mountAccessor: String, name: String, mounts: [String: (type: String, path: String)]
    ) -> JSONValue {
        var m: [String: JSONValue] = ["id": .string(id), "mount_accessor": .string(mountAccessor), "name": .string(name)]
        addMountInfo(&m, accessor: mountAccessor, mounts: mounts)
        return .object(m)
    }

    // MARK: Shared path shapes

    /// A `LIST` by id: `keys` (the ids, in the order given) and `key_info` (one object per record); none is a 404.
    func keyInfoList<Record>(
        _ records: [Record], id: (Record) -> String,
        info: (Record, [String: (type: String, path: String)]) -> [String: JSONValue]
    ) async throws -> LogicalResponse? {
        if records.isEmpty { throw LogicalError.notFound }
        let mounts = await mountAccessors()
        var keyInfo: [String: JSONValue] = [:]
        for r in records { keyInfo[id(r)] = .object(info(r, mounts)) }
        return LogicalResponse(data: ["keys": records.map(id).json, "key_info": .object(keyInfo)])
    }

    /// A `LIST` by name: `keys` only; none is a 404.
    func nameList<Record>(_ records: [Record], name: (Record) -> String) throws -> LogicalResponse? {
        if records.isEmpty { throw LogicalError.notFound }
        return LogicalResponse(data: ["keys": records.map(name).json])
    }

    /// A read of one record found by the request's `key` field; none is a 404.
    func readRecord<Record>(
        _ request: PathRequest, key: String, find: (IdentityState, String) -> Record?,
        response: (Record, IdentityState) async -> [String: JSONValue]
    ) async throws -> LogicalResponse? {
        let value = try request.fields.string(key)
        let state = try await snapshot()
        guard let r = find(state, value) else { throw LogicalError.notFound }
        return LogicalResponse(data: await response(r, state))
    }
}
