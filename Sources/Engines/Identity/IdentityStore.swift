import CofferSDK
import Foundation
import Synchronization

/// The identity store mounted at `identity/`: entities, entity aliases, groups, group aliases and lookups, with
/// OpenBao's API. It is also the core's ``IdentityResolver`` after logins.
///
/// Everything is persisted in `storage` (one record per entity, aliases inside; one per group, alias inside) and
/// loaded into memory on first use.
///
/// ```swift
/// let identity = IdentityStore(storage: PrefixedStorage(base: barrier, prefix: "sys/identity/"),
///                              mountAccessors: { await router.authMountsByAccessor() })
/// ```
public final class IdentityStore: SecretsEngine, IdentityResolver {
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

    /// The discovery document and the key set are public, as OpenBao serves them.
    public var specialPaths: SpecialPaths {
        SpecialPaths(unauthenticated: ["oidc/.well-known/*"])
    }

    // MARK: State

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

    // MARK: Routing

    enum Route: Equatable {
        case entity
        case entityID(String)
        case entityIDList
        case entityName(String)
        case entityNameList
        case entityBatchDelete
        case entityMerge
        case entityAlias
        case entityAliasID(String)
        case entityAliasIDList
        case group
        case groupID(String)
        case groupIDList
        case groupName(String)
        case groupNameList
        case groupAlias
        case groupAliasID(String)
        case groupAliasIDList
        case lookupEntity
        case lookupGroup
    }

    static func route(_ rawPath: String, operation: CofferSDK.Operation) -> Route? {
        var path = rawPath
        if operation == .list, path.hasSuffix("/") { path.removeLast() }
        let exact: [String: Route] = [
            "entity": .entity, "entity/batch-delete": .entityBatchDelete, "entity/merge": .entityMerge,
            "entity-alias": .entityAlias, "group": .group, "group-alias": .groupAlias,
            "lookup/entity": .lookupEntity, "lookup/group": .lookupGroup,
        ]
        if let r = exact[path] { return r }
        let lists: [String: Route] = [
            "entity/id": .entityIDList, "entity/name": .entityNameList, "entity-alias/id": .entityAliasIDList,
            "group/id": .groupIDList, "group/name": .groupNameList, "group-alias/id": .groupAliasIDList,
        ]
        if let r = lists[path] {
            // `GET entity/id` is not a read; only LIST (or GET ?list=true, which the core turns into LIST).
            return r
        }
        let families: [(String, (String) -> Route)] = [
            ("entity/id/", Route.entityID), ("entity/name/", Route.entityName), ("entity-alias/id/", Route.entityAliasID),
            ("group/id/", Route.groupID), ("group/name/", Route.groupName), ("group-alias/id/", Route.groupAliasID),
        ]
        for (prefix, make) in families where path.hasPrefix(prefix) {
            let rest = String(path.dropFirst(prefix.count))
            guard !rest.isEmpty, !rest.contains("/") else { return nil }
            return make(rest)
        }
        return nil
    }

    public func handle(_ request: LogicalRequest) async throws -> LogicalResponse? {
        if request.path.hasPrefix("oidc/") || request.path == "oidc" {
            return try await handleOIDC(request)
        }
        guard let route = Self.route(request.path, operation: request.operation) else {
            throw LogicalError.unsupportedPath(request.path)
        }
        let op = request.operation
        let isWrite = op == .create || op == .update
        let fields = IdentityFields(request.data)
        switch route {
        case .entity:
            guard isWrite else { throw IdentityErrors.unsupportedOperation }
            return try await registerEntity(fields)
        case .entityID(let id):
            switch op {
            case .read: return try await readEntity(id: id)
            case .create, .update: return try await updateEntityByID(id, fields)
            case .delete: return try await deleteEntity(id: id)
            default: throw IdentityErrors.unsupportedOperation
            }
        case .entityName(let name):
            switch op {
            case .read: return try await readEntity(name: name)
            case .create, .update: return try await updateEntityByName(name, fields)
            case .delete: return try await deleteEntity(name: name)
            default: throw IdentityErrors.unsupportedOperation
            }
        case .entityIDList:
            guard op == .list else { throw IdentityErrors.unsupportedOperation }
            return try await listEntitiesByID()
        case .entityNameList:
            guard op == .list else { throw IdentityErrors.unsupportedOperation }
            return try await listEntitiesByName()
        case .entityBatchDelete:
            guard isWrite else { throw IdentityErrors.unsupportedOperation }
            return try await batchDeleteEntities(fields)
        case .entityMerge:
            guard isWrite else { throw IdentityErrors.unsupportedOperation }
            return try await mergeEntities(fields)
        case .entityAlias:
            guard isWrite else { throw IdentityErrors.unsupportedOperation }
            return try await registerEntityAlias(fields)
        case .entityAliasID(let id):
            switch op {
            case .read: return try await readEntityAlias(id: id)
            case .create, .update: return try await updateEntityAliasByID(id, fields)
            case .delete: return try await deleteEntityAlias(id: id)
            default: throw IdentityErrors.unsupportedOperation
            }
        case .entityAliasIDList:
            guard op == .list else { throw IdentityErrors.unsupportedOperation }
            return try await listEntityAliases()
        case .group:
            guard isWrite else { throw IdentityErrors.unsupportedOperation }
            return try await registerGroup(fields)
        case .groupID(let id):
            switch op {
            case .read: return try await readGroup(id: id)
            case .create, .update: return try await updateGroupByID(id, fields)
            case .delete: return try await deleteGroup(id: id)
            default: throw IdentityErrors.unsupportedOperation
            }
        case .groupName(let name):
            switch op {
            case .read: return try await readGroup(name: name)
            case .create, .update: return try await updateGroupByName(name, fields)
            case .delete: return try await deleteGroup(name: name)
            default: throw IdentityErrors.unsupportedOperation
            }
        case .groupIDList:
            guard op == .list else { throw IdentityErrors.unsupportedOperation }
            return try await listGroupsByID()
        case .groupNameList:
            guard op == .list else { throw IdentityErrors.unsupportedOperation }
            return try await listGroupsByName()
        case .groupAlias:
            guard isWrite else { throw IdentityErrors.unsupportedOperation }
            return try await registerGroupAlias(fields)
        case .groupAliasID(let id):
            switch op {
            case .read: return try await readGroupAlias(id: id)
            case .create, .update: return try await updateGroupAliasByID(id, fields)
            case .delete: return try await deleteGroupAlias(id: id)
            default: throw IdentityErrors.unsupportedOperation
            }
        case .groupAliasIDList:
            guard op == .list else { throw IdentityErrors.unsupportedOperation }
            return try await listGroupAliases()
        case .lookupEntity:
            guard isWrite else { throw IdentityErrors.unsupportedOperation }
            return try await lookupEntity(fields)
        case .lookupGroup:
            guard isWrite else { throw IdentityErrors.unsupportedOperation }
            return try await lookupGroup(fields)
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
}
