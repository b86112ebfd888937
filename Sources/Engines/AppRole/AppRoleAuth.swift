import CofferSDK
import Foundation

/// Builds the `approle` auth method for a mount.
@Sendable public func makeAppRoleAuth(_ config: EngineConfiguration) -> any SecretsEngine {
    AppRoleAuth()
}

/// The approle auth method: roles with a role ID, secret IDs issued per role, and login with both.
///
/// Storage (scoped to the mount): `salt` (HMAC key), `role/<name>`, `role_id/<hmac>` (role-id index),
/// `secret_id/<role>/<hmac>` (secret-ID entries, keyed by the HMAC of the secret), `accessor/<accessor>`.
struct AppRoleAuth: FrameworkEngine {
    /// Serialises every read-modify-write of roles, secret IDs and their use counts on this mount.
    let lock = AsyncLock()
    /// Decoded roles and secret IDs for logins.
    let records = DecodedRecords()

    /// The deprecated names a role still accepts beside their `token_*` successors.
    static let legacy: [TokenParameters.Legacy] = [.policies, .period]

    static let roleNameField = Field("role_name", .string, "Name of the role (case-insensitive: stored lowercased).")
    static let secretIDField = Field("secret_id", .string, "A secret ID of the role.")
    static let accessorField = Field("secret_id_accessor", .string, "The accessor of a secret ID of the role.")

    static let roleFields: [Field] = [
        roleNameField,
        Field("role_id", .string, "The role's ID, used to log in; a random UUID when a new role does not set one."),
        Field("bind_secret_id", .bool, default: true, "Whether logins must present a secret ID of the role (default true)."),
        RoleSetting.secretIDBoundCIDRs, RoleSetting.boundCIDRList,
        Field("secret_id_num_uses", .int, "How many logins each new secret ID allows; 0 for no limit."),
        Field("secret_id_ttl", .durationSecond, "How long each new secret ID lives; 0 for no expiry."),
        Field("local_secret_ids", .bool, "Whether the role's secret IDs are local to the cluster; set on creation only."),
    ] + TokenParameters.fields(legacy: legacy)
    static let roleSchema = Dictionary(roleFields.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })

    /// The fields of a new secret ID, given or generated.
    static let secretIDFields: [Field] = [
        roleNameField,
        Field("metadata", .string, "Metadata of the secret ID, as a JSON object of strings or `key=value` pairs; shown on its tokens."),
        Field("cidr_list", .commaStringSlice, "CIDR blocks logins with this secret ID must come from (within the role's)."),
        Field("token_bound_cidrs", .commaStringSlice, "CIDR blocks the tokens of this secret ID's logins may be used from (within the role's)."),
        Field("num_uses", .int, "How many logins the secret ID allows (at most the role's limit); 0 for no limit."),
        Field("ttl", .durationSecond, "How long the secret ID lives (at most the role's limit); 0 for no expiry."),
    ]

    static let router = PathRouter<AppRoleAuth>(
        [
            EnginePath(
                "login",
                fields: [
                    Field("role_id", .string, "The role's ID."),
                    Field("secret_id", .string, "A secret ID of the role, when the role binds one."),
                ],
                operations: [
                    .update: .init("Log in with a role ID and a secret ID.", method: AppRoleAuth.login),
                    .read: .init(unpublished: true, method: AppRoleAuth.loginLookahead),
                    .delete: .init(unpublished: true, method: AppRoleAuth.loginLookahead),
                    .patch: .init(unpublished: true, method: AppRoleAuth.loginLookahead),
                    .renew: .init(method: AppRoleAuth.renew),
                ],
                unauthenticated: true,
                synopsis: "Log in with a role ID and a secret ID.",
                description: "Issues a token for the role the role ID names, when the secret ID (if the role binds one) and the client's address pass the role's checks."),
            EnginePath(
                "role/?",
                operations: [.list: .init("List the roles.", method: AppRoleAuth.listRoles)],
                synopsis: "List the roles.",
                description: "Lists the names of the roles of this mount."),
            EnginePath(
                "role/{role_name}",
                fields: roleFields,
                operations: [
                    .read: .init("Read a role.", method: AppRoleAuth.readRole),
                    .create: .init("Create a role.", noContent: true, method: AppRoleAuth.writeRole),
                    .update: .init("Update a role.", noContent: true, method: AppRoleAuth.writeRole),
                    .delete: .init("Delete a role and its secret IDs.", noContent: true, method: AppRoleAuth.deleteRole),
                ],
                existenceCheck: { engine, request in try await engine.roleExists(request) },
                synopsis: "Create, read, update or delete a role.",
                description: "A role sets the checks a login must pass (secret ID, client CIDR blocks) and the settings of the tokens its logins get. A write changes only the fields it names."),
            EnginePath(
                "role/{role_name}/role-id",
                fields: [roleNameField, Field("role_id", .string, "The role's new ID.")],
                operations: [
                    .read: .init("Read the role's ID.", method: AppRoleAuth.readRoleID),
                    .update: .init("Set the role's ID.", noContent: true, method: AppRoleAuth.updateRoleID),
                ],
                synopsis: "Read or set the ID of a role.",
                description: "The role ID names the role on login; it must not be in use by another role."),
            EnginePath(
                "role/{role_name}/secret-id/?",
                fields: secretIDFields + [
                    Field("after", .string, "List only the accessors sorted after this one."),
                    Field("limit", .int, "List at most this many accessors; 0 for all."),
                ],
                operations: [
                    .update: .init("Issue a secret ID for the role.", method: AppRoleAuth.generateSecretID),
                    .list: .init("List the accessors of the role's secret IDs.", method: AppRoleAuth.listSecretIDAccessors),
                ],
                synopsis: "Issue a secret ID for a role, or list the accessors of its secret IDs.",
                description: "A new secret ID is random; its use count and TTL default to the role's, and may not exceed them."),
            EnginePath(
                "role/{role_name}/custom-secret-id",
                fields: secretIDFields + [Field("secret_id", .string, "The secret ID to register.")],
                operations: [.update: .init("Register a given secret ID for the role.", method: AppRoleAuth.generateSecretID)],
                synopsis: "Register a secret ID chosen by the caller for a role.",
                description: "As secret-id, with the secret given instead of generated; it must not be registered already."),
            // OpenBao 2.7.2 declares this path (its field is validated) but answers every operation on it as an
            // unsupported path, for existing roles too.
            EnginePath(
                "role/{role_name}/bind-secret-id",
                fields: [roleNameField, Field("bind_secret_id", .bool, default: true, "Whether logins must present a secret ID of the role.")],
                operations: [
                    .read: .init("Read whether the role binds secret IDs.", method: AppRoleAuth.unsupportedSetting),
                    .update: .init("Set whether the role binds secret IDs.", noContent: true, method: AppRoleAuth.unsupportedSetting),
                    .delete: .init("Reset whether the role binds secret IDs.", noContent: true, method: AppRoleAuth.unsupportedSetting),
                ],
                synopsis: "Whether logins with a role must present a secret ID.",
                description: "Declared for compatibility; as in OpenBao 2.7.2, every operation answers unsupported path. Set bind_secret_id on the role's own path instead."),
            EnginePath(
                "tidy/secret-id",
                operations: [.update: .init("Remove expired secret IDs.", method: AppRoleAuth.tidySecretIDs)],
                synopsis: "Remove expired secret IDs and the leftovers of deleted roles.",
                description: "Deletes expired secret IDs, the secret IDs of roles that no longer exist, and accessors without a secret ID."),
        ]
            + secretIDLookupPaths("secret-id", secretIDField, by: "", lookup: AppRoleAuth.lookupSecretID, destroy: AppRoleAuth.destroySecretID)
            + secretIDLookupPaths(
                "secret-id-accessor", accessorField, by: " by its accessor", lookup: AppRoleAuth.lookupAccessor,
                destroy: AppRoleAuth.destroyAccessor)
            + RoleSetting.all.map(\.enginePath),
        help: "The \"approle\" auth method logs machines and services in with a role ID and a secret ID issued for the role.")

    typealias Handler = @Sendable (AppRoleAuth) -> @Sendable (PathRequest) async throws -> LogicalResponse?

    /// `role/:role_name/<segment>/lookup` and `.../destroy`: a secret ID named by itself or by its accessor.
    static func secretIDLookupPaths(_ segment: String, _ field: Field, by: String, lookup: @escaping Handler, destroy: @escaping Handler)
        -> [EnginePath<AppRoleAuth>]
    {
        [
            EnginePath(
                "role/{role_name}/\(segment)/lookup",
                fields: [roleNameField, field],
                operations: [.update: .init("Read the properties of a secret ID\(by).", method: lookup)],
                synopsis: "Read the properties of a secret ID of a role\(by).",
                description: "Shows a secret ID's accessor, use count, TTL, CIDR blocks, metadata and times; nothing when the role has no such secret ID."),
            EnginePath(
                "role/{role_name}/\(segment)/destroy",
                fields: [roleNameField, field],
                operations: [
                    .update: .init("Destroy a secret ID\(by).", noContent: true, method: destroy),
                    .delete: .init("Destroy a secret ID\(by).", noContent: true, method: destroy),
                ],
                synopsis: "Destroy a secret ID of a role\(by).",
                description: "Removes the secret ID and its accessor."),
        ]
    }

    func loginIdentifier(_ request: LogicalRequest) -> String? {
        guard request.operation == .create || request.operation == .update,
            let (_, preq) = Self.router.resolve(request), preq.pattern == "login",
            let roleID = try? preq.fields.string("role_id"), !roleID.isEmpty
        else { return nil }
        return roleID
    }
}
