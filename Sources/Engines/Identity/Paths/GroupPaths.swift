import CofferSDK

/// `identity/group`, `group/id/:id`, `group/name/:name` and their lists.
extension IdentityStore {
    func registerGroup(_ fields: IdentityFields) async throws -> LogicalResponse? {
        let id = try fields.string("id")
        if !id.isEmpty { return try await updateGroupByID(id, fields) }
        return try await mutate { state in
            try Self.upsertGroup(&state, existing: nil, name: try fields.string("name"), fields: fields)
        }
    }

    func updateGroupByID(_ id: String, _ fields: IdentityFields) async throws -> LogicalResponse? {
        try await mutate { state in
            guard let g = state.group(id: id) else { throw LogicalError.invalidRequest("invalid group ID") }
            return try Self.upsertGroup(&state, existing: g, name: try fields.string("name"), fields: fields)
        }
    }

    func updateGroupByName(_ name: String, _ fields: IdentityFields) async throws -> LogicalResponse? {
        try await mutate { state in
            try Self.upsertGroup(&state, existing: state.group(name: name), name: name, fields: fields)
        }
    }

    static func upsertGroup(
        _ state: inout IdentityState, existing: Group?, name: String, fields: IdentityFields
    ) throws -> LogicalResponse? {
        var group = existing
        if !name.isEmpty, let byName = state.group(name: name) {
            if group == nil {
                group = byName
            } else if group?.id != byName.id {
                throw LogicalError.invalidRequest("group name is already in use")
            }
        }
        let isNew = group == nil
        let now = nowVaultTime()
        var g = group ?? Group(
            id: IdentityIDs.uuid(), name: "", type: "", policies: nil, metadata: nil, memberEntityIDs: nil,
            parentGroupIDs: nil, creationTime: now, lastUpdateTime: now, modifyIndex: 0, alias: nil)
        if !name.isEmpty { g.name = name }
        if let policies = try fields.stringList("policies") { g.policies = policies }
        if g.policies?.contains("root") ?? false { throw LogicalError.invalidRequest("policies cannot contain root") }
        if fields.has("type") {
            let type = try fields.string("type")
            if !g.type.isEmpty, type != g.type { throw LogicalError.invalidRequest("group type cannot be changed") }
            g.type = type
        }
        if g.type.isEmpty { g.type = "internal" }
        if g.type != "internal" && g.type != "external" {
            throw LogicalError.invalidRequest("invalid group type \"\(g.type)\"")
        }
        if let metadata = try fields.kvPairs("metadata") { g.metadata = metadata }
        if let members = try fields.stringList("member_entity_ids") {
            if g.type == "external" {
                throw LogicalError.invalidRequest("member entities can't be set manually for external groups")
            }
            g.memberEntityIDs = members
            if members.count > 512 { throw LogicalError.invalidRequest("member entity IDs exceeding the limit of 512") }
        }
        var memberGroupIDs: [String]?
        if let members = try fields.stringList("member_group_ids") {
            if g.type == "external" { throw LogicalError.invalidRequest("member groups can't be set for external groups") }
            memberGroupIDs = members
        }
        if g.name.isEmpty {
            repeat { g.name = IdentityIDs.groupName() } while state.group(name: g.name) != nil
        }
        if let ids = g.memberEntityIDs {
            let unique = deduplicated(ids)
            for id in unique where state.entity(id: id) == nil {
                throw IdentityErrors.wrapped("invalid entity ID \"\(id)\"")
            }
            g.memberEntityIDs = unique
        }
        if let p = g.policies { g.policies = deduplicated(p) }
        g.lastUpdateTime = now
        g.modifyIndex += 1
        if let wanted = memberGroupIDs.map(deduplicated) {
            for id in wanted {
                if id == g.id { throw IdentityErrors.wrapped("member group ID \"\(id)\" is same as the ID of the group") }
                guard state.group(id: id) != nil else { throw IdentityErrors.wrapped("invalid member group ID \"\(id)\"") }
            }
            // Members no longer listed lose this group as a parent.
            for oldID in state.memberGroupIDs(of: g.id) where !wanted.contains(oldID) {
                guard var old = state.group(id: oldID) else { continue }
                old.parentGroupIDs = (old.parentGroupIDs ?? []).filter { $0 != g.id }
                old.modifyIndex += 1
                state.putGroup(old)
            }
            for id in wanted {
                guard var member = state.group(id: id) else { continue }
                if member.parentGroupIDs?.contains(g.id) ?? false { continue }
                if !isNew, state.isSelfOrAncestor(id, of: g.id) {
                    throw LogicalError.invalidRequest("cyclic relationship detected for member group ID \"\(id)\"")
                }
                member.parentGroupIDs = (member.parentGroupIDs ?? []) + [g.id]
                member.modifyIndex += 1
                state.putGroup(member)
            }
        }
        state.putGroup(g)
        guard isNew else { return nil }
        return LogicalResponse(data: ["id": .string(g.id), "name": .string(g.name)])
    }

    func readGroup(id: String) async throws -> LogicalResponse? {
        let state = try await snapshot()
        guard let g = state.group(id: id) else { throw LogicalError.notFound }
        return LogicalResponse(data: await groupResponse(g, state))
    }

    func readGroup(name: String) async throws -> LogicalResponse? {
        let state = try await snapshot()
        guard let g = state.group(name: name) else { throw LogicalError.notFound }
        return LogicalResponse(data: await groupResponse(g, state))
    }

    func groupResponse(_ g: Group, _ state: IdentityState) async -> [String: JSONValue] {
        let mounts = await mountAccessors()
        let members = state.memberGroupIDs(of: g.id)
        var alias: [String: JSONValue] = [:]
        if let a = g.alias {
            alias = [
                "id": .string(a.id), "canonical_id": .string(a.canonicalID), "mount_accessor": .string(a.mountAccessor),
                "name": .string(a.name), "creation_time": .string(a.creationTime),
                "last_update_time": .string(a.lastUpdateTime), "merged_from_canonical_ids": .null, "metadata": .null,
            ]
            Self.addMountInfo(&alias, accessor: a.mountAccessor, mounts: mounts)
        }
        return [
            "id": .string(g.id),
            "name": .string(g.name),
            "type": .string(g.type),
            "policies": g.policies.json,
            "metadata": g.metadata.json,
            "member_entity_ids": g.memberEntityIDs.json,
            "member_group_ids": members.isEmpty ? .null : members.json,
            "parent_group_ids": g.parentGroupIDs.json,
            "creation_time": .string(g.creationTime),
            "last_update_time": .string(g.lastUpdateTime),
            "modify_index": .int(g.modifyIndex),
            "namespace_id": "root",
            "alias": .object(alias),
        ]
    }

    func deleteGroup(id: String) async throws -> LogicalResponse? {
        try await mutate { state in state.removeGroup(id) }
        return nil
    }

    func deleteGroup(name: String) async throws -> LogicalResponse? {
        try await mutate { state in
            if let g = state.group(name: name) { state.removeGroup(g.id) }
        }
        return nil
    }

    func listGroupsByID() async throws -> LogicalResponse? {
        let state = try await snapshot()
        let groups = state.sortedGroups
        if groups.isEmpty { throw LogicalError.notFound }
        let mounts = await mountAccessors()
        var info: [String: JSONValue] = [:]
        for g in groups {
            var entry: [String: JSONValue] = [
                "name": .string(g.name), "num_member_entities": .int(Int64(g.memberEntityIDs?.count ?? 0)),
                "num_parent_groups": .int(Int64(g.parentGroupIDs?.count ?? 0)),
            ]
            if let a = g.alias {
                var m: [String: JSONValue] = [
                    "id": .string(a.id), "mount_accessor": .string(a.mountAccessor), "name": .string(a.name),
                ]
                Self.addMountInfo(&m, accessor: a.mountAccessor, mounts: mounts)
                entry["alias"] = .object(m)
            }
            info[g.id] = .object(entry)
        }
        return LogicalResponse(data: ["keys": groups.map(\.id).json, "key_info": .object(info)])
    }

    func listGroupsByName() async throws -> LogicalResponse? {
        let groups = try await snapshot().sortedGroups
        if groups.isEmpty { throw LogicalError.notFound }
        return LogicalResponse(data: ["keys": groups.map(\.name).json])
    }
}
