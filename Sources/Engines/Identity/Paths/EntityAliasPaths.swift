import CofferSDK

/// `identity/entity-alias`, `entity-alias/id/:id` and its list.
extension IdentityStore {
    /// The read shape of an alias; inside an entity it has no `namespace_id`.
    static func aliasResponse(
        _ a: EntityAlias, mounts: [String: (type: String, path: String)], inEntity: Bool
    ) -> [String: JSONValue] {
        var out: [String: JSONValue] = [
            "id": .string(a.id),
            "canonical_id": .string(a.canonicalID),
            "mount_accessor": .string(a.mountAccessor),
            "name": .string(a.name),
            "metadata": a.metadata.json,
            "custom_metadata": a.customMetadata.json,
            "creation_time": .string(a.creationTime),
            "last_update_time": .string(a.lastUpdateTime),
            "merged_from_canonical_ids": a.mergedFromCanonicalIDs.json,
            "local": false,
        ]
        if !inEntity { out["namespace_id"] = "root" }
        addMountInfo(&out, accessor: a.mountAccessor, mounts: mounts)
        return out
    }

    struct AliasInput {
        var name: String
        var mountAccessor: String
        var canonicalID: String
        var customMetadata: [String: String]?

        /// The fields of a write; `entity_id` is the older name of `canonical_id`, and the deprecated `alias`
        /// paths take no custom metadata.
        init(_ request: PathRequest) throws {
            let fields = request.fields
            name = try fields.string("name")
            mountAccessor = try fields.string("mount_accessor")
            canonicalID = try fields.string("canonical_id")
            if canonicalID.isEmpty { canonicalID = try fields.string("entity_id") }
            customMetadata = request.pattern.hasPrefix("alias") ? nil : try fields.pairsIfSet("custom_metadata")
        }
    }

    /// Writes to `entity-alias` and `entity-alias/id/:id` (and the deprecated `alias` paths): the alias named by
    /// `id`, else the one with the same mount and name, is updated; otherwise one is created.
    func writeEntityAlias(_ request: PathRequest) async throws -> LogicalResponse? {
        let id = try request.fields.string("id")
        if !id.isEmpty { return try await updateEntityAlias(id: id, request) }
        let input = try AliasInput(request)
        if input.mountAccessor.isEmpty || input.name.isEmpty {
            throw LogicalError.invalidRequest("'id' or 'mount_accessor' and 'name' must be provided")
        }
        let mounts = await mountAccessors()
        return try await mutate { state in
            if let existing = state.alias(mountAccessor: input.mountAccessor, name: input.name) {
                return try Self.updateAlias(&state, existing, input: input, mounts: mounts)
            }
            return try Self.createAlias(&state, input: input, mounts: mounts)
        }
    }

    func updateEntityAlias(id: String, _ request: PathRequest) async throws -> LogicalResponse? {
        var input = try AliasInput(request)
        let mounts = await mountAccessors()
        return try await mutate { state in
            guard let alias = state.alias(id: id) else { throw LogicalError.invalidRequest("invalid alias ID provided") }
            switch (input.mountAccessor.isEmpty, input.name.isEmpty) {
            case (true, true):
                if input.canonicalID.isEmpty && input.customMetadata == nil { return nil }
                input.name = alias.name
                input.mountAccessor = alias.mountAccessor
            case (true, false): input.mountAccessor = alias.mountAccessor
            case (false, true): input.name = alias.name
            case (false, false): break
            }
            return try Self.updateAlias(&state, alias, input: input, mounts: mounts)
        }
    }

    static func createAlias(
        _ state: inout IdentityState, input: AliasInput, mounts: [String: (type: String, path: String)]
    ) throws -> LogicalResponse? {
        var owner: Entity?
        if !input.canonicalID.isEmpty {
            guard let e = state.entity(id: input.canonicalID) else { throw LogicalError.invalidRequest("invalid canonical ID") }
            owner = e
        }
        guard mounts[input.mountAccessor] != nil else {
            throw LogicalError.invalidRequest("invalid mount accessor \"\(input.mountAccessor)\"")
        }
        let now = nowVaultTime()
        var entity: Entity
        if let owner {
            if owner.aliases.contains(where: { $0.mountAccessor == input.mountAccessor }) {
                throw LogicalError.invalidRequest("Alias already exists for requested entity and mount accessor")
            }
            entity = owner
        } else {
            entity = Self.newEntity(&state, now: now)
        }
        let alias = EntityAlias(
            id: IdentityIDs.uuid(), canonicalID: entity.id, mountAccessor: input.mountAccessor, name: input.name,
            metadata: nil, customMetadata: input.customMetadata ?? [:], creationTime: now, lastUpdateTime: now,
            mergedFromCanonicalIDs: nil)
        entity.aliases.append(alias)
        state.putEntity(entity)
        return LogicalResponse(data: ["id": .string(alias.id), "canonical_id": .string(entity.id)])
    }

    /// A fresh unnamed entity (`entity_<hex>.root`), not yet stored.
    static func newEntity(_ state: inout IdentityState, now: String) -> Entity {
        var name = IdentityIDs.entityName()
        while state.entity(name: name) != nil { name = IdentityIDs.entityName() }
        return Entity(
            id: IdentityIDs.uuid(), name: name, metadata: nil, policies: [], disabled: false, creationTime: now,
            lastUpdateTime: now, mergedEntityIDs: nil, aliases: [])
    }

    static func updateAlias(
        _ state: inout IdentityState, _ original: EntityAlias, input: AliasInput,
        mounts: [String: (type: String, path: String)]
    ) throws -> LogicalResponse? {
        let customMetadata = input.customMetadata ?? [:]
        if input.name == original.name, input.mountAccessor == original.mountAccessor,
            input.canonicalID.isEmpty || input.canonicalID == original.canonicalID,
            customMetadata == (original.customMetadata ?? [:])
        {
            return nil
        }
        var alias = original
        if input.name != alias.name || input.mountAccessor != alias.mountAccessor {
            if let other = state.alias(mountAccessor: input.mountAccessor, name: input.name), other.id != alias.id {
                throw LogicalError.invalidRequest("alias with combination of mount accessor and name already exists")
            }
            guard mounts[input.mountAccessor] != nil else {
                throw LogicalError.invalidRequest("invalid mount accessor \"\(input.mountAccessor)\"")
            }
            alias.name = input.name
            alias.mountAccessor = input.mountAccessor
        }
        alias.customMetadata = customMetadata
        alias.lastUpdateTime = nowVaultTime()
        guard var current = state.entity(id: original.canonicalID) else {
            throw LogicalError.internalError("alias is not associated with an entity")
        }
        if input.canonicalID.isEmpty || input.canonicalID == current.id {
            if let i = current.aliases.firstIndex(where: { $0.id == alias.id }) { current.aliases[i] = alias }
            state.putEntity(current)
        } else {
            guard var target = state.entity(id: input.canonicalID) else {
                throw LogicalError.invalidRequest("given 'canonical_id' is not associated with an entity")
            }
            if target.aliases.contains(where: { $0.mountAccessor == alias.mountAccessor }) {
                throw LogicalError.invalidRequest(
                    "Alias cannot be updated as the given entity already has an alias for this mount")
            }
            current.aliases.removeAll { $0.id == alias.id }
            state.putEntity(current)
            alias.canonicalID = target.id
            target.aliases.append(alias)
            state.putEntity(target)
        }
        return LogicalResponse(data: ["id": .string(alias.id), "canonical_id": .string(alias.canonicalID)])
    }

    func readEntityAlias(_ request: PathRequest) async throws -> LogicalResponse? {
        let id = try request.fields.string("id")
        let state = try await snapshot()
        guard let a = state.alias(id: id) else { throw LogicalError.notFound }
        return LogicalResponse(data: Self.aliasResponse(a, mounts: await mountAccessors(), inEntity: false))
    }

    func deleteEntityAlias(_ request: PathRequest) async throws -> LogicalResponse? {
        let id = try request.fields.string("id")
        try await mutate { state in
            guard let a = state.alias(id: id), var e = state.entity(id: a.canonicalID) else { return }
            e.aliases.removeAll { $0.id == id }
            state.putEntity(e)
        }
        return nil
    }

    func listEntityAliases(_ request: PathRequest) async throws -> LogicalResponse? {
        try await keyInfoList(snapshot().sortedAliases, id: \.id) { a, mounts in
            Self.aliasListEntry(
                canonicalID: a.canonicalID, mountAccessor: a.mountAccessor, name: a.name, metadata: a.metadata.json,
                customMetadata: a.customMetadata.json, mounts: mounts)
        }
    }

    /// An alias's entry in the `key_info` of an alias list (entity aliases and group aliases alike).
    static func aliasListEntry(
        canonicalID: String, mountAccessor: String, name: String, metadata: JSONValue, customMetadata: JSONValue,
        mounts: [String: (type: String, path: String)]
    ) -> [String: JSONValue] {
        var m: [String: JSONValue] = [
            "canonical_id": .string(canonicalID), "custom_metadata": customMetadata, "local": false,
            "metadata": metadata, "mount_accessor": .string(mountAccessor), "name": .string(name),
        ]
        addMountInfo(&m, accessor: mountAccessor, mounts: mounts)
        return m
    }
}
