import CofferSDK
import Foundation
import Logging

/// Builds the `database` secrets engine for a mount.
@Sendable public func makeDatabaseEngine(_ config: EngineConfiguration) -> any SecretsEngine {
    DatabaseEngine(
        logger: config.logger, passwords: config.passwords, rotations: config.rotations,
        connector: PostgresConnector(logger: config.logger))
}

/// OpenBao's `database` secrets engine with its PostgreSQL plugin (`postgresql-database-plugin`), on postgres-nio.
///
/// Storage (the mount's view): `config/<name>` (connection settings, root password inside), `role/<name>` (dynamic
/// roles), `static-role/<name>` (static roles with their current password and rotation times), `wal/...` (rotations
/// in flight). Dynamic credentials are leased secrets of type `creds`, renewed and revoked through this engine.
struct DatabaseEngine: FrameworkEngine, RotatingEngine {
    let logger: Logger
    let passwords: any PasswordSource
    let rotations: (any RotationScheduling)?
    let connector: PostgresConnector
    /// Serialises read-modify-write of configs and roles (and each rotation).
    let lock = StripedAsyncLock(stripes: 16)

    static let pluginName = "postgresql-database-plugin"

    /// The mount is disabled or the core seals: every connection pool closes.
    func shutdown() async { connector.closeAll() }

    static let name = Field("name", .string, "Name of this database connection / role.")

    static let configFields: [Field] = [
        name,
        Field("plugin_name", .string, "The name of a builtin or previously registered plugin known to OpenBao."),
        Field("plugin_version", .string, "The version of the plugin to use."),
        Field("verify_connection", .bool, default: .bool(true), "If true, the connection details are verified by connecting to the database."),
        Field("allowed_roles", .commaStringSlice, "Comma separated string or array of the role names allowed to get creds from this database connection. If empty no roles are allowed. If \"*\" all roles are allowed."),
        Field("root_rotation_statements", .commaStringSlice, "Specifies the database statements to be executed to rotate the root user's credentials."),
        Field("password_policy", .string, "Password policy to use when generating passwords."),
        Field("rotation_period", .durationSecond, "Rotate the root password this often (at least 5 seconds); 0 never (Vault's field)."),
        Field(PluginFields.connectionURL, .string, "Connection string (URL or key=value) with {{username}} and {{password}} placeholders."),
        Field(PluginFields.username, .string, "The root username."),
        Field(PluginFields.password, .string, "The root password."),
        Field(PluginFields.maxOpenConnections, .int, "Maximum number of open connections (default 4)."),
        Field(PluginFields.maxIdleConnections, .int, "Maximum number of idle connections."),
        Field(PluginFields.maxConnectionLifetime, .durationSecond, "Maximum amount of time a connection may be reused."),
        Field(PluginFields.usernameTemplate, .string, "Template describing how dynamic usernames are generated."),
        Field(PluginFields.disableEscaping, .bool, "Whether to disable escaping of the username and password in the connection URL."),
        Field(PluginFields.passwordAuthentication, .string, "How passwords are sent to PostgreSQL: password (default) or scram-sha-256."),
    ]

    static let statementFields: [Field] = [
        Field("creation_statements", .stringSlice, "Statements executed to create and configure a user."),
        Field("revocation_statements", .stringSlice, "Statements executed to revoke a user."),
        Field("rollback_statements", .stringSlice, "Statements executed to roll back a failed creation."),
        Field("renew_statements", .stringSlice, "Statements executed to renew a user."),
    ]

    static let roleFields: [Field] =
        [name, Field("db_name", .string, "Name of the database this role acts on.")] + statementFields + [
            Field("default_ttl", .durationSecond, "Default ttl for role."),
            Field("max_ttl", .durationSecond, "Maximum time a credential is valid for."),
            Field("credential_type", .string, default: .string("password"), "The type of credential to manage (password)."),
            Field("credential_config", .map, "The configuration for the given credential_type."),
        ]

    static let staticRoleFields: [Field] = [
        name, Field("db_name", .string, "Name of the database this role acts on."),
        Field("username", .string, "Name of the static user account for OpenBao to manage."),
        Field("rotation_period", .durationSecond, "Period for automatic credential rotation of the given username (5 seconds or more)."),
        Field("rotation_schedule", .string, "A cron-style (5 fields) schedule for automatic rotation, instead of rotation_period."),
        Field("rotation_window", .durationSecond, "How long after a scheduled time a rotation may still run (with rotation_schedule)."),
        Field("rotation_statements", .stringSlice, "Statements executed to rotate the password of the user."),
        Field("credential_type", .string, default: .string("password"), "The type of credential to manage (password)."),
        Field("credential_config", .map, "The configuration for the given credential_type."),
    ]

    static let listFields: [Field] = [
        Field("after", .string, query: true, "Optional entry to list begin listing after, not required to exist."),
        Field("limit", .int, query: true, "Optional number of entries to return; defaults to all entries."),
    ]

    static let router = PathRouter<DatabaseEngine>(
        [
            EnginePath(
                "config/?", fields: listFields,
                operations: [.list: .init("List configured connections.", method: DatabaseEngine.listConfigs)],
                synopsis: "Configure connection details to a database plugin."),
            EnginePath(
                "config/{name}", fields: configFields,
                operations: [
                    .read: .init("Read a connection's configuration.", method: DatabaseEngine.readConfig),
                    .create: .init("Configure a connection.", noContent: true, method: DatabaseEngine.writeConfig),
                    .update: .init("Configure a connection.", noContent: true, method: DatabaseEngine.writeConfig),
                    .delete: .init("Delete a connection.", noContent: true, method: DatabaseEngine.deleteConfig),
                ],
                existenceCheck: { engine, req in try await engine.loadConfig(req.storage, try req.fields.string("name")) != nil },
                synopsis: "Configure connection details to a database plugin."),
            EnginePath(
                "reset/{name}", fields: [name],
                operations: [.update: .init("Resets a database plugin.", noContent: true, method: DatabaseEngine.resetConnection)],
                synopsis: "Resets a database plugin."),
            EnginePath(
                "rotate-root/{name}", fields: [name],
                operations: [.update: .init("Rotate the root credentials of a connection.", noContent: true, method: DatabaseEngine.rotateRoot)],
                synopsis: "Request to rotate the root credentials for a certain database connection."),
            EnginePath(
                "roles/?", fields: listFields,
                operations: [.list: .init("List the dynamic roles.", method: DatabaseEngine.listRoles)],
                synopsis: "Manage the roles that can be created with this backend."),
            EnginePath(
                "roles/{name}", fields: roleFields,
                operations: [
                    .read: .init("Read a dynamic role.", method: DatabaseEngine.readRole),
                    .create: .init("Create a dynamic role.", noContent: true, method: DatabaseEngine.writeRole),
                    .update: .init("Update a dynamic role.", noContent: true, method: DatabaseEngine.writeRole),
                    .delete: .init("Delete a dynamic role.", noContent: true, method: DatabaseEngine.deleteRole),
                ],
                existenceCheck: { engine, req in try await engine.loadRole(req.storage, try req.fields.string("name")) != nil },
                synopsis: "Manage the roles that can be created with this backend."),
            EnginePath(
                "creds/{name}", fields: [name],
                operations: [.read: .init("Request database credentials for a certain role.", method: DatabaseEngine.readCreds)],
                synopsis: "Request database credentials for a certain role."),
            EnginePath(
                "static-roles/?", fields: listFields,
                operations: [.list: .init("List the static roles.", method: DatabaseEngine.listStaticRoles)],
                synopsis: "Manage the static roles that can be created with this backend."),
            EnginePath(
                "static-roles/{name}", fields: staticRoleFields,
                operations: [
                    .read: .init("Read a static role.", method: DatabaseEngine.readStaticRole),
                    .create: .init("Create a static role.", noContent: true, method: DatabaseEngine.writeStaticRole),
                    .update: .init("Update a static role.", noContent: true, method: DatabaseEngine.writeStaticRole),
                    .delete: .init("Delete a static role.", noContent: true, method: DatabaseEngine.deleteStaticRole),
                ],
                existenceCheck: { engine, req in try await engine.loadStaticRole(req.storage, try req.fields.string("name")) != nil },
                synopsis: "Manage the static roles that can be created with this backend."),
            EnginePath(
                "static-creds/{name}", fields: [name],
                operations: [.read: .init("Request database credentials for a certain static role.", method: DatabaseEngine.readStaticCreds)],
                synopsis: "Request database credentials for a certain static role. These credentials are rotated periodically."),
            EnginePath(
                "rotate-role/{name}", fields: [name],
                operations: [.update: .init("Rotate a static role's credentials now.", noContent: true, method: DatabaseEngine.rotateRoleNow)],
                synopsis: "Request to rotate the credentials for a static user account."),
        ],
        secrets: [
            SecretType(
                "creds", renew: { engine, req in try await engine.renewCreds(req) },
                revoke: { engine, req in try await engine.revokeCreds(req) },
                revokeBatch: { engine, reqs in try await engine.revokeCredsBatch(reqs) })
        ],
        help: "The database backend supports using many different databases as secret backends, including but not limited to: PostgreSQL.")

    // MARK: Storage

    func loadConfig(_ storage: any LogicalStorage, _ name: String) async throws -> DatabaseConfig? {
        guard let v = try await storage.getJSON(DatabaseConfig.key(name)) else { return nil }
        return try DatabaseConfig(stored: v)
    }

    func loadRole(_ storage: any LogicalStorage, _ name: String) async throws -> DynamicRole? {
        guard let v = try await storage.getJSON(DynamicRole.key(name)) else { return nil }
        return try DynamicRole(stored: v)
    }

    func loadStaticRole(_ storage: any LogicalStorage, _ name: String) async throws -> StaticRole? {
        guard let v = try await storage.getJSON(StaticRole.key(name)) else { return nil }
        return try StaticRole(stored: v)
    }

    /// LIST answer over `prefix` with OpenBao's `after`/`limit` (404 when empty).
    static func listResponse(_ keys: [String], _ request: PathRequest) throws -> LogicalResponse? {
        var keys = keys.sorted()
        let after = try request.fields.string("after")
        if !after.isEmpty { keys = keys.filter { $0 > after } }
        let limit = try request.fields.int("limit")
        if limit > 0, keys.count > limit { keys = Array(keys.prefix(Int(limit))) }
        if keys.isEmpty { throw LogicalError.notFound }
        return LogicalResponse(data: ["keys": .array(keys.map { .string($0) })])
    }

    /// OpenBao's error for a connection name with no config (a Go error: wrapped in multierror's text).
    static func noConnection(_ name: String) -> LogicalError {
        .goError(.internal, "failed to find entry for connection with name: \(FieldValue.goQuote(name))")
    }

    // MARK: RotatingEngine

    static let staticJobPrefix = "static-role/"
    /// The job that rotates a connection's root password on its `rotation_period`.
    static let rootJobPrefix = "root/"

    func scheduledRotations(storage: any LogicalStorage) async throws -> [(id: String, due: Date)] {
        var jobs: [(id: String, due: Date)] = []
        for name in try await storage.list(prefix: "static-role/") where !name.hasSuffix("/") {
            guard let role = try await loadStaticRole(storage, name) else { continue }
            let due = role.nextVaultRotation ?? Date()
            jobs.append((Self.staticJobPrefix + name, due))
        }
        for name in try await storage.list(prefix: "config/") where !name.hasSuffix("/") {
            guard let config = try await loadConfig(storage, name), let next = config.nextRootRotation(now: Date()) else { continue }
            jobs.append((Self.rootJobPrefix + name, next))
        }
        return jobs
    }

    func rotate(job id: String, storage: any LogicalStorage) async throws -> Date? {
        if id.hasPrefix(Self.rootJobPrefix) {
            return try await rotateRootCredentials(storage, String(id.dropFirst(Self.rootJobPrefix.count)))
        }
        guard id.hasPrefix(Self.staticJobPrefix) else { return nil }
        let name = String(id.dropFirst(Self.staticJobPrefix.count))
        return try await rotateStaticRole(storage, name, scheduled: true)
    }
}
