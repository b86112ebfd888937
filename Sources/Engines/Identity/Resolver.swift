import CofferSDK

/// What the core asks after logins and when evaluating policies.
extension IdentityStore {
    public func resolveLogin(
        mountAccessor: String, mountType: String, mountPath: String, alias: AuthAlias
    ) async throws -> ResolvedEntity {
        let metadata: [String: String]? = alias.metadata.isEmpty ? nil : alias.metadata
        // Fast path: a known alias whose metadata is unchanged needs no write.
        let state = try await snapshot()
        if let a = state.alias(mountAccessor: mountAccessor, name: alias.name), a.metadata == metadata,
            let e = state.entity(id: a.canonicalID)
        {
            return ResolvedEntity(id: e.id, name: e.name, aliasID: a.id, disabled: e.disabled)
        }
        return try await mutate { state in
            let now = nowVaultTime()
            if var a = state.alias(mountAccessor: mountAccessor, name: alias.name), var e = state.entity(id: a.canonicalID) {
                if a.metadata != metadata {
                    a.metadata = metadata
                    a.lastUpdateTime = now
                    if let i = e.aliases.firstIndex(where: { $0.id == a.id }) { e.aliases[i] = a }
                    state.putEntity(e)
                }
                return ResolvedEntity(id: e.id, name: e.name, aliasID: a.id, disabled: e.disabled)
            }
            var e = Self.newEntity(&state, now: now)
            let a = EntityAlias(
                id: IdentityIDs.uuid(), canonicalID: e.id, mountAccessor: mountAccessor, name: alias.name,
                metadata: metadata, customMetadata: nil, creationTime: now, lastUpdateTime: now,
                mergedFromCanonicalIDs: nil)
            e.aliases.append(a)
            state.putEntity(e)
            return ResolvedEntity(id: e.id, name: e.name, aliasID: a.id, disabled: false)
        }
    }

    /// The entity's own policies, then those of its groups (direct, then inherited through parents).
    public func policies(entityID: String) async throws -> [String] {
        let state = try await snapshot()
        guard let e = state.entity(id: entityID), !e.disabled else { return [] }
        var out = e.policies
        for id in Self.allGroupIDs(of: entityID, state) {
            out.append(contentsOf: state.group(id: id)?.policies ?? [])
        }
        return deduplicated(out)
    }

    /// Direct then inherited group IDs of an entity.
    static func allGroupIDs(of entityID: String, _ state: IdentityState) -> [String] {
        let direct = state.directGroups(ofEntity: entityID).map(\.id)
        return direct + state.inheritedGroupIDs(from: direct)
    }

    public func templateValues(entityID: String) async throws -> [String: String] {
        let state = try await snapshot()
        guard let e = state.entity(id: entityID) else { return [:] }
        var out: [String: String] = [
            "identity.entity.id": e.id,
            "identity.entity.name": e.name,
        ]
        for (k, v) in e.metadata ?? [:] { out["identity.entity.metadata.\(k)"] = v }
        for a in e.aliases {
            let p = "identity.entity.aliases.\(a.mountAccessor)"
            out["\(p).id"] = a.id
            out["\(p).name"] = a.name
            for (k, v) in a.metadata ?? [:] { out["\(p).metadata.\(k)"] = v }
            for (k, v) in a.customMetadata ?? [:] { out["\(p).custom_metadata.\(k)"] = v }
        }
        for id in Self.allGroupIDs(of: entityID, state) {
            guard let g = state.group(id: id) else { continue }
            out["identity.groups.ids.\(g.id).name"] = g.name
            out["identity.groups.names.\(g.name).id"] = g.id
            for (k, v) in g.metadata ?? [:] {
                out["identity.groups.ids.\(g.id).metadata.\(k)"] = v
                out["identity.groups.names.\(g.name).metadata.\(k)"] = v
            }
        }
        return out
    }
}
