import CofferSDK
import Foundation

/// `role/`, `role/:role_name`, `role/:role_name/role-id` and the per-setting sub-paths.
extension AppRoleAuth {
    static func roleName(_ request: PathRequest) throws -> String { try request.fields.string("role_name").lowercased() }

    func listRoles(_ request: PathRequest) async throws -> LogicalResponse? {
        let names = try await AppRoleStore(storage: request.storage).roleNames()
        if names.isEmpty { throw LogicalError.notFound }
        return LogicalResponse(data: ["keys": strings(names)])
    }

    func readRole(_ request: PathRequest) async throws -> LogicalResponse? {
        guard let role = try await AppRoleStore(storage: request.storage).role(try Self.roleName(request)) else {
            throw LogicalError.notFound
        }
        return LogicalResponse(data: role.responseData)
    }

    func roleExists(_ request: PathRequest) async throws -> Bool {
        try await AppRoleStore(storage: request.storage).role(try Self.roleName(request)) != nil
    }

    /// Creates or updates a role, with OpenBao's checks in its order: the token settings first, then
    /// `local_secret_ids`, `role_id`, `bind_secret_id`, the secret-ID CIDRs and limits, the deprecated names.
    func writeRole(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try Self.roleName(request)
        var fields = request.fields
        var warnings: [String] = []
        // The two deprecated token types are accepted with a warning, as their modern names.
        if case .string(let t) = fields.sent("token_type"), let modern = ["default-service": "service", "default-batch": "batch"][t] {
            var raw = fields.raw
            raw["token_type"] = .string(modern)
            fields = FieldData(raw: raw, schema: Self.roleSchema)
            warnings.append("\(t) has no useful meaning; adjusting to \(modern)")
        }
        let store = AppRoleStore(storage: request.storage)
        return try await lock.withLock {
            let existing = try await store.role(name)
            var role = existing ?? RoleEntry(name: name, roleID: "")
            var token = role.token
            try token.parse(fields)
            if let local = try fields.boolIfSet("local_secret_ids") {
                guard existing == nil else {
                    throw LogicalError.invalidRequest("local_secret_ids can only be modified during role creation")
                }
                role.localSecretIDs = local
            }
            if let rid = try fields.stringIfSet("role_id") {
                role.roleID = rid
            } else if existing == nil {
                role.roleID = RandomID.uuid()
            }
            if role.roleID.isEmpty {
                throw LogicalError.invalidRequest("invalid role_id supplied, or failed to generate a role_id")
            }
            if let bind = try fields.boolIfSet("bind_secret_id") { role.bindSecretID = bind }
            if let cidrs = try fields.stringsIfSet("secret_id_bound_cidrs") ?? fields.stringsIfSet("bound_cidr_list") {
                if let bad = CIDRChecks.firstInvalid(cidrs) {
                    throw LogicalError.goError(.internal, "failed to validate CIDR blocks: invalid CIDR address: \(bad)")
                }
                role.secretIDBoundCIDRs = cidrs
            }
            if let uses = try fields.intIfSet("secret_id_num_uses") {
                if uses < 0 { throw LogicalError.invalidRequest("secret_id_num_uses cannot be negative") }
                role.secretIDNumUses = uses
            }
            if let ttl = try fields.durationIfSet("secret_id_ttl") { role.secretIDTTL = ttl }
            // The deprecated `policies` and `period`: a name sent alone sets both values (policies sanitised); a
            // legacy value that no longer matches its `token_*` successor is dropped.
            let legacy = try token.upgradeLegacy(fields, from: Self.legacy)
            if legacy.contains(.policies), !fields.has("token_policies") { token.policies = sanitizePolicies(token.policies) }
            role.token = token
            if legacy.contains(.policies) {
                role.policies = role.tokenPolicies
            } else if role.policies != role.tokenPolicies {
                role.policies = []
            }
            if legacy.contains(.period) {
                role.period = role.tokenPeriod
            } else if role.period != role.tokenPeriod {
                role.period = 0
            }
            try await save(role, previous: existing, store: store)
            return warnings.isEmpty ? nil : LogicalResponse(warnings: warnings)
        }
    }

    /// Stores a role after OpenBao's checks: some constraint must be enabled, the role ID must be unused.
    func save(_ role: RoleEntry, previous: RoleEntry?, store: AppRoleStore) async throws {
        try Self.checkConstraints(role)
        guard let key = try await store.hmacKey(create: true) else { return }
        let newIndex = Layout.roleID(AppRoleStore.hmac(role.roleID, key: key))
        var ops: [StorageOperation] = []
        if previous?.roleID != role.roleID {
            if let holder = try await store.load(RoleIDIndex.self, newIndex), holder.name != role.name,
                try await store.role(holder.name) != nil
            {
                throw LogicalError.goError(.internal, "role_id already in use")
            }
            if let previous {
                ops.append(.delete(Layout.roleID(AppRoleStore.hmac(previous.roleID, key: key))))
            }
            ops.append(.put(newIndex, try AppRoleStore.encode(RoleIDIndex(name: role.name))))
        }
        ops.append(.put(Layout.role(role.name), try AppRoleStore.encode(role)))
        try await store.storage.transaction(ops)
    }

    /// A role must bind secret IDs or some CIDR blocks; every write of a role checks it, its sub-paths' too.
    static func checkConstraints(_ role: RoleEntry) throws {
        if !role.bindSecretID, role.secretIDBoundCIDRs.isEmpty, (role.tokenBoundCIDRs ?? []).isEmpty {
            throw LogicalError.goError(.internal, "at least one constraint should be enabled on the role")
        }
    }

    func deleteRole(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try Self.roleName(request)
        let store = AppRoleStore(storage: request.storage)
        try await lock.withLock {
            guard let role = try await store.role(name) else { return }
            var ops: [StorageOperation] = [.delete(Layout.role(name))]
            if let key = try await store.hmacKey(create: false) {
                ops.append(.delete(Layout.roleID(AppRoleStore.hmac(role.roleID, key: key))))
            }
            for mac in try await store.storage.list(prefix: Layout.secretIDPrefix(name)) where !mac.hasSuffix("/") {
                if let entry = try await store.load(SecretIDEntry.self, Layout.secretID(name, mac)) {
                    ops.append(.delete(Layout.accessor(entry.accessor)))
                }
                ops.append(.delete(Layout.secretID(name, mac)))
            }
            try await store.storage.transaction(ops)
        }
        return nil
    }

    // MARK: role-id

    func readRoleID(_ request: PathRequest) async throws -> LogicalResponse? {
        guard let role = try await AppRoleStore(storage: request.storage).role(try Self.roleName(request)) else {
            throw LogicalError.notFound
        }
        return LogicalResponse(data: ["role_id": .string(role.roleID)])
    }

    func updateRoleID(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try Self.roleName(request)
        let rid = try request.fields.string("role_id")
        let store = AppRoleStore(storage: request.storage)
        return try await lock.withLock {
            guard let previous = try await store.role(name) else { throw AppRoleErrors.roleNotFound }
            if rid.isEmpty { throw LogicalError.invalidRequest("missing role_id") }
            var role = previous
            role.roleID = rid
            try await save(role, previous: previous, store: store)
            return nil
        }
    }

    // MARK: per-setting sub-paths

    /// `role/:role_name/bind-secret-id`: OpenBao 2.7.2 validates its field, then answers unsupported path.
    func unsupportedSetting(_ request: PathRequest) async throws -> LogicalResponse? {
        throw AppRoleErrors.roleNotFound
    }

    func readSetting(_ setting: RoleSetting, _ request: PathRequest) async throws -> LogicalResponse? {
        guard let role = try await AppRoleStore(storage: request.storage).role(try Self.roleName(request)) else {
            throw LogicalError.notFound
        }
        return setting.read(role)
    }

    /// A write to a missing role is OpenBao's unsupported path; the fields were validated before. The role must keep
    /// a constraint.
    func writeSetting(_ setting: RoleSetting, _ request: PathRequest) async throws -> LogicalResponse? {
        guard let write = setting.write else { return nil }
        let name = try Self.roleName(request)
        let store = AppRoleStore(storage: request.storage)
        try await lock.withLock {
            guard var role = try await store.role(name) else { throw AppRoleErrors.roleNotFound }
            try write(&role, request.fields)
            try Self.checkConstraints(role)
            try await store.storage.put(Layout.role(name), try AppRoleStore.encode(role))
        }
        return nil
    }

    /// Clearing a setting of a missing role does nothing; one the role's constraints need is refused.
    func clearSetting(_ setting: RoleSetting, _ request: PathRequest) async throws -> LogicalResponse? {
        guard let clear = setting.clear else { return nil }
        let name = try Self.roleName(request)
        let store = AppRoleStore(storage: request.storage)
        try await lock.withLock {
            guard var role = try await store.role(name) else { return }
            clear(&role)
            try Self.checkConstraints(role)
            try await store.storage.put(Layout.role(name), try AppRoleStore.encode(role))
        }
        return nil
    }
}

/// Policy names as OpenBao sanitises the ones a role's `policies` names: trimmed, lowercased, without empty
/// names, deduplicated and sorted.
func sanitizePolicies(_ list: [String]) -> [String] {
    Array(Set(list.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty })).sorted()
}

/// The role-ID index entry: which role a role ID belongs to.
struct RoleIDIndex: Codable, Equatable {
    var name: String
}
