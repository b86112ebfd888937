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

        init(_ fields: FieldData) throws {
            var count = 0
            /// A criterion the request sent (even as null or empty, as OpenBao counts them).
            func sent(_ key: String, _ value: inout String) throws {
                guard fields.has(key) else { return }
                value = try fields.string(key)
                count += 1
            }
            try sent("id", &id)
            try sent("name", &name)
            try sent("alias_id", &aliasID)
            try sent("alias_name", &aliasName)
            try sent("alias_mount_accessor", &aliasMountAccessor)
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

    func lookupEntity(_ request: PathRequest) async throws -> LogicalResponse? {
        let c = try LookupCriteria(request.fields)
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

    func lookupGroup(_ request: PathRequest) async throws -> LogicalResponse? {
        let c = try LookupCriteria(request.fields)
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
