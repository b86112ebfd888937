import CofferSDK

/// Every entity and group in memory, with the lookup indexes OpenBao keeps in memdb. Names and alias names are
/// matched case-insensitively, as OpenBao does.
///
/// Mutations go through ``putEntity(_:)`` / ``removeEntity(_:)`` / ``putGroup(_:)`` / ``removeGroup(_:)``, which
/// keep the indexes in step and record which records must be written back.
struct IdentityState: Sendable {
    private(set) var entities: [String: Entity] = [:]
    private(set) var groups: [String: Group] = [:]

    private var entityByName: [String: String] = [:]
    /// alias id -> entity id
    private var aliasOwner: [String: String] = [:]
    /// factors key -> alias id
    private var aliasByFactors: [String: String] = [:]
    private var groupByName: [String: String] = [:]
    /// group alias id -> group id
    private var groupAliasOwner: [String: String] = [:]
    private var groupAliasByFactors: [String: String] = [:]

    private(set) var dirtyEntities: Set<String> = []
    private(set) var dirtyGroups: Set<String> = []

    static func factors(_ accessor: String, _ name: String) -> String { accessor + "\u{0}" + name.lowercased() }

    // MARK: Lookups

    func entity(id: String) -> Entity? { entities[id] }
    func entity(name: String) -> Entity? { entityByName[name.lowercased()].flatMap { entities[$0] } }

    func alias(id: String) -> EntityAlias? {
        guard let owner = aliasOwner[id], let e = entities[owner] else { return nil }
        return e.aliases.first { $0.id == id }
    }

    func alias(mountAccessor: String, name: String) -> EntityAlias? {
        aliasByFactors[Self.factors(mountAccessor, name)].flatMap { alias(id: $0) }
    }

    func group(id: String) -> Group? { groups[id] }
    func group(name: String) -> Group? { groupByName[name.lowercased()].flatMap { groups[$0] } }

    func groupAlias(id: String) -> GroupAlias? {
        groupAliasOwner[id].flatMap { groups[$0]?.alias }
    }

    func groupAlias(mountAccessor: String, name: String) -> GroupAlias? {
        groupAliasByFactors[Self.factors(mountAccessor, name)].flatMap { groupAlias(id: $0) }
    }

    func group(aliasID: String) -> Group? { groupAliasOwner[aliasID].flatMap { groups[$0] } }

    var sortedEntities: [Entity] { entities.keys.sorted().compactMap { entities[$0] } }
    var sortedGroups: [Group] { groups.keys.sorted().compactMap { groups[$0] } }

    /// Every alias, ordered by alias id.
    var sortedAliases: [EntityAlias] { aliasOwner.keys.sorted().compactMap { alias(id: $0) } }
    var sortedGroupAliases: [GroupAlias] { groupAliasOwner.keys.sorted().compactMap { groupAlias(id: $0) } }

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

    mutating func putEntity(_ entity: Entity) {
        if let old = entities[entity.id] { unindex(old) }
        entities[entity.id] = entity
        index(entity)
        dirtyEntities.insert(entity.id)
    }

    mutating func removeEntity(_ id: String) {
        guard let old = entities.removeValue(forKey: id) else { return }
        unindex(old)
        dirtyEntities.insert(id)
    }

    mutating func putGroup(_ group: Group) {
        if let old = groups[group.id] { unindex(old) }
        groups[group.id] = group
        index(group)
        dirtyGroups.insert(group.id)
    }

    mutating func removeGroup(_ id: String) {
        guard let old = groups.removeValue(forKey: id) else { return }
        unindex(old)
        dirtyGroups.insert(id)
    }

    /// Loads a record without marking it dirty.
    mutating func load(_ entity: Entity) {
        entities[entity.id] = entity
        index(entity)
    }

    mutating func load(_ group: Group) {
        groups[group.id] = group
        index(group)
    }

    mutating func clearDirty() {
        dirtyEntities = []
        dirtyGroups = []
    }

    private mutating func index(_ e: Entity) {
        entityByName[e.name.lowercased()] = e.id
        for a in e.aliases {
            aliasOwner[a.id] = e.id
            aliasByFactors[Self.factors(a.mountAccessor, a.name)] = a.id
        }
    }

    private mutating func unindex(_ e: Entity) {
        if entityByName[e.name.lowercased()] == e.id { entityByName.removeValue(forKey: e.name.lowercased()) }
        for a in e.aliases {
            if aliasOwner[a.id] == e.id { aliasOwner.removeValue(forKey: a.id) }
            let f = Self.factors(a.mountAccessor, a.name)
            if aliasByFactors[f] == a.id { aliasByFactors.removeValue(forKey: f) }
        }
    }

    private mutating func index(_ g: Group) {
        groupByName[g.name.lowercased()] = g.id
        if let a = g.alias {
            groupAliasOwner[a.id] = g.id
            groupAliasByFactors[Self.factors(a.mountAccessor, a.name)] = a.id
        }
    }

    private mutating func unindex(_ g: Group) {
        if groupByName[g.name.lowercased()] == g.id { groupByName.removeValue(forKey: g.name.lowercased()) }
        if let a = g.alias {
            if groupAliasOwner[a.id] == g.id { groupAliasOwner.removeValue(forKey: a.id) }
            let f = Self.factors(a.mountAccessor, a.name)
            if groupAliasByFactors[f] == a.id { groupAliasByFactors.removeValue(forKey: f) }
        }
    }
}
