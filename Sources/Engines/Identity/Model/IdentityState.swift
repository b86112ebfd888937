import CofferSDK

/// Every entity and group in memory, with the lookup indexes OpenBao keeps in memdb. Names and alias names are
/// matched case-insensitively, as OpenBao does.
///
/// Mutations go through ``putEntity(_:)`` / ``removeEntity(_:)`` / ``putGroup(_:)`` / ``removeGroup(_:)``, which
/// keep the indexes in step and record which records must be written back.
struct IdentityState: Sendable {
    private(set) var entities: [String: Entity] = [:]
    private(set) var groups: [String: Group] = [:]

    private var entityIndex = Index()
    private var groupIndex = Index()

    private(set) var dirtyEntities: Set<String> = []
    private(set) var dirtyGroups: Set<String> = []

    static func factors(_ accessor: String, _ name: String) -> String { accessor + "\u{0}" + name.lowercased() }

    // MARK: Lookups

    func entity(id: String) -> Entity? { entities[id] }
    func entity(name: String) -> Entity? { entityIndex.byName[name.lowercased()].flatMap { entities[$0] } }

    func alias(id: String) -> EntityAlias? {
        guard let owner = entityIndex.aliasOwner[id], let e = entities[owner] else { return nil }
        return e.aliases.first { $0.id == id }
    }

    func alias(mountAccessor: String, name: String) -> EntityAlias? {
        entityIndex.aliasByFactors[Self.factors(mountAccessor, name)].flatMap { alias(id: $0) }
    }

    func group(id: String) -> Group? { groups[id] }
    func group(name: String) -> Group? { groupIndex.byName[name.lowercased()].flatMap { groups[$0] } }

    func groupAlias(id: String) -> GroupAlias? {
        groupIndex.aliasOwner[id].flatMap { groups[$0]?.alias }
    }

    func groupAlias(mountAccessor: String, name: String) -> GroupAlias? {
        groupIndex.aliasByFactors[Self.factors(mountAccessor, name)].flatMap { groupAlias(id: $0) }
    }

    func group(aliasID: String) -> Group? { groupIndex.aliasOwner[aliasID].flatMap { groups[$0] } }

    var sortedEntities: [Entity] { entities.keys.sorted().compactMap { entities[$0] } }
    var sortedGroups: [Group] { groups.keys.sorted().compactMap { groups[$0] } }

    /// Every alias, ordered by alias id.
    var sortedAliases: [EntityAlias] { entityIndex.aliasOwner.keys.sorted().compactMap { alias(id: $0) } }
    var sortedGroupAliases: [GroupAlias] { groupIndex.aliasOwner.keys.sorted().compactMap { groupAlias(id: $0) } }

    /// Groups listing the entity as a member, ordered by group id.
    func directGroups(ofEntity entityID: String) -> [Group] {
        sortedGroups.filter { $0.memberEntityIDs?.contains(entityID) ?? false }
    }

    /// Groups having `groupID` among their parents, ordered by group id.
    func memberGroupIDs(of groupID: String) -> [String] {
        sortedGroups.filter { $0.parentGroupIDs?.contains(groupID) ?? false }.map(\.id)
    }

    /// The ancestors of the given groups (through `parent_group_ids`, depth first), excluding the groups themselves.
    func inheritedGroupIDs(from direct: [String]) -> [String] {
        var visited = Set(direct)
        var out: [String] = []
        func visit(_ id: String) {
            guard let g = groups[id] else { return }
            for parent in g.parentGroupIDs ?? [] where !visited.contains(parent) {
                visited.insert(parent)
                guard groups[parent] != nil else { continue }
                out.append(parent)
                visit(parent)
            }
        }
        for id in direct { visit(id) }
        return out
    }

    /// Whether `candidate` is `groupID` or one of its ancestors.
    func isSelfOrAncestor(_ candidate: String, of groupID: String) -> Bool {
        var visited: Set<String> = []
        var pending = [groupID]
        while let id = pending.popLast() {
            if id == candidate { return true }
            guard visited.insert(id).inserted, let g = groups[id] else { continue }
            pending.append(contentsOf: g.parentGroupIDs ?? [])
        }
        return false
    }

    // MARK: Mutations

    mutating func putEntity(_ entity: Entity) { Self.put(entity, into: &entities, &entityIndex, dirty: &dirtyEntities) }
    mutating func removeEntity(_ id: String) { Self.remove(id, from: &entities, &entityIndex, dirty: &dirtyEntities) }
    mutating func putGroup(_ group: Group) { Self.put(group, into: &groups, &groupIndex, dirty: &dirtyGroups) }
    mutating func removeGroup(_ id: String) { Self.remove(id, from: &groups, &groupIndex, dirty: &dirtyGroups) }

    /// Loads a record without marking it dirty.
    mutating func load(_ entity: Entity) {
        entities[entity.id] = entity
        entityIndex.add(entity)
    }

    mutating func load(_ group: Group) {
        groups[group.id] = group
        groupIndex.add(group)
    }

    /// Stores a record, re-indexes it and marks it dirty.
    private static func put<R: IndexedRecord>(
        _ record: R, into records: inout [String: R], _ index: inout Index, dirty: inout Set<String>
    ) {
        if let old = records[record.id] { index.remove(old) }
        records[record.id] = record
        index.add(record)
        dirty.insert(record.id)
    }

    private static func remove<R: IndexedRecord>(
        _ id: String, from records: inout [String: R], _ index: inout Index, dirty: inout Set<String>
    ) {
        guard let old = records.removeValue(forKey: id) else { return }
        index.remove(old)
        dirty.insert(id)
    }

    mutating func clearDirty() {
        dirtyEntities = []
        dirtyGroups = []
    }

    /// The lookup indexes of one kind of record (entities, or groups with their one alias).
    struct Index: Sendable {
        typealias AliasKey = (id: String, mountAccessor: String, name: String)
        /// lowercased name -> record id
        var byName: [String: String] = [:]
        /// alias id -> record id
        var aliasOwner: [String: String] = [:]
        /// factors key -> alias id
        var aliasByFactors: [String: String] = [:]

        mutating func add(_ record: some IndexedRecord) {
            byName[record.name.lowercased()] = record.id
            for a in record.aliasKeys {
                aliasOwner[a.id] = record.id
                aliasByFactors[IdentityState.factors(a.mountAccessor, a.name)] = a.id
            }
        }

        /// Drops the entries that still point at this record (another may have taken a name since).
        mutating func remove(_ record: some IndexedRecord) {
            let name = record.name.lowercased()
            if byName[name] == record.id { byName.removeValue(forKey: name) }
            for a in record.aliasKeys {
                if aliasOwner[a.id] == record.id { aliasOwner.removeValue(forKey: a.id) }
                let f = IdentityState.factors(a.mountAccessor, a.name)
                if aliasByFactors[f] == a.id { aliasByFactors.removeValue(forKey: f) }
            }
        }
    }
}

/// An entity or a group as ``IdentityState/Index`` sees it: its id, its name and its aliases' keys.
protocol IndexedRecord {
    var id: String { get }
    var name: String { get }
    var aliasKeys: [IdentityState.Index.AliasKey] { get }
}

extension Entity: IndexedRecord {
    var aliasKeys: [IdentityState.Index.AliasKey] { aliases.map { ($0.id, $0.mountAccessor, $0.name) } }
}

extension Group: IndexedRecord {
    var aliasKeys: [IdentityState.Index.AliasKey] { alias.map { [($0.id, $0.mountAccessor, $0.name)] } ?? [] }
}
