import CofferSDK
import Foundation

/// `static-roles/`, `static-roles/{name}`, `static-creds/{name}`, `rotate-role/{name}` and scheduled rotation.
extension DatabaseEngine {
    static let minRotationPeriod: Int64 = 5
    static let minRotationWindow: Int64 = 3600

    static func jobID(_ name: String) -> String { staticJobPrefix + name }

    func listStaticRoles(_ request: PathRequest) async throws -> LogicalResponse? {
        try Self.listResponse(try await request.storage.list(prefix: "static-role/").filter { !$0.hasSuffix("/") }, request)
    }

    func readStaticRole(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try request.fields.string("name")
        guard var role = try await loadStaticRole(request.storage, name) else { throw LogicalError.notFound }
        if let next = rotations?.nextRun(Self.jobID(name)) { role.nextVaultRotation = next }
        return LogicalResponse(data: role.responseData)
    }

    func deleteStaticRole(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try request.fields.string("name")
        try await lock.withLock(key: "static-role/" + name) {
            try await request.storage.transaction([.delete(StaticRole.key(name)), .delete(RotationWAL.staticKey(name))])
        }
        rotations?.cancel(Self.jobID(name))
        return nil
    }

    func writeStaticRole(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try request.fields.string("name")
        if name.isEmpty { throw LogicalError.invalidRequest("empty role name attribute given") }
        let fields = request.fields
        let storage = request.storage
        let next: Date? = try await lock.withLock(key: "static-role/" + name) {
            if try await loadRole(storage, name) != nil { throw Self.uniqueNames }
            let existing = try await loadStaticRole(storage, name)
            let creating = existing == nil
            var role = existing ?? StaticRole()
            if let db = try fields.stringIfSet("db_name") { role.dbName = db }
            if role.dbName.isEmpty { throw LogicalError.invalidRequest("database name is a required field") }
            if let u = try fields.stringIfSet("username") {
                if !creating, u != role.username { throw LogicalError.invalidRequest("cannot update static account username") }
                role.username = u
            }
            if role.username.isEmpty {
                throw LogicalError.invalidRequest("username is a required field to create a static account")
            }
            try Self.applyRotationFields(fields, &role, creating: creating)
            if let s = try fields.stringsIfSet("rotation_statements") { role.rotationStatements = s }
            if let t = try Self.checkCredentialType(fields) { role.credentialType = t }
            if let c = try Self.checkCredentialConfig(fields) { role.credentialConfig = c }
            guard let config = try await loadConfig(storage, role.dbName) else { throw Self.noConnection(role.dbName) }
            if creating {
                // A new static role takes a password of the engine's at once.
                try await performRotation(storage, name, &role, config)
            } else {
                role.nextVaultRotation = role.lastVaultRotation.flatMap(role.nextRotation(after:)) ?? role.nextRotation(after: Date())
                try await storage.putJSON(StaticRole.key(name), role.stored)
            }
            return role.nextVaultRotation
        }
        if let next { rotations?.schedule(Self.jobID(name), at: next) } else { rotations?.cancel(Self.jobID(name)) }
        return nil
    }

    /// `rotation_period`, or Coffer's `rotation_schedule` + `rotation_window` (Vault's fields and texts).
    static func applyRotationFields(_ fields: FieldData, _ role: inout StaticRole, creating: Bool) throws {
        let period = try fields.durationIfSet("rotation_period")
        let schedule = try fields.stringIfSet("rotation_schedule").map(\.trimmingSpaces)
        let window = try fields.durationIfSet("rotation_window")
        if let period, period > 0, let schedule, !schedule.isEmpty {
            throw LogicalError.invalidRequest(
                "mutually exclusive fields rotation_period and rotation_schedule were both specified; only one of them can be provided")
        }
        if let schedule, !schedule.isEmpty {
            do { _ = try CronSchedule(schedule) } catch {
                throw LogicalError.invalidRequest("could not parse rotation_schedule: \(String(describing: error))")
            }
            role.rotationSchedule = schedule
            role.rotationPeriod = 0
        } else if let period {
            if period < minRotationPeriod { throw LogicalError.invalidRequest("rotation_period must be 5 seconds or more") }
            role.rotationPeriod = period
            role.rotationSchedule = ""
            role.rotationWindow = 0
        }
        if let window, window > 0 {
            if role.rotationSchedule.isEmpty {
                throw LogicalError.invalidRequest("rotation_window is invalid with use of rotation_period")
            }
            if window < minRotationWindow {
                throw LogicalError.invalidRequest("rotation_window must be 3600 seconds or more")
            }
            role.rotationWindow = window
        }
        if creating, role.rotationPeriod == 0, role.rotationSchedule.isEmpty {
            throw LogicalError.invalidRequest("rotation_period is required to create static accounts")
        }
    }

    func readStaticCreds(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try request.fields.string("name")
        guard let role = try await loadStaticRole(request.storage, name) else { throw LogicalError.invalidRequest("unknown role: \(name)") }
        let next = rotations?.nextRun(Self.jobID(name)) ?? role.nextVaultRotation
        var data: [String: JSONValue] = [
            "username": .string(role.username), "password": .string(role.password),
            "ttl": .int(next.map { max(0, Int64($0.timeIntervalSinceNow.rounded(.down))) } ?? 0),
        ]
        if role.rotationSchedule.isEmpty {
            data["rotation_period"] = .int(role.rotationPeriod)
        } else {
            data["rotation_schedule"] = .string(role.rotationSchedule)
            data["rotation_window"] = .int(role.rotationWindow)
        }
        if let last = role.lastVaultRotation { data["last_vault_rotation"] = .string(formatVaultTime(last, milliseconds: false)) }
        return LogicalResponse(data: data)
    }

    func rotateRoleNow(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try request.fields.string("name")
        guard try await loadStaticRole(request.storage, name) != nil else {
            throw LogicalError.invalidRequest("no static role found for role name")
        }
        _ = try await rotateStaticRole(request.storage, name, scheduled: false)
        return nil
    }

    /// Rotates the static role `name` (the scheduler's job or `rotate-role`), and returns when it rotates next.
    /// A scheduled run later than its cron window skips to the next scheduled time.
    func rotateStaticRole(_ storage: any LogicalStorage, _ name: String, scheduled: Bool) async throws -> Date? {
        let next: Date? = try await lock.withLock(key: "static-role/" + name) {
            guard var role = try await loadStaticRole(storage, name) else {
                if scheduled { return nil }
                throw LogicalError.invalidRequest("no static role found for role name")
            }
            guard let config = try await loadConfig(storage, role.dbName) else { throw Self.noConnection(role.dbName) }
            let now = Date()
            if scheduled, !role.rotationSchedule.isEmpty, role.rotationWindow > 0, let due = role.nextVaultRotation,
                now > due.addingTimeInterval(TimeInterval(role.rotationWindow))
            {
                role.nextVaultRotation = role.nextRotation(after: now)
                try await storage.putJSON(StaticRole.key(name), role.stored)
                return role.nextVaultRotation
            }
            try await performRotation(storage, name, &role, config)
            return role.nextVaultRotation
        }
        if let next { rotations?.schedule(Self.jobID(name), at: next) } else { rotations?.cancel(Self.jobID(name)) }
        return next
    }

    /// Sets a new password for the role's user: the password goes to `wal/static-role/<name>` before the database is
    /// changed and is reused by a retry, then the role (password, last and next rotation) is saved and the WAL
    /// deleted in one storage transaction.
    func performRotation(_ storage: any LogicalStorage, _ name: String, _ role: inout StaticRole, _ config: DatabaseConfig) async throws {
        let settings = try operationSettings(config)
        let walKey = RotationWAL.staticKey(name)
        var wal = try await storage.getJSON(walKey).map(RotationWAL.init(stored:))
        if wal?.username != role.username { wal = nil }
        let password: String
        if let wal {
            password = wal.password
        } else {
            let policy = role.passwordPolicy ?? (config.passwordPolicy.isEmpty ? nil : config.passwordPolicy)
            password = try await passwords.generatePassword(policy: policy)
            try await storage.putJSON(walKey, RotationWAL(username: role.username, password: password).stored)
        }
        let statements = role.rotationStatements.isEmpty ? [Self.defaultRotation] : role.rotationStatements
        let queries = try Self.render(
            statements, ["name": role.username, "username": role.username, "password": password], prefix: "error setting credentials: ")
        do {
            try await connector.runTransaction(role.dbName, settings, queries)
        } catch {
            let text = Self.sanitize(String(describing: error), Self.secrets(config, settings) + [password])
            throw LogicalError.goError(.internal, "error setting credentials: " + LogicalError.multiErrorText(text))
        }
        let now = Date()
        role.password = password
        role.lastVaultRotation = now
        role.nextVaultRotation = role.nextRotation(after: now)
        try await storage.transaction([.put(StaticRole.key(name), role.stored.serializedData()), .delete(walKey)])
    }
}
