import CofferSDK

/// `identity/group-alias`, `group-alias/id/:id` and its list. A group alias ties an external group to a name on an
/// auth mount; a group has at most one.
extension IdentityStore {
    /// A write to `group-alias`: with `id`, that alias is updated.
    func writeGroupAlias(_ request: PathRequest) async throws -> LogicalResponse? {
        if request.fields.has("id") { return try await updateGroupAliasByID(request) }
        return try await upsertGroupAlias(aliasID: nil, request.fields)
    }

    func updateGroupAliasByID(_ request: PathRequest) async throws -> LogicalResponse? {
        let id = try request.fields.string("id")
        if id.isEmpty { throw LogicalError.invalidRequest("empty group alias ID") }
        return try await upsertGroupAlias(aliasID: id, request.fields)
    }

    private func upsertGroupAlias(aliasID: String?, _ fields: FieldData) async throws -> LogicalResponse? {
        let name = try fields.string("name")
        let accessor = try fields.string("mount_accessor")
        let canonicalID = try fields.string("canonical_id")
        let mounts = await mountAccessors()
        return try await mutate { state in
            var alias: GroupAlias?
            var previousGroup: Group?
            if let aliasID {
                guard let a = state.groupAlias(id: aliasID) else { throw LogicalError.invalidRequest("invalid group alias ID") }
                alias = a
                previousGroup = state.group(aliasID: aliasID)
            }
            if name.isEmpty { throw LogicalError.invalidRequest("missing alias name") }
            if accessor.isEmpty { throw LogicalError.invalidRequest("missing mount_accessor") }
            guard mounts[accessor] != nil else { throw LogicalError.invalidRequest("invalid mount accessor \"\(accessor)\"") }
            let byFactors = state.groupAlias(mountAccessor: accessor, name: name)
            if let byFactors, byFactors.id != alias?.id {
                throw LogicalError.invalidRequest("combination of mount and group alias name is already in use")
            }
            let now = nowVaultTime()
            var group: Group
            if canonicalID.isEmpty {
                if let previousGroup, let current = alias {
                    if current.name == name && current.mountAccessor == accessor { return nil }
                    group = previousGroup
                } else {
                    var groupName = IdentityIDs.groupName()
                    while state.group(name: groupName) != nil { groupName = IdentityIDs.groupName() }
                    group = Group(
                        id: IdentityIDs.uuid(), name: groupName, type: "external", policies: nil, metadata: nil,
                        memberEntityIDs: nil, parentGroupIDs: nil, creationTime: now, lastUpdateTime: now, modifyIndex: 0,
                        alias: nil)
                }
            } else {
                guard let target = state.group(id: canonicalID) else {
                    throw LogicalError.invalidRequest("invalid group ID given in 'canonical_id'")
                }
                if target.type != "external" { throw LogicalError.invalidRequest("alias can't be set on an internal group") }
                group = target
                // The alias leaves the group it was tied to.
                if var previous = previousGroup, previous.id != target.id {
                    previous.alias = nil
                    previous.modifyIndex += 1
                    previous.lastUpdateTime = now
                    state.putGroup(previous)
                }
            }
            var a = alias ?? GroupAlias(
                id: IdentityIDs.uuid(), canonicalID: group.id, mountAccessor: accessor, name: name, creationTime: now,
                lastUpdateTime: now)
            a.name = name
            a.mountAccessor = accessor
            a.canonicalID = group.id
            a.lastUpdateTime = now
            // A group holds one alias: a new one replaces the old.
            group.alias = a
            group.lastUpdateTime = now
            group.modifyIndex += 1
            state.putGroup(group)
            return LogicalResponse(data: ["id": .string(a.id), "canonical_id": .string(group.id)])
        }
    }

    static func groupAliasResponse(_ a: GroupAlias, mounts: [String: (type: String, path: String)]) -> [String: JSONValue] {
        var out: [String: JSONValue] = [
            "id": .string(a.id), "canonical_id": .string(a.canonicalID), "mount_accessor": .string(a.mountAccessor),
            "name": .string(a.name), "creation_time": .string(a.creationTime), "last_update_time": .string(a.lastUpdateTime),
            "custom_metadata": .null, "local": false, "merged_from_canonical_ids": .null, "metadata": .null,
            "namespace_id": "root",
        ]
        addMountInfo(&out, accessor: a.mountAccessor, mounts: mounts)
        return out
    }

    func readGroupAlias(_ request: PathRequest) async throws -> LogicalResponse? {
        let id = try request.fields.string("id")
        let state = try await snapshot()
        guard let a = state.groupAlias(id: id) else { throw LogicalError.notFound }
        return LogicalResponse(data: Self.groupAliasResponse(a, mounts: await mountAccessors()))
    }

    func deleteGroupAlias(_ request: PathRequest) async throws -> LogicalResponse? {
        let id = try request.fields.string("id")
        try await mutate { state in
            guard var g = state.group(aliasID: id) else { return }
            g.alias = nil
            g.modifyIndex += 1
            state.putGroup(g)
        }
        return nil
    }

    func listGroupAliases(_ request: PathRequest) async throws -> LogicalResponse? {
        try await keyInfoList(snapshot().sortedGroupAliases, id: \.id) { a, mounts in
            Self.aliasListEntry(
                canonicalID: a.canonicalID, mountAccessor: a.mountAccessor, name: a.name, metadata: .null,
                customMetadata: .null, mounts: mounts)
        }
    }
}
