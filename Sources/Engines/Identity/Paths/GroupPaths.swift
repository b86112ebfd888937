import CofferSDK

/// `identity/group`, `group/id/:id`, `group/name/:name` and their lists.
extension IdentityStore {
    /// The fields of a group write.
    struct GroupInput {
        var name: String
        var type: String?
        var policies: [String]?
        var metadata: [String: String]??
        var memberEntityIDs: [String]?
        var memberGroupIDs: [String]?

        init(_ fields: FieldData) throws {
            name = try fields.string("name")
            type = try fields.stringIfSet("type")
            policies = try fields.stringsIfSet("policies").map(sanitizedPolicies)
            metadata = try fields.metadataIfSet("metadata")
            memberEntityIDs = try fields.stringsIfSet("member_entity_ids").map(nonEmpty)
            memberGroupIDs = try fields.stringsIfSet("member_group_ids").map(nonEmpty)
        }
    }

    /// A write to `group`: the group named by `id`, else by `name`, is updated; otherwise one is created.
    func writeGroup(_ request: PathRequest) async throws -> LogicalResponse? {
        if request.fields.has("id") { return try await updateGroupByID(request) }
        let input = try GroupInput(request.fields)
        return try await mutate { state in
            try Self.upsertGroup(&state, existing: nil, input: input)
        }
    }

    func updateGroupByID(_ request: PathRequest) async throws -> LogicalResponse? {
        let id = try request.fields.string("id")
        if id.isEmpty { throw LogicalError.invalidRequest("empty group ID") }
        let input = try GroupInput(request.fields)
        return try await mutate { state in
            guard let g = state.group(id: id) else { throw LogicalError.invalidRequest("invalid group ID") }
            return try Self.upsertGroup(&state, existing: g, input: input)
        }
    }

    func updateGroupByName(_ request: PathRequest) async throws -> LogicalResponse? {
        let input = try GroupInput(request.fields)
        return try await mutate { state in
            try Self.upsertGroup(&state, existing: state.group(name: input.name), input: input)
        }
    }

    static func upsertGroup(_ state: inout IdentityState, existing: Group?, input: GroupInput) throws -> LogicalResponse? {
        let name = input.name
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
        if let policies = input.policies { g.policies = policies }
        if g.policies?.contains("root") ?? false { throw LogicalError.invalidRequest("policies cannot contain root") }
        if let type = input.type {
            if !g.type.isEmpty, type != g.type { throw LogicalError.invalidRequest("group type cannot be changed") }
            g.type = type
        }
        if g.type.isEmpty { g.type = "internal" }
        if g.type != "internal" && g.type != "external" {
            throw LogicalError.invalidRequest("invalid group type \"\(g.type)\"")
        }
        if let metadata = input.metadata { g.metadata = metadata }
        if let members = input.memberEntityIDs {
            if g.type == "external" {
                throw LogicalError.invalidRequest("member entities can't be set manually for external groups")
            }
            g.memberEntityIDs = members
            if members.count > 512 { throw LogicalError.invalidRequest("member entity IDs exceeding the limit of 512") }
        }
        var memberGroupIDs: [String]?
        if let members = input.memberGroupIDs {
            if g.type == "external" { throw LogicalError.invalidRequest("member groups can't be set for external groups") }
            memberGroupIDs = members
        }
        if g.name.isEmpty {
            repeat { g.name = IdentityIDs.groupName() } while state.group(name: g.name) != nil
        }
        if let ids = g.memberEntityIDs {
            let unique = deduplicated(ids)
            for id in unique where state.entity(id: id) == nil {
                throw LogicalError.goError(.internal, "invalid entity ID \"\(id)\"")
            }
            g.memberEntityIDs = unique
        }
        g.lastUpdateTime = now
        g.modifyIndex += 1
        if let wanted = memberGroupIDs.map(deduplicated) {
            for id in wanted {
                if id == g.id { throw LogicalError.goError(.internal, "member group ID \"\(id)\" is same as the ID of the group") }
                guard state.group(id: id) != nil else { throw LogicalError.goError(.internal, "invalid member group ID \"\(id)\"") }
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

    func readGroupByID(_ request: PathRequest) async throws -> LogicalResponse? {
        try await readRecord(request, key: "id", find: { $0.group(id: $1) }, response: groupResponse)
    }

    func readGroupByName(_ request: PathRequest) async throws -> LogicalResponse? {
        try await readRecord(request, key: "name", find: { $0.group(name: $1) }, response: groupResponse)
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

    func deleteGroupByID(_ request: PathRequest) async throws -> LogicalResponse? {
        let id = try request.fields.string("id")
        try await mutate { state in state.removeGroup(id) }
        return nil
    }

    func deleteGroupByName(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try request.fields.string("name")
        try await mutate { state in
            if let g = state.group(name: name) { state.removeGroup(g.id) }
        }
        return nil
    }

    func listGroupsByID(_ request: PathRequest) async throws -> LogicalResponse? {
        try await keyInfoList(snapshot().sortedGroups, id: \.id) { g, mounts in
            var entry: [String: JSONValue] = [
                "name": .string(g.name), "num_member_entities": .int(Int64(g.memberEntityIDs?.count ?? 0)),
                "num_parent_groups": .int(Int64(g.parentGroupIDs?.count ?? 0)),
            ]
            if let a = g.alias {
                entry["alias"] = Self.aliasSummary(id: a.id, mountAccessor: a.mountAccessor, name: a.name, mounts: mounts)
            }
            return entry
        }
    }

    func listGroupsByName(_ request: PathRequest) async throws -> LogicalResponse? {
        try await nameList(snapshot().sortedGroups, name: \.name)
    }
}
