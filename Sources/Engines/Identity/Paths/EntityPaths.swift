import CofferSDK

/// `identity/entity`, `entity/id/:id`, `entity/name/:name`, their lists, `entity/batch-delete`, `entity/merge`.
extension IdentityStore {
    /// Writes to `entity`, `entity/id/:id`, `entity/name/:name` (and the deprecated `persona` paths): updates the
    /// entity named by `id` (which must exist) or by `name`, else creates one.
    func writeEntity(_ request: PathRequest) async throws -> LogicalResponse? {
        let fields = request.fields
        let id = try fields.string("id")
        let name = try fields.string("name")
        let metadata = try fields.metadataIfSet("metadata")
        // The persona paths take neither policies nor disabled.
        let persona = request.pattern.hasPrefix("persona")
        let policies = persona ? nil : try fields.stringsIfSet("policies").map(sanitizedPolicies)
        let disabled = persona ? nil : try fields.boolIfSet("disabled")
        return try await mutate { state in
            var existing: Entity?
            if !id.isEmpty {
                guard let e = state.entity(id: id) else { throw LogicalError.invalidRequest("entity not found from id") }
                existing = e
            }
            return try Self.upsertEntity(
                &state, existing: existing, name: name, policies: policies, metadata: metadata, disabled: disabled)
        }
    }

    /// The common create/update: returns `{aliases, id, name}` for a new entity, nothing for an update.
    static func upsertEntity(
        _ state: inout IdentityState, existing: Entity?, name: String, policies: [String]?, metadata: [String: String]??,
        disabled: Bool?
    ) throws -> LogicalResponse? {
        var entity = existing
        if let policies, policies.contains("root") { throw LogicalError.invalidRequest("policies cannot contain root") }
        if !name.isEmpty, let byName = state.entity(name: name) {
            if entity == nil {
                entity = byName
            } else if entity?.id != byName.id {
                throw LogicalError.invalidRequest("entity name is already in use")
            }
        }
        let isNew = entity == nil
        let now = nowVaultTime()
        var e = entity ?? Entity(
            id: IdentityIDs.uuid(), name: "", metadata: nil, policies: [], disabled: false, creationTime: now,
            lastUpdateTime: now, mergedEntityIDs: nil, aliases: [])
        if let policies { e.policies = policies }
        if !name.isEmpty { e.name = name }
        if let metadata { e.metadata = metadata }
        if let disabled { e.disabled = disabled }
        if e.name.isEmpty {
            repeat { e.name = IdentityIDs.entityName() } while state.entity(name: e.name) != nil
        }
        e.lastUpdateTime = now
        state.putEntity(e)
        guard isNew else { return nil }
        let aliasIDs: JSONValue = e.aliases.isEmpty ? .null : .array(e.aliases.map { .string($0.id) })
        return LogicalResponse(data: ["id": .string(e.id), "name": .string(e.name), "aliases": aliasIDs])
    }

    func readEntityByID(_ request: PathRequest) async throws -> LogicalResponse? {
        try await readRecord(request, key: "id", find: { $0.entity(id: $1) }, response: entityResponse)
    }

    func readEntityByName(_ request: PathRequest) async throws -> LogicalResponse? {
        try await readRecord(request, key: "name", find: { $0.entity(name: $1) }, response: entityResponse)
    }

    /// The full read shape of an entity.
    func entityResponse(_ e: Entity, _ state: IdentityState) async -> [String: JSONValue] {
        let mounts = await mountAccessors()
        let direct = state.directGroups(ofEntity: e.id).map(\.id)
        let inherited = state.inheritedGroupIDs(from: direct)
        return [
            "id": .string(e.id),
            "name": .string(e.name),
            "metadata": e.metadata.json,
            "policies": e.policies.json,
            "disabled": .bool(e.disabled),
            "creation_time": .string(e.creationTime),
            "last_update_time": .string(e.lastUpdateTime),
            "merged_entity_ids": e.mergedEntityIDs.json,
            "namespace_id": "root",
            "aliases": .array(e.aliases.map { .object(Self.aliasResponse($0, mounts: mounts, inEntity: true)) }),
            "direct_group_ids": direct.json,
            "inherited_group_ids": inherited.json,
            "group_ids": (direct + inherited).json,
        ]
    }

    func deleteEntityByID(_ request: PathRequest) async throws -> LogicalResponse? {
        let id = try request.fields.string("id")
        try await mutate { state in Self.removeEntity(&state, id: id) }
        return nil
    }

    func deleteEntityByName(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try request.fields.string("name")
        try await mutate { state in
            if let e = state.entity(name: name) { Self.removeEntity(&state, id: e.id) }
        }
        return nil
    }

    /// Deletes an entity with its aliases and drops it from every group's members.
    static func removeEntity(_ state: inout IdentityState, id: String) {
        guard state.entity(id: id) != nil else { return }
        for var g in state.directGroups(ofEntity: id) {
            g.memberEntityIDs = (g.memberEntityIDs ?? []).filter { $0 != id }
            g.modifyIndex += 1
            state.putGroup(g)
        }
        state.removeEntity(id)
    }

    func listEntitiesByID(_ request: PathRequest) async throws -> LogicalResponse? {
        try await keyInfoList(snapshot().sortedEntities, id: \.id) { e, mounts in
            var entry: [String: JSONValue] = ["name": .string(e.name)]
            if !e.aliases.isEmpty {
                entry["aliases"] = .array(
                    e.aliases.map {
                        Self.aliasSummary(id: $0.id, mountAccessor: $0.mountAccessor, name: $0.name, mounts: mounts)
                    })
            }
            return entry
        }
    }

    func listEntitiesByName(_ request: PathRequest) async throws -> LogicalResponse? {
        try await nameList(snapshot().sortedEntities, name: \.name)
    }

    func batchDeleteEntities(_ request: PathRequest) async throws -> LogicalResponse? {
        let ids = try request.fields.strings("entity_ids")
        if ids.isEmpty { throw LogicalError.invalidRequest("missing entity ids to delete") }
        if ids.contains("") { throw LogicalError.goError(.internal, "missing entity id") }
        try await mutate { state in
            for id in ids { Self.removeEntity(&state, id: id) }
        }
        return nil
    }

    func mergeEntities(_ request: PathRequest) async throws -> LogicalResponse? {
        let fields = request.fields
        let toID = try fields.string("to_entity_id")
        let fromIDs = deduplicated(try fields.strings("from_entity_ids"))
        let keep = try fields.strings("conflicting_alias_ids_to_keep")
        if toID.isEmpty { throw LogicalError.invalidRequest("missing entity id to merge to") }
        if fromIDs.isEmpty { throw LogicalError.invalidRequest("missing entity ids to merge from") }
        let mounts = await mountAccessors()
        return try await mutate { state in
            guard var to = state.entity(id: toID) else { throw LogicalError.invalidRequest("entity id to merge to is invalid") }
            var froms: [Entity] = []
            for id in fromIDs {
                if id == toID { throw LogicalError.invalidRequest("to_entity_id should not be present in from_entity_ids") }
                guard let f = state.entity(id: id) else { throw LogicalError.invalidRequest("entity id to merge from is invalid") }
                froms.append(f)
            }
            // Aliases on the same mount in both entities must be resolved by the caller.
            var dropFromTo: Set<String> = []
            var dropFromFrom: Set<String> = []
            var clashes: [String] = []
            for f in froms {
                for fa in f.aliases {
                    guard let ta = to.aliases.first(where: { $0.mountAccessor == fa.mountAccessor }) else { continue }
                    if keep.isEmpty {
                        clashes.append(
                            "mountAccessor: \(fa.mountAccessor), toEntity ID: \(to.id), fromEntity ID: \(f.id), conflicting toEntity alias ID: \(ta.id), conflicting fromEntity alias ID: \(fa.id)"
                        )
                    } else if keep.contains(fa.id) {
                        dropFromTo.insert(ta.id)
                    } else if keep.contains(ta.id) {
                        dropFromFrom.insert(fa.id)
                    } else {
                        throw LogicalError.invalidRequest(
                            "conflicting mount accessors in following alias IDs and neither were present in conflicting_alias_ids_to_keep: \(fa.id), \(ta.id)"
                        )
                    }
                }
            }
            if !clashes.isEmpty {
                let lines =
                    ["toEntity and at least one fromEntity have aliases with the same mount accessor, repeat the merge request specifying exactly one fromEntity, clashes: "]
                    + clashes
                _ = mounts
                throw LogicalError.invalidRequest(
                    "\(lines.count) errors occurred:" + lines.map { "\n\t* " + $0 }.joined() + "\n\n")
            }
            to.aliases.removeAll { dropFromTo.contains($0.id) }
            var merged = to.mergedEntityIDs ?? []
            for f in froms {
                for var a in f.aliases where !dropFromFrom.contains(a.id) {
                    a.mergedFromCanonicalIDs = (a.mergedFromCanonicalIDs ?? []) + [f.id]
                    a.canonicalID = to.id
                    to.aliases.append(a)
                }
                merged.append(f.id)
                merged.append(contentsOf: f.mergedEntityIDs ?? [])
                // Group memberships move to the surviving entity.
                for var g in state.directGroups(ofEntity: f.id) {
                    var members = (g.memberEntityIDs ?? []).filter { $0 != f.id }
                    if !members.contains(to.id) { members.append(to.id) }
                    g.memberEntityIDs = members
                    g.modifyIndex += 1
                    state.putGroup(g)
                }
                state.removeEntity(f.id)
            }
            to.mergedEntityIDs = merged
            state.putEntity(to)
            return nil
        }
    }
}
