import CofferSDK
import Foundation
import Logging

/// `roles/`, `roles/{name}`, `creds/{name}` and the `creds` secret's renewal and revocation.
extension DatabaseEngine {
    static let uniqueNames = LogicalError.invalidRequest("Role and Static Role names must be unique")
    /// OpenBao's system default lease TTL (768h), for `VALID UNTIL` when neither the role nor a renewal gives one.
    static let systemDefaultTTL: Int64 = 768 * 3600
    static let defaultRenew = #"ALTER ROLE "{{name}}" VALID UNTIL '{{expiration}}';"#

    func listRoles(_ request: PathRequest) async throws -> LogicalResponse? {
        try Self.listResponse(try await request.storage.list(prefix: "role/").filter { !$0.hasSuffix("/") }, request)
    }

    func readRole(_ request: PathRequest) async throws -> LogicalResponse? {
        guard let role = try await loadRole(request.storage, try request.fields.string("name")) else { throw LogicalError.notFound }
        return LogicalResponse(data: role.responseData)
    }

    func deleteRole(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try request.fields.string("name")
        try await lock.withLock(key: "role/" + name) { try await request.storage.delete(DynamicRole.key(name)) }
        return nil
    }

    static func checkCredentialType(_ fields: FieldData) throws -> String? {
        guard let type = try fields.stringIfSet("credential_type") else { return nil }
        guard type == "password" else { throw LogicalError.invalidRequest("invalid credential_type \(FieldValue.goQuote(type))") }
        return type
    }

    /// `credential_config` of a password credential: `password_policy` is the key the engine reads.
    static func checkCredentialConfig(_ fields: FieldData) throws -> [String: JSONValue]? {
        guard let config = try fields.objectIfSet("credential_config") else { return nil }
        // Other keys are accepted and kept, as OpenBao does.
        for (k, v) in config where k == "password_policy" {
            guard v.stringValue != nil else {
                throw LogicalError.invalidRequest("invalid credential_config for credential_type \"password\": password_policy must be a string")
            }
        }
        return config
    }

    func writeRole(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try request.fields.string("name")
        if name.isEmpty { throw LogicalError.invalidRequest("empty role name attribute given") }
        let fields = request.fields
        try await lock.withLock(key: "role/" + name) {
            if try await loadStaticRole(request.storage, name) != nil { throw Self.uniqueNames }
            var role = try await loadRole(request.storage, name) ?? DynamicRole()
            if let db = try fields.stringIfSet("db_name") { role.dbName = db }
            if role.dbName.isEmpty { throw LogicalError.invalidRequest("database name is required") }
            if let t = try Self.checkCredentialType(fields) { role.credentialType = t }
            if let c = try Self.checkCredentialConfig(fields) { role.credentialConfig = c }
            if let s = try fields.stringsIfSet("creation_statements") { role.creationStatements = s }
            if let s = try fields.stringsIfSet("revocation_statements") { role.revocationStatements = s }
            if let s = try fields.stringsIfSet("rollback_statements") { role.rollbackStatements = s }
            if let s = try fields.stringsIfSet("renew_statements") { role.renewStatements = s }
            if let t = try fields.durationIfSet("default_ttl") { role.defaultTTL = t }
            if let t = try fields.durationIfSet("max_ttl") { role.maxTTL = t }
            try await request.storage.putJSON(DynamicRole.key(name), role.stored)
        }
        return nil
    }

    /// `2006-01-02 15:04:05-0700` in UTC, the `{{expiration}}` format.
    static func expirationText(_ date: Date) -> String {
        UsernameTemplate.goTimeFormat(date, layout: "2006-01-02 15:04:05-0700")
    }

    /// Renders every query of `statements`, a rendering failure as a Go error with `prefix`.
    static func render(_ statements: [String], _ values: [String: String], prefix: String) throws -> [String] {
        do {
            return try SQLTemplate.queries(statements).map { try SQLTemplate.render($0, values) }
        } catch {
            throw LogicalError.goError(.internal, prefix + String(describing: error))
        }
    }

    func readCreds(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try request.fields.string("name")
        guard let role = try await loadRole(request.storage, name) else { throw LogicalError.invalidRequest("unknown role: \(name)") }
        guard let config = try await loadConfig(request.storage, role.dbName) else { throw Self.noConnection(role.dbName) }
        guard config.allows(name) else { throw LogicalError.goError(.internal, "\(FieldValue.goQuote(name)) is not an allowed role") }
        let settings = try operationSettings(config)
        if role.creationStatements.allSatisfy({ $0.trimmingSpaces.isEmpty }) {
            throw LogicalError.goError(.internal, "empty creation statements")
        }
        let templateText = config.connectionDetails[PluginFields.usernameTemplate]?.stringValue ?? ""
        let username: String
        do {
            let template = try UsernameTemplate(templateText.isEmpty ? UsernameTemplate.defaultText : templateText)
            username = try template.render(.init(displayName: request.logical.displayName, roleName: name))
        } catch {
            throw LogicalError.goError(.internal, "unable to generate username: \(String(describing: error))")
        }
        if username.isEmpty || username.unicodeScalars.contains("\u{0}") {
            throw LogicalError.goError(.internal, "unable to generate username: the template produced an invalid name")
        }
        let policy = role.passwordPolicy ?? (config.passwordPolicy.isEmpty ? nil : config.passwordPolicy)
        let password: String
        do {
            password = try await passwords.generatePassword(policy: policy)
        } catch let e as LogicalError {
            // As OpenBao: `failed to generate password: no password policy found`.
            throw LogicalError.goError(e.code, "failed to generate password: " + e.messages.joined(separator: "; "))
        }
        let now = Date()
        let lifetime = role.defaultTTL > 0 ? role.defaultTTL : (role.maxTTL > 0 ? role.maxTTL : Self.systemDefaultTTL)
        let expiration = Self.expirationText(now.addingTimeInterval(TimeInterval(lifetime + 5)))
        let values = ["name": username, "username": username, "password": password, "expiration": expiration]
        let queries = try Self.render(role.creationStatements, values, prefix: "")
        let secrets = Self.secrets(config, settings) + [password]
        do {
            try await connector.runTransaction(role.dbName, settings, queries)
        } catch {
            // The transaction is rolled back; the rollback statements undo what a transaction cannot (best effort).
            if !role.rollbackStatements.isEmpty, let rollback = try? Self.render(role.rollbackStatements, values, prefix: "") {
                let failures = await connector.runEach(role.dbName, settings, rollback)
                if !failures.isEmpty {
                    logger.warning("database: rollback statements failed", metadata: ["role": .string(name), "failures": .stringConvertible(failures.count)])
                }
            }
            throw LogicalError.goError(.internal, Self.sanitize(String(describing: error), secrets))
        }
        var internalData: [String: JSONValue] = [
            "username": .string(username), "role": .string(name), "db_name": .string(role.dbName),
            "revocation_statements": DynamicRole.strings(role.revocationStatements),
        ]
        if !role.renewStatements.isEmpty { internalData["renew_statements"] = DynamicRole.strings(role.renewStatements) }
        return LogicalResponse(
            data: ["username": .string(username), "password": .string(password)],
            secret: .lease(
                type: "creds", ttl: role.defaultTTL > 0 ? role.defaultTTL : nil, maxTTL: role.maxTTL > 0 ? role.maxTTL : nil,
                internalData: internalData))
    }

    // MARK: The creds secret

    /// `ALTER ROLE ... VALID UNTIL` (or the role's renew statements) for the granted TTL: the increment asked for, else
    /// the role's default; the core caps it by the role's max TTL and the mount's limits.
    func renewCreds(_ request: LogicalRequest) async throws -> LogicalResponse? {
        guard let secret = request.secret, let username = secret.internalData["username"]?.stringValue,
            let roleName = secret.internalData["role"]?.stringValue
        else { throw LogicalError.goError(.internal, "secret is missing username internal data") }
        guard let role = try await loadRole(request.storage, roleName) else {
            throw LogicalError.goError(.internal, "error during renew: could not find role with name \(FieldValue.goQuote(roleName))")
        }
        guard let config = try await loadConfig(request.storage, role.dbName) else { throw Self.noConnection(role.dbName) }
        let settings = try operationSettings(config)
        let increment = secret.increment ?? 0
        let ttl = increment > 0 ? increment : role.defaultTTL
        var lifetime = ttl > 0 ? ttl : Self.systemDefaultTTL
        let now = Date()
        if role.maxTTL > 0, let issued = secret.issueTime {
            let left = Int64(issued.addingTimeInterval(TimeInterval(role.maxTTL)).timeIntervalSince(now))
            lifetime = max(0, min(lifetime, left))
        }
        let expiration = Self.expirationText(now.addingTimeInterval(TimeInterval(lifetime + 5)))
        let statements = role.renewStatements.isEmpty ? [Self.defaultRenew] : role.renewStatements
        let queries = try Self.render(statements, ["name": username, "username": username, "expiration": expiration], prefix: "")
        do {
            try await connector.runTransaction(role.dbName, settings, queries)
        } catch {
            throw LogicalError.goError(.internal, Self.sanitize(String(describing: error), Self.secrets(config, settings)))
        }
        return LogicalResponse(
            secret: .lease(
                type: "creds", ttl: ttl > 0 ? ttl : nil, maxTTL: role.maxTTL > 0 ? role.maxTTL : nil,
                internalData: secret.internalData))
    }

    /// Drops many users of one connection with OpenBao's default revocation, in one statement (a `revoke-prefix` or an
    /// expiry sweep of many leases): all or nothing. Throws, so that the core revokes them one by one, when any has
    /// its own revocation statements or they use different connections.
    func revokeCredsBatch(_ requests: [LogicalRequest]) async throws {
        var users: [String] = []
        var dbName: String?
        var roles: [String: DynamicRole?] = [:]
        for request in requests {
            guard let secret = request.secret, let username = secret.internalData["username"]?.stringValue else {
                throw LogicalError.goError(.internal, "secret is missing username internal data")
            }
            let roleName = secret.internalData["role"]?.stringValue ?? ""
            if roles[roleName] == nil { roles[roleName] = roleName.isEmpty ? nil : try await loadRole(request.storage, roleName) }
            let role = roles[roleName] ?? nil
            let db = role?.dbName ?? secret.internalData["db_name"]?.stringValue ?? ""
            if !(role?.revocationStatements ?? []).isEmpty || !DynamicRole.strings(secret.internalData["revocation_statements"]).isEmpty
                || (dbName != nil && dbName != db)
            {
                throw LogicalError.goError(.internal, "not a batch of default revocations on one connection")
            }
            dbName = db
            users.append(username)
        }
        guard let dbName, let storage = requests.first?.storage else { return }
        guard let config = try await loadConfig(storage, dbName) else { throw Self.noConnection(dbName) }
        let settings = try operationSettings(config)
        do {
            try await connector.dropUsers(dbName, settings, roles: users)
        } catch {
            throw LogicalError.goError(.internal, Self.sanitize(error.message, Self.secrets(config, settings)))
        }
    }

    /// Drops the user: the role's revocation statements (or those stored with the lease), else OpenBao's default
    /// (privileges revoked, then `DROP ROLE IF EXISTS`). Nothing is done when the user no longer exists, so a retried
    /// revocation succeeds.
    func revokeCreds(_ request: LogicalRequest) async throws {
        guard let secret = request.secret, let username = secret.internalData["username"]?.stringValue else {
            throw LogicalError.goError(.internal, "secret is missing username internal data")
        }
        let roleName = secret.internalData["role"]?.stringValue ?? ""
        let role = roleName.isEmpty ? nil : try await loadRole(request.storage, roleName)
        let dbName = role?.dbName ?? secret.internalData["db_name"]?.stringValue ?? ""
        guard let config = try await loadConfig(request.storage, dbName) else { throw Self.noConnection(dbName) }
        let settings = try operationSettings(config)
        let secrets = Self.secrets(config, settings)
        var statements = role?.revocationStatements ?? []
        if statements.isEmpty { statements = DynamicRole.strings(secret.internalData["revocation_statements"]) }
        do {
            if !statements.isEmpty {
                let queries = try Self.render(statements, ["name": username, "username": username], prefix: "")
                try await connector.runTransaction(dbName, settings, queries) { conn, logger in
                    try await PostgresConnector.roleExists(conn, username, logger: logger)
                }
                return
            }
            try await connector.dropUser(dbName, settings, role: username)
        } catch let e as DatabaseFailure {
            throw LogicalError.goError(.internal, Self.sanitize(e.message, secrets))
        }
    }
}
