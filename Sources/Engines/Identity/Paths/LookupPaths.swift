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

    /// The record the criteria name: by id, else by name, else by alias id, else by alias name and mount accessor.
    func find<Record>(
        _ c: LookupCriteria, id: (String) -> Record?, name: (String) -> Record?,
        aliasID: (String) -> Record?, alias: (_ mountAccessor: String, _ name: String) -> Record?
    ) -> Record? {
        if !c.id.isEmpty { return id(c.id) }
        if !c.name.isEmpty { return name(c.name) }
        if !c.aliasID.isEmpty { return aliasID(c.aliasID) }
        if !c.aliasName.isEmpty { return alias(c.aliasMountAccessor, c.aliasName) }
        return nil
    }

    func lookupEntity(_ request: PathRequest) async throws -> LogicalResponse? {
        let c = try LookupCriteria(request.fields)
        let state = try await snapshot()
        let entity = find(
            c, id: { state.entity(id: $0) }, name: { state.entity(name: $0) },
            aliasID: { state.alias(id: $0).flatMap { state.entity(id: $0.canonicalID) } },
            alias: { state.alias(mountAccessor: $0, name: $1).flatMap { state.entity(id: $0.canonicalID) } })
        guard let entity else { return nil }
        return LogicalResponse(data: await entityResponse(entity, state))
    }

    func lookupGroup(_ request: PathRequest) async throws -> LogicalResponse? {
        let c = try LookupCriteria(request.fields)
        let state = try await snapshot()
        let group = find(
            c, id: { state.group(id: $0) }, name: { state.group(name: $0) },
            aliasID: { state.group(aliasID: $0) },
            alias: { state.groupAlias(mountAccessor: $0, name: $1).flatMap { state.group(id: $0.canonicalID) } })
        guard let group else { return nil }
        return LogicalResponse(data: await groupResponse(group, state))
    }
}
