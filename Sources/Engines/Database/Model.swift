import CofferSDK
import Foundation

/// A database connection config, stored at `config/<name>` (the root password inside, barrier-encrypted).
struct DatabaseConfig: Sendable, Equatable {
    var pluginName = ""
    var pluginVersion = ""
    var verifyConnection = true
    var allowedRoles: [String] = []
    var rootRotationStatements: [String] = []
    var passwordPolicy = ""
    /// The plugin's fields as written (connection_url, username, password, max_open_connections, ...).
    var connectionDetails: [String: JSONValue] = [:]
    /// Rotate the root password every this many seconds (Vault's `rotation_period` on a connection); 0: never.
    var rootRotationPeriod: Int64 = 0
    /// When the root password was last rotated by Coffer.
    var lastRootRotation: Date?

    /// When the root password is rotated next on the schedule.
    func nextRootRotation(now: Date) -> Date? {
        guard rootRotationPeriod > 0 else { return nil }
        return (lastRootRotation ?? now).addingTimeInterval(TimeInterval(rootRotationPeriod))
    }

    static func key(_ name: String) -> String { "config/" + name }

    var stored: JSONValue {
        .object([
            "plugin_name": .string(pluginName), "plugin_version": .string(pluginVersion),
            "verify_connection": .bool(verifyConnection), "allowed_roles": .array(allowedRoles.map { .string($0) }),
            "root_credentials_rotate_statements": .array(rootRotationStatements.map { .string($0) }),
            "password_policy": .string(passwordPolicy), "connection_details": .object(connectionDetails),
            "rotation_period": .int(rootRotationPeriod),
            "last_root_rotation": lastRootRotation.map { .string(formatVaultTime($0)) } ?? .null,
        ])
    }

    init() {}

    init(stored v: JSONValue) throws {
        guard let o = v.objectValue else { throw LogicalError.internalError("corrupt database config record") }
        pluginName = o["plugin_name"]?.stringValue ?? ""
        pluginVersion = o["plugin_version"]?.stringValue ?? ""
        verifyConnection = o["verify_connection"]?.boolValue ?? true
        allowedRoles = (o["allowed_roles"]?.arrayValue ?? []).compactMap(\.stringValue)
        rootRotationStatements = (o["root_credentials_rotate_statements"]?.arrayValue ?? []).compactMap(\.stringValue)
        passwordPolicy = o["password_policy"]?.stringValue ?? ""
        connectionDetails = o["connection_details"]?.objectValue ?? [:]
        rootRotationPeriod = o["rotation_period"]?.intValue ?? 0
        lastRootRotation = o["last_root_rotation"]?.stringValue.flatMap(parseVaultTime)
    }

    /// The plugin fields that never leave the server.
    static let secretDetails: Set<String> = ["password", "private_key"]

    var responseData: [String: JSONValue] {
        [
            "plugin_name": .string(pluginName), "plugin_version": .string(pluginVersion),
            "allowed_roles": .array(allowedRoles.map { .string($0) }),
            "root_credentials_rotate_statements": .array(rootRotationStatements.map { .string($0) }),
            "password_policy": .string(passwordPolicy),
            "connection_details": .object(connectionDetails.filter { !Self.secretDetails.contains($0.key) }),
        ].merging(rootRotationPeriod > 0 ? ["rotation_period": .int(rootRotationPeriod)] : [:]) { a, _ in a }
    }

    func detail(_ key: String) -> String { connectionDetails[key].map(FieldValue.goFormat) ?? "" }
    var username: String { connectionDetails[PluginFields.username]?.stringValue ?? "" }
    var password: String { connectionDetails[PluginFields.password]?.stringValue ?? "" }
    var connectionURL: String { connectionDetails[PluginFields.connectionURL]?.stringValue ?? "" }

    /// Whether `role` may use this connection: `*`, an exact name, or a glob (`*` anywhere in the pattern).
    func allows(_ role: String) -> Bool { allowedRoles.contains { Glob.matches($0, role) } }
}

/// The plugin's own fields (OpenBao's postgres plugin and connutil).
enum PluginFields {
    static let connectionURL = "connection_url"
    static let username = "username"
    static let password = "password"
    static let maxOpenConnections = "max_open_connections"
    static let maxIdleConnections = "max_idle_connections"
    static let maxConnectionLifetime = "max_connection_lifetime"
    static let usernameTemplate = "username_template"
    static let disableEscaping = "disable_escaping"
    static let passwordAuthentication = "password_authentication"
}

/// `*` matches any run of characters (OpenBao's `strutil.GlobbedStringsMatch`, as `StrListContainsGlob` uses it).
enum Glob {
    static func matches(_ pattern: String, _ value: String) -> Bool {
        if pattern == "*" { return true }
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 1 { return pattern == value }
        guard let first = parts.first, let last = parts.last, value.hasPrefix(first) else { return false }
        var rest = value.dropFirst(first.count)
        for mid in parts.dropFirst().dropLast() where !mid.isEmpty {
            guard let r = rest.range(of: mid) else { return false }
            rest = rest[r.upperBound...]
        }
        return rest.hasSuffix(last) && rest.count >= last.count
    }
}

/// A dynamic role, stored at `role/<name>`.
struct DynamicRole: Sendable, Equatable {
    var dbName = ""
    var creationStatements: [String] = []
    var revocationStatements: [String] = []
    var rollbackStatements: [String] = []
    var renewStatements: [String] = []
    var defaultTTL: Int64 = 0
    var maxTTL: Int64 = 0
    var credentialType = "password"
    var credentialConfig: [String: JSONValue] = [:]

    static func key(_ name: String) -> String { "role/" + name }

    static func strings(_ a: [String]) -> JSONValue { .array(a.map { .string($0) }) }
    static func strings(_ v: JSONValue?) -> [String] { (v?.arrayValue ?? []).compactMap(\.stringValue) }

    var responseData: [String: JSONValue] {
        var d: [String: JSONValue] = [
            "db_name": .string(dbName), "creation_statements": Self.strings(creationStatements),
            "revocation_statements": Self.strings(revocationStatements),
            "rollback_statements": Self.strings(rollbackStatements), "renew_statements": Self.strings(renewStatements),
            "default_ttl": .int(defaultTTL), "max_ttl": .int(maxTTL), "credential_type": .string(credentialType),
        ]
        if !credentialConfig.isEmpty { d["credential_config"] = .object(credentialConfig) }
        return d
    }

    var stored: JSONValue { .object(responseData.merging(["credential_config": .object(credentialConfig)]) { _, b in b }) }

    init() {}

    init(stored v: JSONValue) throws {
        guard let o = v.objectValue else { throw LogicalError.internalError("corrupt database role record") }
        dbName = o["db_name"]?.stringValue ?? ""
        creationStatements = Self.strings(o["creation_statements"])
        revocationStatements = Self.strings(o["revocation_statements"])
        rollbackStatements = Self.strings(o["rollback_statements"])
        renewStatements = Self.strings(o["renew_statements"])
        defaultTTL = o["default_ttl"]?.intValue ?? 0
        maxTTL = o["max_ttl"]?.intValue ?? 0
        credentialType = o["credential_type"]?.stringValue ?? "password"
        credentialConfig = o["credential_config"]?.objectValue ?? [:]
    }

    var passwordPolicy: String? {
        guard let p = credentialConfig["password_policy"]?.stringValue, !p.isEmpty else { return nil }
        return p
    }
}

/// A static role, stored at `static-role/<name>`: an existing database user whose password the engine rotates.
struct StaticRole: Sendable, Equatable {
    var dbName = ""
    var username = ""
    var rotationPeriod: Int64 = 0
    /// Coffer's extension (as Vault's): a 5-field cron schedule instead of a period, with a window in seconds.
    var rotationSchedule = ""
    var rotationWindow: Int64 = 0
    var rotationStatements: [String] = []
    var credentialType = "password"
    var credentialConfig: [String: JSONValue] = [:]
    var password = ""
    var lastVaultRotation: Date?
    var nextVaultRotation: Date?

    static func key(_ name: String) -> String { "static-role/" + name }

    var responseData: [String: JSONValue] {
        var d: [String: JSONValue] = [
            "db_name": .string(dbName), "username": .string(username),
            "rotation_statements": DynamicRole.strings(rotationStatements), "credential_type": .string(credentialType),
        ]
        if rotationSchedule.isEmpty {
            d["rotation_period"] = .int(rotationPeriod)
        } else {
            d["rotation_schedule"] = .string(rotationSchedule)
            d["rotation_window"] = .int(rotationWindow)
        }
        if let lastVaultRotation { d["last_vault_rotation"] = .string(formatVaultTime(lastVaultRotation, milliseconds: false)) }
        if let nextVaultRotation { d["next_vault_rotation"] = .string(formatVaultTime(nextVaultRotation, milliseconds: false)) }
        if !credentialConfig.isEmpty { d["credential_config"] = .object(credentialConfig) }
        return d
    }

    var stored: JSONValue {
        var d = responseData
        d["rotation_period"] = .int(rotationPeriod)
        d["rotation_schedule"] = .string(rotationSchedule)
        d["rotation_window"] = .int(rotationWindow)
        d["password"] = .string(password)
        d["credential_config"] = .object(credentialConfig)
        d["last_vault_rotation"] = lastVaultRotation.map { .double($0.timeIntervalSince1970) } ?? .null
        d["next_vault_rotation"] = nextVaultRotation.map { .double($0.timeIntervalSince1970) } ?? .null
        return .object(d)
    }

    init() {}

    init(stored v: JSONValue) throws {
        guard let o = v.objectValue else { throw LogicalError.internalError("corrupt database static role record") }
        dbName = o["db_name"]?.stringValue ?? ""
        username = o["username"]?.stringValue ?? ""
        rotationPeriod = o["rotation_period"]?.intValue ?? 0
        rotationSchedule = o["rotation_schedule"]?.stringValue ?? ""
        rotationWindow = o["rotation_window"]?.intValue ?? 0
        rotationStatements = DynamicRole.strings(o["rotation_statements"])
        credentialType = o["credential_type"]?.stringValue ?? "password"
        credentialConfig = o["credential_config"]?.objectValue ?? [:]
        password = o["password"]?.stringValue ?? ""
        func date(_ k: String) -> Date? {
            switch o[k] {
            case .double(let d): return Date(timeIntervalSince1970: d)
            case .int(let i): return Date(timeIntervalSince1970: Double(i))
            default: return nil
            }
        }
        lastVaultRotation = date("last_vault_rotation")
        nextVaultRotation = date("next_vault_rotation")
    }

    var passwordPolicy: String? {
        guard let p = credentialConfig["password_policy"]?.stringValue, !p.isEmpty else { return nil }
        return p
    }

    /// When the role rotates next after a rotation at `last`.
    func nextRotation(after last: Date) -> Date? {
        if !rotationSchedule.isEmpty { return (try? CronSchedule(rotationSchedule))?.next(after: last) }
        guard rotationPeriod > 0 else { return nil }
        return last.addingTimeInterval(TimeInterval(rotationPeriod))
    }
}

/// A rotation in flight, stored at `wal/<kind>/<name>` before the database is changed: a crash after the `ALTER`
/// but before the role is saved re-applies this password instead of generating another.
struct RotationWAL: Sendable, Equatable {
    var username: String
    var password: String
    var created: Date

    static func staticKey(_ role: String) -> String { "wal/static-role/" + role }
    static func rootKey(_ config: String) -> String { "wal/root/" + config }

    var stored: JSONValue {
        .object(["username": .string(username), "password": .string(password), "created": .double(created.timeIntervalSince1970)])
    }

    init(username: String, password: String, created: Date = Date()) {
        self.username = username
        self.password = password
        self.created = created
    }

    init(stored v: JSONValue) throws {
        guard let o = v.objectValue, let u = o["username"]?.stringValue, let p = o["password"]?.stringValue else {
            throw LogicalError.internalError("corrupt database rotation WAL record")
        }
        username = u
        password = p
        if case .double(let d) = o["created"] { created = Date(timeIntervalSince1970: d) } else { created = Date() }
    }
}
