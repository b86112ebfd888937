import CofferSDK

/// One request to the token store's paths (`auth/token/...`): the calling token and the core that serves it.
struct TokenCall: Sendable {
    let core: Core
    let request: CoreRequest
    /// The calling token: every token path needs one.
    let caller: TokenEntry
}

/// The token store's paths, declared once like an engine's: routing, fields, sudo paths, path-help and OpenAPI come
/// from this table.
enum TokenBackend {
    typealias Path = RoutePath<TokenCall, CoreResponse>
    typealias Handler = RouteHandler<TokenCall, CoreResponse>

    static func op(
        _ summary: String, noContent: Bool = false, _ f: @escaping @Sendable (TokenCall, PathRequest) async throws -> CoreResponse
    ) -> Handler {
        Handler(summary, noContent: noContent, f)
    }

    static let createFields: [Field] = [
        Field("display_name", .string, "A name for the token, shown in lookups and the audit log."),
        Field("entity_alias", .string, "The entity alias to attach the token to (with a role that allows it)."),
        Field("explicit_max_ttl", .string, "A hard limit on the token's lifetime, as a duration."),
        Field("id", .string, "A value for the token itself (root or sudo only)."),
        Field("lease", .string, "The token's TTL (deprecated: use ttl)."),
        Field("meta", .kvPairs, "Metadata stored with the token and written to the audit log."),
        Field("no_default_policy", .bool, "Leave the default policy out of the token's policies."),
        Field("no_parent", .bool, "Create an orphan token (root or sudo only)."),
        Field("num_uses", .int, "How many requests the token may make (0: unlimited)."),
        Field("period", .string, "Make the token periodic: each renewal extends it by this duration."),
        Field("policies", .commaStringSlice, "The token's policies (default: the caller's)."),
        Field("renewable", .bool, default: true, "Whether the token may be renewed."),
        Field("ttl", .string, "The token's time to live, as a duration."),
        Field("type", .string, default: "service", "The token type: service or batch."),
    ]

    static let roleFields: [Field] = [
        Field("role_name", .string, "The name of the role."),
        Field("allowed_entity_aliases", .commaStringSlice, "Entity aliases a token created with the role may be attached to."),
        Field("allowed_policies", .commaStringSlice, "Policies a token created with the role may have (empty: the caller's)."),
        Field("allowed_policies_glob", .commaStringSlice, "Glob patterns of the policies a token may have."),
        Field("bound_cidrs", .commaStringSlice, deprecated: true, "Use token_bound_cidrs."),
        Field("disallowed_policies", .commaStringSlice, "Policies a token created with the role may not have."),
        Field("disallowed_policies_glob", .commaStringSlice, "Glob patterns of the policies a token may not have."),
        Field("explicit_max_ttl", .durationSecond, deprecated: true, "Use token_explicit_max_ttl."),
        Field("orphan", .bool, "Whether tokens created with the role are orphans."),
        Field("path_suffix", .string, "A suffix for the tokens' path, so that they can be revoked by prefix."),
        Field("period", .durationSecond, deprecated: true, "Use token_period."),
        Field("renewable", .bool, default: true, "Whether tokens created with the role may be renewed."),
    ] + roleTokenFields

    /// The `token_*` fields a token role takes (OpenBao's `AddTokenFieldsWithAllowList`), token_type defaulting to
    /// default-service.
    static let roleTokenFields: [Field] = TokenParameters.fields().compactMap { field in
        let allowed: Set = ["token_bound_cidrs", "token_explicit_max_ttl", "token_no_default_policy", "token_num_uses", "token_period", "token_type"]
        guard allowed.contains(field.name) else { return nil }
        var field = field
        if field.name == "token_type" { field.defaultValue = "default-service" }
        return field
    }

    static let tokenField = Field("token", .string, "The token (in the body, never in the path).")
    static let accessorField = Field("accessor", .string, "The token's accessor.")
    static let incrementField = Field("increment", .durationSecond, "How far to extend the token, in seconds or as a duration.")

    static let router = Router<TokenCall, CoreResponse>(
        [
            Path(
                "create-orphan", fields: createFields,
                operations: [.update: op("Create an orphan token.") { c, r in try await c.create(r, orphanPath: true, roleName: nil) }],
                synopsis: "Create an orphan token: it outlives its creator."),
            Path(
                "create/{role_name}", fields: [Field("role_name", .string, "The role that shapes the token.")] + createFields,
                operations: [.update: op("Create a token from a role.") { c, r in try await c.create(r, orphanPath: false, roleName: try r.fields.string("role_name")) }],
                synopsis: "Create a token shaped by a token role."),
            Path(
                "create", fields: createFields,
                operations: [.update: op("Create a token, a child of the caller.") { c, r in try await c.create(r, orphanPath: false, roleName: nil) }],
                synopsis: "Create a token, a child of the caller's."),
            Path(
                "lookup", fields: [Field("token", .string, "The token to look up (the caller's when left out).")],
                operations: [
                    .read: op("Look up a token.") { c, r in try await c.lookup(r) },
                    .update: op("Look up a token.") { c, r in try await c.lookup(r) },
                ], synopsis: "Look up a token and its properties."),
            Path(
                "lookup-self", fields: [Field("token", .string, "Ignored: the caller's own token is looked up.")],
                operations: [
                    .read: op("Look up the calling token.") { c, _ in c.lookupSelf() },
                    .update: op("Look up the calling token.") { c, _ in c.lookupSelf() },
                ], synopsis: "Look up the calling token and its properties."),
            Path(
                "lookup-accessor", fields: [accessorField],
                operations: [.update: op("Look up a token by its accessor.") { c, r in try await c.lookupAccessor(r) }],
                synopsis: "Look up a token's properties by its accessor."),
            Path(
                "accessors/?", operations: [.list: op("List the accessors of every token.") { c, _ in try await c.accessors() }],
                sudo: true, synopsis: "List the accessors of every token."),
            Path(
                "renew", fields: [tokenField, incrementField],
                operations: [.update: op("Renew a token.") { c, r in try await c.renew(r, target: .token) }],
                synopsis: "Renew a token, extending its TTL."),
            Path(
                "renew-self", fields: [Field("token", .string, "Ignored: the caller's own token is renewed."), incrementField],
                operations: [.update: op("Renew the calling token.") { c, r in try await c.renew(r, target: .caller) }],
                synopsis: "Renew the calling token."),
            Path(
                "renew-accessor", fields: [accessorField, incrementField],
                operations: [.update: op("Renew a token by its accessor.") { c, r in try await c.renew(r, target: .accessor) }],
                synopsis: "Renew a token by its accessor."),
            Path(
                "revoke", fields: [tokenField],
                operations: [.update: op("Revoke a token and its children.", noContent: true) { c, r in try await c.revoke(r, target: .token, orphan: false) }],
                synopsis: "Revoke a token and every token created from it."),
            Path(
                "revoke-self",
                operations: [.update: op("Revoke the calling token.", noContent: true) { c, r in try await c.revoke(r, target: .caller, orphan: false) }],
                synopsis: "Revoke the calling token and its children."),
            Path(
                "revoke-orphan", fields: [tokenField],
                operations: [.update: op("Revoke a token, orphaning its children.", noContent: true) { c, r in try await c.revoke(r, target: .token, orphan: true) }],
                synopsis: "Revoke a token but not its children, which become orphans (root or sudo only)."),
            Path(
                "revoke-accessor", fields: [accessorField],
                operations: [.update: op("Revoke a token by its accessor.", noContent: true) { c, r in try await c.revoke(r, target: .accessor, orphan: false) }],
                synopsis: "Revoke a token and its children by the token's accessor."),
            Path(
                "roles/?", operations: [.list: op("List the token roles.") { c, _ in try await c.listRoles() }],
                synopsis: "List the token roles."),
            Path(
                "roles/{role_name}", fields: roleFields,
                operations: [
                    .read: op("Read a token role.") { c, r in try await c.readRole(r) },
                    .update: op("Create or update a token role.", noContent: true) { c, r in try await c.writeRole(r) },
                    .delete: op("Delete a token role.", noContent: true) { c, r in try await c.deleteRole(r) },
                ],
                existenceCheck: { c, r in try await c.roleExists(r) },
                synopsis: "Create, read, update and delete token roles."),
            Path(
                "tidy", operations: [.update: op("Remove expired tokens.") { c, _ in try await c.tidy() }],
                sudo: true, synopsis: "Remove expired tokens and the entries that refer to them."),
        ],
        help: "The token store: creates, looks up, renews and revokes tokens, and keeps the roles that shape them.")

    /// Root-protected patterns beyond the declared paths (OpenBao's): the path forms that carry a token are not
    /// served, but a caller without sudo is refused before learning that.
    static let undeclaredSudoPaths = ["revoke-orphan/*", "accessors*"]
}
