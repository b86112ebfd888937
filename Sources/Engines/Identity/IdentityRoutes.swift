import CofferSDK

/// Every path of the identity store, declared once: entities, entity aliases (and their deprecated `alias` and
/// `persona` names), groups, group aliases, lookups and the OIDC token backend.
extension IdentityStore {
    typealias Route = EnginePath<IdentityStore>
    typealias Handler = OperationHandler<IdentityStore>

    public static let router = PathRouter<IdentityStore>(
        entityRoutes + entityAliasRoutes + legacyAliasRoutes + groupRoutes + groupAliasRoutes + lookupRoutes + oidcRoutes,
        help: "The identity store: entities and groups with their aliases, and identity tokens signed by named keys.")

    // MARK: Fields

    static let metadataDescription = "Key-value pairs to attach (an object, or key=value strings; the CLI merges repeated metadata=k=v)."

    static let entityFields: [Field] = [
        Field("id", .string, "The ID of the entity; when set, the existing entity with that ID is updated."),
        Field("name", .string, "The name of the entity."),
        Field("metadata", .kvPairs, metadataDescription),
        Field("policies", .commaStringSlice, "Policies granted to tokens of the entity."),
        Field("disabled", .bool, "Whether tokens tied to the entity are refused (they are not revoked)."),
    ]

    static let entityAliasFields: [Field] = [
        Field("id", .string, "The ID of the alias; when set, that alias is updated."),
        Field("entity_id", .string, "The entity the alias belongs to (older name of canonical_id)."),
        Field("canonical_id", .string, "The ID of the entity the alias belongs to."),
        Field("mount_accessor", .string, "The accessor of the auth mount the alias is on."),
        Field("name", .string, "The name of the alias on its auth mount (usually the login name)."),
        Field("custom_metadata", .kvPairs, "Key-value pairs set by operators, kept across logins."),
    ]

    static let groupFields: [Field] = [
        Field("id", .string, "The ID of the group; when set, the existing group with that ID is updated."),
        Field("type", .string, "The type of the group: internal (members set by hand) or external (set by an alias). Defaults to internal."),
        Field("name", .string, "The name of the group."),
        Field("metadata", .kvPairs, metadataDescription),
        Field("policies", .commaStringSlice, "Policies granted to tokens of the group's members."),
        Field("member_group_ids", .commaStringSlice, "IDs of the groups that are members of this group."),
        Field("member_entity_ids", .commaStringSlice, "IDs of the entities that are members of this group."),
    ]

    static let groupAliasFields: [Field] = [
        Field("id", .string, "The ID of the group alias; when set, that alias is updated."),
        Field("mount_accessor", .string, "The accessor of the auth mount the alias is on."),
        Field("name", .string, "The name of the group on its auth mount."),
        Field("canonical_id", .string, "The ID of the external group the alias belongs to."),
    ]

    static func lookupFields(_ what: String) -> [Field] {
        [
            Field("id", .string, "The ID of the \(what)."),
            Field("name", .string, "The name of the \(what)."),
            Field("alias_id", .string, "The ID of an alias of the \(what)."),
            Field("alias_name", .string, "The name of an alias of the \(what); needs alias_mount_accessor."),
            Field("alias_mount_accessor", .string, "The mount accessor of an alias of the \(what); needs alias_name."),
        ]
    }

    // MARK: Records by key

    typealias Method = @Sendable (IdentityStore) -> @Sendable (PathRequest) async throws -> LogicalResponse?

    /// What the paths of one kind of record say about it, and the handlers of its keyed paths.
    struct Kind {
        /// `an entity`, `entities`.
        var one: String
        var many: String
        var read: Method
        var write: Method
        var delete: Method
        var deprecated = false
    }

    /// `head/<key>/{<key>}` to read, write and delete one record (`{<key>+}` when the key may hold slashes, as
    /// names do), and `head/<key>/?` to list them.
    static func keyedRoutes(
        _ head: String, key: String, rest: Bool = false, fields: [Field], _ kind: Kind, list: @escaping Method, description: String = ""
    ) -> [Route] {
        let by = key == "id" ? "ID" : key
        return [
            Route(
                "\(head)/\(key)/{\(key)\(rest ? "+" : "")}", fields: fields,
                operations: [
                    .read: .init("Read \(kind.one) by \(by).", deprecated: kind.deprecated, method: kind.read),
                    .update: .init("Write \(kind.one) by \(by).", deprecated: kind.deprecated, method: kind.write),
                    .delete: .init("Delete \(kind.one) by \(by).", deprecated: kind.deprecated, noContent: true, method: kind.delete),
                ],
                synopsis: "Read, write or delete \(kind.one) by its \(by).", description: description),
            Route(
                "\(head)/\(key)/?", operations: [.list: .init("List \(kind.many) by \(by).", deprecated: kind.deprecated, method: list)],
                synopsis: "List the \(by)s of the \(kind.many)."),
        ]
    }

    // MARK: Entities

    static let entityRoutes: [Route] =
        [
            Route(
                "entity", fields: entityFields,
                operations: [.update: .init("Create an entity, or update the one named by id or name.", method: IdentityStore.writeEntity)],
                synopsis: "Create or update an entity.",
                description: "Creates an entity, or updates the entity given by id (which must exist) or by name. A new entity gets an ID and, without a name, a generated one; the response holds both. An update answers with no content."),
            Route(
                "entity/batch-delete",
                fields: [Field("entity_ids", .commaStringSlice, "IDs of the entities to delete.")],
                operations: [.update: .init("Delete several entities.", noContent: true, method: IdentityStore.batchDeleteEntities)],
                synopsis: "Delete several entities at once."),
            Route(
                "entity/merge/?",
                fields: [
                    Field("from_entity_ids", .commaStringSlice, "IDs of the entities to merge into to_entity_id."),
                    Field("to_entity_id", .string, "The ID of the entity that remains."),
                    Field("conflicting_alias_ids_to_keep", .commaStringSlice, "When entities have aliases on the same mount, the alias IDs to keep."),
                    Field("force", .bool, "Accepted for compatibility (MFA secrets are not merged here)."),
                ],
                operations: [.update: .init("Merge entities into one.", noContent: true, method: IdentityStore.mergeEntities)],
                synopsis: "Merge entities into one.",
                description: "Moves the aliases and group memberships of from_entity_ids to to_entity_id, then deletes the merged entities."),
        ]
        + keyedRoutes(
            "entity", key: "name", rest: true, fields: entityFields,
            Kind(one: "an entity", many: "entities", read: IdentityStore.readEntityByName, write: IdentityStore.writeEntity, delete: IdentityStore.deleteEntityByName),
            list: IdentityStore.listEntitiesByName,
            description: "Names are matched without regard to case. Deleting an entity also deletes its aliases and removes it from its groups.")
        + keyedRoutes(
            "entity", key: "id", fields: entityFields,
            Kind(one: "an entity", many: "entities", read: IdentityStore.readEntityByID, write: IdentityStore.writeEntity, delete: IdentityStore.deleteEntityByID),
            list: IdentityStore.listEntitiesByID,
            description: "Deleting an entity also deletes its aliases and removes it from its groups.")

    // MARK: Entity aliases

    static let entityAlias = Kind(
        one: "an entity alias", many: "entity aliases", read: IdentityStore.readEntityAlias, write: IdentityStore.writeEntityAlias,
        delete: IdentityStore.deleteEntityAlias)

    /// `entity-alias` and its deprecated `alias` name: a write path, a path per ID and the ID list.
    static func aliasRoutes(_ head: String, fields: [Field], deprecated: Bool = false) -> [Route] {
        var kind = entityAlias
        kind.deprecated = deprecated
        return [
            Route(
                head, fields: fields,
                operations: [.update: .init("Create an entity alias, or update the one named by id.", deprecated: deprecated, method: IdentityStore.writeEntityAlias)],
                synopsis: "Create or update an entity alias.",
                description: "Ties a name on an auth mount to an entity. Without canonical_id a new entity is created for the alias. With id, or when an alias with the same mount and name exists, that alias is updated.")
        ] + keyedRoutes(head, key: "id", fields: fields, kind, list: IdentityStore.listEntityAliases)
    }

    static let entityAliasRoutes: [Route] = aliasRoutes("entity-alias", fields: entityAliasFields)

    static let personaFields: [Field] = [
        Field("id", .string, "The ID of the persona."),
        Field("entity_id", .string, "The entity the persona belongs to."),
        Field("mount_accessor", .string, "The accessor of the auth mount of the persona."),
        Field("name", .string, "The name of the persona."),
        Field("metadata", .kvPairs, metadataDescription),
    ]

    /// The names OpenBao keeps from older releases: `alias` is `entity-alias`; a write to `persona` updates an
    /// entity (as OpenBao's does), while reads, deletes and lists of `persona/id` act on entity aliases.
    static let legacyAliasRoutes: [Route] =
        aliasRoutes("alias", fields: entityAliasFields.filter { $0.name != "custom_metadata" }, deprecated: true)
        + [
            Route(
                "persona", fields: personaFields,
                operations: [.update: .init("Create or update an entity.", deprecated: true, method: IdentityStore.writeEntity)],
                synopsis: "Deprecated: use entity-alias.")
        ]
        + keyedRoutes(
            "persona", key: "id", fields: personaFields,
            Kind(
                one: "a persona", many: "personas", read: IdentityStore.readEntityAlias, write: IdentityStore.writeEntity,
                delete: IdentityStore.deleteEntityAlias, deprecated: true),
            list: IdentityStore.listEntityAliases, description: "Deprecated: use entity-alias/id.")

    // MARK: Groups

    static let groupRoutes: [Route] =
        [
            Route(
                "group", fields: groupFields,
                operations: [.update: .init("Create a group, or update the one named by id or name.", method: IdentityStore.writeGroup)],
                synopsis: "Create or update a group.",
                description: "Creates a group, or updates the group given by id or by name. A new group gets an ID and, without a name, a generated one; the response holds both. An update answers with no content.")
        ]
        + keyedRoutes(
            "group", key: "id", fields: groupFields,
            Kind(one: "a group", many: "groups", read: IdentityStore.readGroupByID, write: IdentityStore.updateGroupByID, delete: IdentityStore.deleteGroupByID),
            list: IdentityStore.listGroupsByID)
        + keyedRoutes(
            "group", key: "name", rest: true, fields: groupFields,
            Kind(one: "a group", many: "groups", read: IdentityStore.readGroupByName, write: IdentityStore.updateGroupByName, delete: IdentityStore.deleteGroupByName),
            list: IdentityStore.listGroupsByName, description: "Names are matched without regard to case.")

    static let groupAliasRoutes: [Route] =
        [
            Route(
                "group-alias", fields: groupAliasFields,
                operations: [.update: .init("Create a group alias, or update the one named by id.", method: IdentityStore.writeGroupAlias)],
                synopsis: "Create or update a group alias.",
                description: "Ties a group name on an auth mount to an external group. Without canonical_id a new external group is created for the alias.")
        ]
        + keyedRoutes(
            "group-alias", key: "id", fields: groupAliasFields,
            Kind(one: "a group alias", many: "group aliases", read: IdentityStore.readGroupAlias, write: IdentityStore.updateGroupAliasByID, delete: IdentityStore.deleteGroupAlias),
            list: IdentityStore.listGroupAliases)

    // MARK: Lookups

    static let lookupRoutes: [Route] = [
        Route(
            "lookup/entity", fields: lookupFields("entity"),
            operations: [.update: .init("Find an entity.", method: IdentityStore.lookupEntity)],
            synopsis: "Find an entity by ID, name, alias ID, or alias name and mount.",
            description: "Give exactly one criterion, or alias_name with alias_mount_accessor. No match answers with no content."),
        Route(
            "lookup/group", fields: lookupFields("group"),
            operations: [.update: .init("Find a group.", method: IdentityStore.lookupGroup)],
            synopsis: "Find a group by ID, name, alias ID, or alias name and mount.",
            description: "Give exactly one criterion, or alias_name with alias_mount_accessor. No match answers with no content."),
    ]
}
