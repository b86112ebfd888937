import CofferSDK

/// `identity/lookup/entity` and `identity/lookup/group`: exactly one criterion (or alias name + mount accessor);
/// no match is a 204.
extension IdentityStore {
    struct LookupCriteria {
        var id = ""
        var name = ""
        var aliasID = ""
        var aliasName = ""
        var aliasMountAccessor = ""

        init(_ fields: IdentityFields, idField: String) throws {
            var count = 0
            if fields.has(idField) { id = try fields.string(idField); count += 1 }
            if fields.has("name") { name = try fields.string("name"); count += 1 }
            if fields.has("alias_id") { aliasID = try fields.string("alias_id"); count += 1 }
            if fields.has("alias_name") { aliasName = try fields.string("alias_name"); count += 1 }
            if fields.has("alias_mount_accessor") { aliasMountAccessor = try fields.string("alias_mount_accessor"); count += 1 }
            switch count {
            case 0:
                throw LogicalError.invalidRequest("query parameter not supplied")
            case 1:
                if !aliasName.isEmpty || !aliasMountAccessor.isEmpty {
                    throw LogicalError.invalidRequest("both 'alias_name' and 'alias_mount_accessor' needs to be set")
                }
            case 2 where !aliasName.isEmpty && !aliasMountAccessor.isEmpty:
                break
            default:
                throw LogicalError.invalidRequest("query parameter conflict; please supply distinct set of query parameters")
            }
        }
    }

    func lookupEntity(_ fields: IdentityFields) async throws -> LogicalResponse? {
        let c = try LookupCriteria(fields, idField: "id")
        let state = try await snapshot()
        let entity: Entity?
        if !c.id.isEmpty {
            entity = state.entity(id: c.id)
        } else if !c.name.isEmpty {
            entity = state.entity(name: c.name)
        } else if !c.aliasID.isEmpty {
            entity = state.alias(id: c.aliasID).flatMap { state.entity(id: $0.canonicalID) }
        } else if !c.aliasName.isEmpty {
            entity = state.alias(mountAccessor: c.aliasMountAccessor, name: c.aliasName).flatMap { state.entity(id: $0.canonicalID) }
        } else {
            entity = nil
        }
        guard let entity else { return nil }
        return LogicalResponse(data: await entityResponse(entity, state))
    }

    func lookupGroup(_ fields: IdentityFields) async throws -> LogicalResponse? {
        let c = try LookupCriteria(fields, idField: "id")
        let state = try await snapshot()
        let group: Group?
        if !c.id.isEmpty {
            group = state.group(id: c.id)
        } else if !c.name.isEmpty {
            group = state.group(name: c.name)
        } else if !c.aliasID.isEmpty {
            group = state.group(aliasID: c.aliasID)
        } else if !c.aliasName.isEmpty {
            group = state.groupAlias(mountAccessor: c.aliasMountAccessor, name: c.aliasName).flatMap { state.group(id: $0.canonicalID) }
        } else {
            group = nil
        }
        guard let group else { return nil }
        return LogicalResponse(data: await groupResponse(group, state))
    }
}
