import CofferPostgres
import CofferSDK
import Foundation

/// `config/`, `config/{name}`, `reset/{name}`, `rotate-root/{name}`.
extension DatabaseEngine {
    static let createPrefix = "error creating database object: "

    /// The recorded answer for a plugin not in the catalog.
    static func unknownPlugin(_ name: String) -> LogicalError {
        .invalidRequest(
            createPrefix
                + "invalid database version: 2 errors occurred:\n\t* plugin not found in the catalog: \(name)\n\t* plugin not found in the catalog: \(name)\n\n")
    }

    /// `text` with the secrets of a config replaced by `[password]` (OpenBao's error sanitizer).
    static func sanitize(_ text: String, _ secrets: [String]) -> String {
        var out = text
        for s in secrets where !s.isEmpty { out = out.replacingOccurrences(of: s, with: "[password]") }
        return out
    }

    /// An integer plugin field as stored (sent as a number or a string), through the field's conversion.
    static func intDetail(_ config: DatabaseConfig, _ key: String, as type: FieldType = .int) -> Int64? {
        guard let v = config.connectionDetails[key], case .success(let c) = FieldValue.convert(v, as: type, field: key) else {
            return nil
        }
        return c.intValue
    }

    static func boolDetail(_ config: DatabaseConfig, _ key: String) -> Bool {
        guard let v = config.connectionDetails[key], case .success(.bool(let b)) = FieldValue.convert(v, as: .bool, field: key) else {
            return false
        }
        return b
    }

    /// The connection settings of a config, or OpenBao's error text (without the create prefix).
    static func settings(_ config: DatabaseConfig) throws(DatabaseFailure) -> ConnectionSettings {
        let url = config.connectionURL
        if url.isEmpty { throw DatabaseFailure(message: "connection_url cannot be empty") }
        let info: ConnectionInfo
        do {
            info = try ConnectionInfo.make(
                url: url, username: config.username, password: config.password,
                disableEscaping: boolDetail(config, PluginFields.disableEscaping))
        } catch {
            throw DatabaseFailure(message: "error verifying connection: \(String(describing: error))")
        }
        let maxOpen = Int(clamping: intDetail(config, PluginFields.maxOpenConnections) ?? 4)
        let maxIdle = Int(clamping: intDetail(config, PluginFields.maxIdleConnections) ?? 0)
        let lifetime = intDetail(config, PluginFields.maxConnectionLifetime, as: .durationSecond) ?? 0
        return ConnectionSettings(
            info: info, maxOpenConnections: maxOpen > 0 ? maxOpen : 4, maxIdleConnections: min(maxIdle, max(maxOpen, 1)),
            maxConnectionLifetime: lifetime)
    }

    /// The secrets an error text must not show for a config.
    static func secrets(_ config: DatabaseConfig, _ settings: ConnectionSettings? = nil) -> [String] {
        [config.password, settings?.info.password ?? ""].filter { !$0.isEmpty }
    }

    /// The settings of a stored config for an operation; its errors as Go errors (500).
    func operationSettings(_ config: DatabaseConfig) throws -> ConnectionSettings {
        do { return try Self.settings(config) } catch {
            throw LogicalError.goError(.internal, Self.sanitize(String(describing: error), Self.secrets(config)))
        }
    }

    func listConfigs(_ request: PathRequest) async throws -> LogicalResponse? {
        try Self.listResponse(try await request.storage.list(prefix: "config/").filter { !$0.hasSuffix("/") }, request)
    }

    func readConfig(_ request: PathRequest) async throws -> LogicalResponse? {
        guard let config = try await loadConfig(request.storage, try request.fields.string("name")) else { throw LogicalError.notFound }
        return LogicalResponse(data: config.responseData)
    }

    func deleteConfig(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try request.fields.string("name")
        try await lock.withLock(key: "config/" + name) {
            try await request.storage.transaction([.delete(DatabaseConfig.key(name)), .delete(RotationWAL.rootKey(name))])
        }
        connector.close(name)
        rotations?.cancel(Self.rootJobPrefix + name)
        return nil
    }

    func writeConfig(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try request.fields.string("name")
        if name.isEmpty { throw LogicalError.invalidRequest("empty name attribute given") }
        try await lock.withLock(key: "config/" + name) {
            let existing = try await loadConfig(request.storage, name)
            var config = existing ?? DatabaseConfig()
            let fields = request.fields
            if let plugin = try fields.stringIfSet("plugin_name") { config.pluginName = plugin }
            if config.pluginName.isEmpty { throw LogicalError.invalidRequest("empty plugin name") }
            if config.pluginName != Self.pluginName { throw Self.unknownPlugin(config.pluginName) }
            if let v = try fields.stringIfSet("plugin_version") { config.pluginVersion = v }
            if let roles = try fields.stringsIfSet("allowed_roles") { config.allowedRoles = roles }
            if let stmts = try fields.stringsIfSet("root_rotation_statements") { config.rootRotationStatements = stmts }
            if let policy = try fields.stringIfSet("password_policy") { config.passwordPolicy = policy }
            if let period = try fields.intIfSet("rotation_period") {
                guard period == 0 || period >= 5 else { throw LogicalError.invalidRequest("rotation_period must be 5 seconds or more") }
                config.rootRotationPeriod = period
            }
            config.verifyConnection = try fields.bool("verify_connection")
            // The plugin's fields, as sent, over the stored ones.
            for f in Self.configFields where Self.pluginFieldNames.contains(f.name) {
                if let v = fields.sent(f.name) { config.connectionDetails[f.name] = v }
            }
            try validatePluginFields(config)
            let settings: ConnectionSettings
            do { settings = try Self.settings(config) } catch {
                throw LogicalError.invalidRequest(Self.createPrefix + Self.sanitize(String(describing: error), Self.secrets(config)))
            }
            if config.verifyConnection {
                do { try await PostgresConnector.verify(settings, logger: logger) } catch {
                    throw LogicalError.invalidRequest(
                        Self.createPrefix + "error verifying connection: " + Self.sanitize(String(describing: error), Self.secrets(config, settings)))
                }
            }
            try await request.storage.putJSON(DatabaseConfig.key(name), config.stored)
            connector.close(name)
            if let next = config.nextRootRotation(now: Date()) {
                rotations?.schedule(Self.rootJobPrefix + name, at: next)
            } else {
                rotations?.cancel(Self.rootJobPrefix + name)
            }
        }
        return nil
    }

    static let pluginFieldNames: Set<String> = [
        PluginFields.connectionURL, PluginFields.username, PluginFields.password, PluginFields.maxOpenConnections,
        PluginFields.maxIdleConnections, PluginFields.maxConnectionLifetime, PluginFields.usernameTemplate,
        PluginFields.disableEscaping, PluginFields.passwordAuthentication,
    ]

    /// The plugin's own checks of its fields (OpenBao's `Initialize`), with the create prefix.
    func validatePluginFields(_ config: DatabaseConfig) throws {
        let template = config.connectionDetails[PluginFields.usernameTemplate]?.stringValue ?? ""
        if !template.isEmpty {
            do { _ = try UsernameTemplate(template) } catch {
                // OpenBao's text: Go's template error names the template and line (`template: template:1: ...`).
                var text = String(describing: error)
                if text.hasPrefix("template: ") { text = "template: template:1: " + text.dropFirst("template: ".count) }
                throw LogicalError.invalidRequest(
                    Self.createPrefix + "unable to initialize username template: unable to parse template: " + text)
            }
        }
        let auth = config.connectionDetails[PluginFields.passwordAuthentication]?.stringValue ?? ""
        if !auth.isEmpty, auth != "password", auth != "scram-sha-256" {
            throw LogicalError.invalidRequest(Self.createPrefix + "'\(auth)' is not a valid password authentication type")
        }
    }

    func resetConnection(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try request.fields.string("name")
        guard try await loadConfig(request.storage, name) != nil else { throw Self.noConnection(name) }
        connector.close(name)
        return nil
    }

    /// `ALTER ROLE` of the root user to a new password (from the config's policy), then the config saved with it and
    /// the pool reopened. The new password is written to `wal/root/<name>` first, so a rotation cut short after the
    /// `ALTER` is finished with the same password by the next attempt.
    func rotateRoot(_ request: PathRequest) async throws -> LogicalResponse? {
        try await rotateRootCredentials(request.storage, try request.fields.string("name"))
        return nil
    }

    /// The root rotation of `rotate-root/:name` and of the schedule (`rotation_period` on the connection); answers
    /// when the schedule runs it next.
    @discardableResult
    func rotateRootCredentials(_ storage: any LogicalStorage, _ name: String) async throws -> Date? {
        try await lock.withLock(key: "config/" + name) { () async throws -> Date? in
            guard var config = try await loadConfig(storage, name) else { throw Self.noConnection(name) }
            if config.username.isEmpty {
                throw LogicalError.goError(.internal, "unable to rotate root credentials: no username in configuration")
            }
            let settings = try operationSettings(config)
            let walKey = RotationWAL.rootKey(name)
            var wal = try await storage.getJSON(walKey).map(RotationWAL.init(stored:))
            if wal?.username != config.username { wal = nil }
            let reused = wal != nil
            let newPassword: String
            if let wal {
                newPassword = wal.password
            } else {
                newPassword = try await passwords.generatePassword(policy: config.passwordPolicy.isEmpty ? nil : config.passwordPolicy)
                try await storage.putJSON(walKey, RotationWAL(username: config.username, password: newPassword).stored)
            }
            let statements = config.rootRotationStatements.isEmpty ? [Self.defaultRotation] : config.rootRotationStatements
            let secrets = Self.secrets(config, settings) + [newPassword]
            let queries: [String]
            do {
                queries = try SQLTemplate.queries(statements).map {
                    try SQLTemplate.render($0, ["name": config.username, "username": config.username, "password": newPassword])
                }
            } catch {
                throw LogicalError.goError(.internal, "failed to update user: \(String(describing: error))")
            }
            do {
                try await connector.runTransaction(name, settings, queries)
            } catch {
                // An earlier attempt may have changed the password already: try again as the user with the new one.
                var retried = false
                if reused {
                    var next = settings
                    next.info.password = newPassword
                    if (try? await connector.runTransaction(name + "\u{0}wal", next, queries)) != nil { retried = true }
                    connector.close(name + "\u{0}wal")
                }
                if !retried {
                    throw LogicalError.goError(.internal, "failed to update user: " + Self.sanitize(String(describing: error), secrets))
                }
            }
            config.connectionDetails[PluginFields.password] = .string(newPassword)
            // A password written into the URL itself is replaced too.
            if !settings.info.password.isEmpty, settings.info.password != config.password || config.connectionURL.contains(settings.info.password) {
                let url = config.connectionURL
                let encoded = ConnectionInfo.percentEncode(settings.info.password)
                if url.contains(encoded) {
                    config.connectionDetails[PluginFields.connectionURL] = .string(
                        url.replacingOccurrences(of: encoded, with: ConnectionInfo.percentEncode(newPassword)))
                }
            }
            let now = Date()
            config.lastRootRotation = now
            try await storage.transaction([.put(DatabaseConfig.key(name), config.stored.serializedData()), .delete(walKey)])
            connector.close(name)
            let next = config.nextRootRotation(now: now)
            if let next { rotations?.schedule(Self.rootJobPrefix + name, at: next) }
            return next
        }
    }

    static let defaultRotation = #"ALTER ROLE "{{username}}" WITH PASSWORD '{{password}}';"#
}

extension StripedAsyncLock {
    func withLock<T>(key: String, _ body: () async throws -> T) async throws -> T {
        try await lock(for: key).withLock(body)
    }
}
