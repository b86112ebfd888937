import CofferSDK
import Foundation

/// The token settings shared with other auth methods (`token_*` fields), parsed and checked as OpenBao does.
struct TokenFields {
    var boundCIDRs: [String]?
    var explicitMaxTTL: Int64?
    var maxTTL: Int64?
    var noDefaultPolicy: Bool?
    var numUses: Int64?
    var period: Int64?
    var policies: [String]?
    var type: String?
    var ttl: Int64?
    var strictlyBindIP: Bool?
    var warnings: [String] = []

    init(_ f: Fields) throws {
        if let list = try f.commaList("token_bound_cidrs") { boundCIDRs = try parseTokenBoundCIDRs(list) }
        explicitMaxTTL = try f.duration("token_explicit_max_ttl")
        maxTTL = try f.duration("token_max_ttl")
        noDefaultPolicy = try f.bool("token_no_default_policy")
        numUses = try f.int("token_num_uses")
        if let n = numUses, n < 0 { throw LogicalError.invalidRequest("'token_num_uses' cannot be negative") }
        period = try f.duration("token_period")
        policies = try f.commaList("token_policies")
        if let raw = try f.string("token_type") {
            switch raw {
            case "", "default": type = "default"
            case "service": type = "service"
            case "batch": type = "batch"
            case "default-service":
                type = "service"
                warnings.append("default-service has no useful meaning; adjusting to service")
            case "default-batch":
                type = "batch"
                warnings.append("default-batch has no useful meaning; adjusting to batch")
            default: throw LogicalError.invalidRequest("invalid 'token_type' value \"\(raw)\"")
            }
        }
        ttl = try f.duration("token_ttl")
        strictlyBindIP = try f.bool("token_strictly_bind_ip")
    }

    func apply(to role: inout RoleEntry) throws {
        if let boundCIDRs { role.tokenBoundCIDRs = boundCIDRs }
        if let explicitMaxTTL { role.tokenExplicitMaxTTL = explicitMaxTTL }
        if let maxTTL { role.tokenMaxTTL = maxTTL }
        if let noDefaultPolicy { role.tokenNoDefaultPolicy = noDefaultPolicy }
        if let numUses { role.tokenNumUses = numUses }
        if let period { role.tokenPeriod = period }
        if let policies { role.tokenPolicies = policies }
        if let type { role.tokenType = type }
        if let ttl { role.tokenTTL = ttl }
        if let strictlyBindIP { role.tokenStrictlyBindIP = strictlyBindIP }
        if role.tokenType == "batch", role.tokenPeriod > 0 {
            throw LogicalError.invalidRequest(
                "'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens")
        }
        if role.tokenMaxTTL > 0, role.tokenTTL > role.tokenMaxTTL {
            throw LogicalError.invalidRequest("'token_ttl' cannot be greater than 'token_max_ttl'")
        }
    }
}

/// `role`, `role/<name>` and the per-field sub-paths.
extension AppRoleAuth {
    func listRoles(_ request: LogicalRequest) async throws -> LogicalResponse? {
        let names = try await AppRoleStore(storage: request.storage).roleNames()
        if names.isEmpty { throw LogicalError.notFound }
        return LogicalResponse(data: ["keys": strings(names)])
    }

    func readRole(_ request: LogicalRequest, name: String) async throws -> LogicalResponse? {
        guard let role = try await AppRoleStore(storage: request.storage).role(name) else { throw LogicalError.notFound }
        return LogicalResponse(data: role.responseData)
    }

    func writeRole(_ request: LogicalRequest, name: String) async throws -> LogicalResponse? {
        let f = Fields(request.data)
        let store = AppRoleStore(storage: request.storage)
        return try await lock.withLock {
            let existing = try await store.role(name)
            var role = existing ?? RoleEntry(name: name, roleID: "")
            if let rid = try f.string("role_id") {
                role.roleID = rid
            } else if existing == nil {
                role.roleID = randomUUID()
            }
            if role.roleID.isEmpty {
                throw LogicalError.invalidRequest("invalid role_id supplied, or failed to generate a role_id")
            }
            if let local = try f.bool("local_secret_ids") {
                guard existing == nil else {
                    throw LogicalError.invalidRequest("local_secret_ids can only be modified during role creation")
                }
                role.localSecretIDs = local
            }
            let token = try TokenFields(f)
            if let bind = try f.bool("bind_secret_id") { role.bindSecretID = bind }
            let cidrs = try f.commaList("secret_id_bound_cidrs") ?? f.commaList("bound_cidr_list")
            if let cidrs {
                let cleaned = cidrs.filter { !$0.isEmpty }
                if let bad = firstInvalidCIDR(cleaned) {
                    throw AppRoleErrors.multi("failed to validate CIDR blocks: invalid CIDR address: \(bad)")
                }
                role.secretIDBoundCIDRs = cleaned
            }
            if let uses = try f.int("secret_id_num_uses") {
                if uses < 0 { throw LogicalError.invalidRequest("secret_id_num_uses cannot be negative") }
                role.secretIDNumUses = uses
            }
            if let ttl = try f.duration("secret_id_ttl") { role.secretIDTTL = ttl }
            // Legacy fields: a given legacy value wins over a missing new one; a stale one is dropped.
            let legacyPolicies = try f.policies("policies")
            let legacyPeriod = try f.duration("period")
            var tokenFields = token
            if let legacyPolicies, tokenFields.policies == nil { tokenFields.policies = legacyPolicies }
            if let legacyPeriod, tokenFields.period == nil { tokenFields.period = legacyPeriod }
            try tokenFields.apply(to: &role)
            if let legacyPolicies { role.policies = legacyPolicies } else if role.policies != role.tokenPolicies { role.policies = [] }
            if let legacyPeriod { role.period = legacyPeriod } else if role.period != role.tokenPeriod { role.period = 0 }
            try await save(role, previous: existing, store: store)
            if token.warnings.isEmpty { return nil }
            return LogicalResponse(warnings: token.warnings)
        }
    }

    /// Stores a role after OpenBao's checks: some constraint must be enabled, the role ID must be unused.
    func save(_ role: RoleEntry, previous: RoleEntry?, store: AppRoleStore) async throws {
        if !role.bindSecretID, role.secretIDBoundCIDRs.isEmpty, (role.tokenBoundCIDRs ?? []).isEmpty {
            throw AppRoleErrors.multi("at least one constraint should be enabled on the role")
        }
        guard let key = try await store.hmacKey(create: true) else { return }
        let newIndex = Layout.roleID(AppRoleStore.hmac(role.roleID, key: key))
        var ops: [StorageOperation] = []
        if previous?.roleID != role.roleID {
            if let holder = try await store.load(RoleIDIndex.self, newIndex), holder.name != role.name,
                try await store.role(holder.name) != nil
            {
                throw AppRoleErrors.multi("role_id already in use")
            }
            if let previous {
                ops.append(.delete(Layout.roleID(AppRoleStore.hmac(previous.roleID, key: key))))
            }
            ops.append(.put(newIndex, try AppRoleStore.encode(RoleIDIndex(name: role.name))))
        }
        ops.append(.put(Layout.role(role.name), try AppRoleStore.encode(role)))
        try await store.storage.transaction(ops)
    }

    func deleteRole(_ request: LogicalRequest, name: String) async throws -> LogicalResponse? {
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

    func readRoleID(_ request: LogicalRequest, name: String) async throws -> LogicalResponse? {
        guard let role = try await AppRoleStore(storage: request.storage).role(name) else { throw LogicalError.notFound }
        return LogicalResponse(data: ["role_id": .string(role.roleID)])
    }

    func updateRoleID(_ request: LogicalRequest, name: String) async throws -> LogicalResponse? {
        let f = Fields(request.data, validated: true)
        let rid = try f.string("role_id")
        let store = AppRoleStore(storage: request.storage)
        return try await lock.withLock {
            guard let previous = try await store.role(name) else { throw AppRoleErrors.unsupportedPath }
            guard let rid, !rid.isEmpty else { throw LogicalError.invalidRequest("missing role_id") }
            var role = previous
            role.roleID = rid
            try await save(role, previous: previous, store: store)
            return nil
        }
    }

    // MARK: per-field sub-paths

    func readRoleField(_ request: LogicalRequest, name: String, field: String) async throws -> LogicalResponse? {
        guard let role = try await AppRoleStore(storage: request.storage).role(name) else { throw LogicalError.notFound }
        let data: [String: JSONValue]
        switch field {
        case "policies":
            var d: [String: JSONValue] = ["token_policies": strings(role.tokenPolicies)]
            if !role.policies.isEmpty { d["policies"] = strings(role.tokenPolicies) }
            data = d
        case "token-ttl": data = ["token_ttl": .int(role.tokenTTL)]
        case "token-max-ttl": data = ["token_max_ttl": .int(role.tokenMaxTTL)]
        case "token-num-uses": data = ["token_num_uses": .int(role.tokenNumUses)]
        case "secret-id-num-uses": data = ["secret_id_num_uses": .int(role.secretIDNumUses)]
        case "secret-id-ttl": data = ["secret_id_ttl": .int(role.secretIDTTL)]
        case "secret-id-bound-cidrs":
            data = ["secret_id_bound_cidrs": role.secretIDBoundCIDRs.isEmpty ? .null : strings(role.secretIDBoundCIDRs)]
        case "bound-cidr-list": data = ["bound_cidr_list": .null]
        case "token-bound-cidrs": data = ["token_bound_cidrs": role.tokenBoundCIDRs.map(strings) ?? .null]
        case "period":
            var d: [String: JSONValue] = ["token_period": .int(role.tokenPeriod)]
            if role.period > 0 { d["period"] = .int(role.tokenPeriod) }
            data = d
        case "local-secret-ids": data = ["local_secret_ids": .bool(role.localSecretIDs)]
        default: throw AppRoleErrors.unsupportedPath
        }
        return LogicalResponse(data: data)
    }

    func updateRoleField(_ request: LogicalRequest, name: String, field: String) async throws -> LogicalResponse? {
        let f = Fields(request.data, validated: true)
        // Typed values are validated before the role is looked up, as OpenBao's framework does.
        var durationValue: Int64?
        var intValue: Int64?
        switch field {
        case "token-ttl": durationValue = try f.duration("token_ttl")
        case "token-max-ttl": durationValue = try f.duration("token_max_ttl")
        case "secret-id-ttl": durationValue = try f.duration("secret_id_ttl")
        case "period": durationValue = try f.duration("period") ?? f.duration("token_period")
        case "token-num-uses": intValue = try f.int("token_num_uses")
        case "secret-id-num-uses": intValue = try f.int("secret_id_num_uses")
        default: break
        }
        let store = AppRoleStore(storage: request.storage)
        return try await lock.withLock {
            guard var role = try await store.role(name) else { throw AppRoleErrors.unsupportedPath }
            let plain = Fields(request.data)
            switch field {
            case "policies":
                if let legacy = try plain.policies("policies") {
                    role.policies = legacy
                    role.tokenPolicies = legacy
                } else if let p = try plain.policies("token_policies") {
                    role.tokenPolicies = p
                } else {
                    throw LogicalError.invalidRequest("missing token_policies")
                }
                if role.policies != role.tokenPolicies { role.policies = [] }
            case "token-ttl":
                guard let v = durationValue else { throw LogicalError.invalidRequest("missing token_ttl") }
                if role.tokenMaxTTL > 0, v > role.tokenMaxTTL {
                    throw LogicalError.invalidRequest("token_ttl should not be greater than token_max_ttl")
                }
                role.tokenTTL = v
            case "token-max-ttl":
                guard let v = durationValue else { throw LogicalError.invalidRequest("missing token_max_ttl") }
                if v > 0, role.tokenTTL > v {
                    throw LogicalError.invalidRequest("token_max_ttl should be greater than or equal to token_ttl")
                }
                role.tokenMaxTTL = v
            case "secret-id-ttl":
                guard let v = durationValue else { throw LogicalError.invalidRequest("missing secret_id_ttl") }
                role.secretIDTTL = v
            case "period":
                guard let v = durationValue else { throw LogicalError.invalidRequest("missing period") }
                if plain.has("period") { role.period = v }
                role.tokenPeriod = v
                if role.period != role.tokenPeriod { role.period = 0 }
            case "token-num-uses":
                guard let v = intValue else { throw LogicalError.invalidRequest("missing token_num_uses") }
                role.tokenNumUses = v
            case "secret-id-num-uses":
                guard let v = intValue else { throw LogicalError.invalidRequest("missing secret_id_num_uses") }
                if v < 0 { throw LogicalError.invalidRequest("secret_id_num_uses cannot be negative") }
                role.secretIDNumUses = v
            case "token-bound-cidrs":
                do {
                    role.tokenBoundCIDRs = try parseTokenBoundCIDRs(try plain.commaList("token_bound_cidrs") ?? [])
                } catch let e as LogicalError {
                    throw LogicalError.invalidRequest("failed to parse token_bound_cidrs: " + e.description)
                }
            case "secret-id-bound-cidrs", "bound-cidr-list":
                let primary = field == "secret-id-bound-cidrs" ? "secret_id_bound_cidrs" : "bound_cidr_list"
                let other = field == "secret-id-bound-cidrs" ? "bound_cidr_list" : "secret_id_bound_cidrs"
                guard let raw = try plain.commaList(primary) ?? plain.commaList(other) else { return nil }
                let cidrs = raw.filter { !$0.isEmpty }
                if cidrs.isEmpty { throw LogicalError.invalidRequest("missing bound_cidr_list") }
                if let bad = firstInvalidCIDR(cidrs) {
                    throw LogicalError.invalidRequest("failed to validate CIDR blocks: invalid CIDR address: \(bad)")
                }
                role.secretIDBoundCIDRs = cidrs
            default: throw AppRoleErrors.unsupportedPath
            }
            try await store.storage.put(Layout.role(name), try AppRoleStore.encode(role))
            return nil
        }
    }

    func deleteRoleField(_ request: LogicalRequest, name: String, field: String) async throws -> LogicalResponse? {
        let store = AppRoleStore(storage: request.storage)
        try await lock.withLock {
            guard var role = try await store.role(name) else { return }
            switch field {
            case "policies":
                role.tokenPolicies = []
                role.policies = []
            case "token-ttl": role.tokenTTL = 0
            case "token-max-ttl": role.tokenMaxTTL = 0
            case "secret-id-ttl": role.secretIDTTL = 0
            case "period":
                role.tokenPeriod = 0
                role.period = 0
            case "token-num-uses": role.tokenNumUses = 0
            case "secret-id-num-uses": role.secretIDNumUses = 0
            case "token-bound-cidrs": role.tokenBoundCIDRs = nil
            case "secret-id-bound-cidrs", "bound-cidr-list": role.secretIDBoundCIDRs = []
            default: throw AppRoleErrors.unsupportedPath
            }
            try await store.storage.put(Layout.role(name), try AppRoleStore.encode(role))
        }
        return nil
    }
}

/// The role-ID index entry: which role a role ID belongs to.
struct RoleIDIndex: Codable, Equatable {
    var name: String
}
