import CofferSDK
import Foundation

/// `role/<name>/secret-id`, `custom-secret-id`, the lookup/destroy paths, and `tidy/secret-id`.
extension AppRoleAuth {
    func generateSecretID(_ request: LogicalRequest, name: String, custom: Bool) async throws -> LogicalResponse? {
        let f = Fields(request.data, validated: true)
        let metadataText = try f.string("metadata")
        let customSecret = custom ? try f.string("secret_id") : nil
        let cidrList = try f.commaList("cidr_list")?.filter { !$0.isEmpty } ?? []
        let tokenCIDRs = try f.commaList("token_bound_cidrs")?.filter { !$0.isEmpty } ?? []
        let requestedUses = try f.int("num_uses") ?? 0
        let requestedTTL = try f.duration("ttl") ?? 0
        if custom, (customSecret ?? "").isEmpty { throw LogicalError.invalidRequest("missing secret_id") }
        let store = AppRoleStore(storage: request.storage)
        return try await lock.withLock {
            guard let role = try await store.role(name) else {
                throw LogicalError(.notFound, AppRoleErrors.roleMissing(name))
            }
            if !role.bindSecretID { throw LogicalError.invalidRequest("bind_secret_id is not set on the role") }
            let metadata = try parseSecretIDMetadata(metadataText ?? "")
            if let bad = firstInvalidCIDR(cidrList) {
                throw AppRoleErrors.multi("failed to validate CIDR blocks: invalid CIDR address: \(bad)")
            }
            if !role.secretIDBoundCIDRs.isEmpty, !cidrList.isEmpty, !cidrBlocks(cidrList, areWithin: role.secretIDBoundCIDRs) {
                throw AppRoleErrors.multi(
                    "failed to verify subset relationship between CIDR blocks on the role \(goQuotedList(role.secretIDBoundCIDRs)) and CIDR blocks on the secret ID \(goQuotedList(cidrList)): %!w(<nil>)"
                )
            }
            if let bad = firstInvalidCIDR(tokenCIDRs) {
                throw AppRoleErrors.multi("failed to validate token CIDR blocks: invalid CIDR address: \(bad)")
            }
            let roleTokenCIDRs = role.tokenBoundCIDRs ?? []
            if !roleTokenCIDRs.isEmpty, !tokenCIDRs.isEmpty, !cidrBlocks(tokenCIDRs, areWithin: roleTokenCIDRs) {
                throw AppRoleErrors.multi(
                    "failed to verify subset relationship between CIDR blocks on the role \(goQuotedList(roleTokenCIDRs)) and CIDR blocks on the secret ID \(goQuotedList(tokenCIDRs)): %!w(<nil>)"
                )
            }
            var uses = requestedUses
            if uses < 0 { throw LogicalError.invalidRequest("num_uses cannot be negative") }
            if role.secretIDNumUses > 0 {
                if uses == 0 {
                    uses = role.secretIDNumUses
                } else if uses > role.secretIDNumUses {
                    throw LogicalError.invalidRequest("num_uses cannot be higher than the role's secret_id_num_uses")
                }
            }
            var ttl = requestedTTL
            if role.secretIDTTL > 0 {
                if ttl == 0 {
                    ttl = role.secretIDTTL
                } else if ttl > role.secretIDTTL {
                    throw LogicalError.invalidRequest("ttl cannot be longer than the role's secret_id_ttl")
                }
            }
            guard let key = try await store.hmacKey(create: true) else { throw LogicalError.internalError("missing HMAC key") }
            let secret = customSecret ?? randomUUID()
            let mac = AppRoleStore.hmac(secret, key: key)
            if try await store.storage.get(Layout.secretID(name, mac)) != nil {
                throw AppRoleErrors.multi("failed to store secret_id: SecretID is already registered")
            }
            var accessor = randomUUID()
            while try await store.storage.get(Layout.accessor(accessor)) != nil { accessor = randomUUID() }
            let now = Date()
            let entry = SecretIDEntry(
                secretIDHMAC: mac, accessor: accessor, numUses: uses, ttl: ttl, cidrList: cidrList,
                tokenBoundCIDRs: tokenCIDRs, metadata: metadata, creationTime: now,
                expirationTime: ttl > 0 ? now.addingTimeInterval(TimeInterval(ttl)) : nil, lastUpdatedTime: now)
            try await store.storage.transaction([
                .put(Layout.secretID(name, mac), try AppRoleStore.encode(entry)),
                .put(Layout.accessor(accessor), try AppRoleStore.encode(AccessorEntry(roleName: name, secretIDHMAC: mac))),
            ])
            return LogicalResponse(data: [
                "secret_id": .string(secret),
                "secret_id_accessor": .string(accessor),
                "secret_id_num_uses": .int(uses),
                "secret_id_ttl": .int(ttl),
            ])
        }
    }

    func listSecretIDAccessors(_ request: LogicalRequest, name: String) async throws -> LogicalResponse? {
        let store = AppRoleStore(storage: request.storage)
        guard try await store.role(name) != nil else { throw LogicalError.invalidRequest(AppRoleErrors.roleMissing(name)) }
        var accessors: [String] = []
        for mac in try await store.storage.list(prefix: Layout.secretIDPrefix(name)) where !mac.hasSuffix("/") {
            if let entry = try await store.load(SecretIDEntry.self, Layout.secretID(name, mac)) { accessors.append(entry.accessor) }
        }
        if accessors.isEmpty { throw LogicalError.notFound }
        return LogicalResponse(data: ["keys": strings(accessors.sorted())])
    }

    /// The role must exist for the lookup and destroy paths (OpenBao reports a missing one as a 500).
    private func requireRole(_ store: AppRoleStore, _ name: String) async throws {
        guard try await store.role(name) != nil else { throw AppRoleErrors.multi(AppRoleErrors.roleMissing(name)) }
    }

    func lookupSecretID(_ request: LogicalRequest, name: String) async throws -> LogicalResponse? {
        let secret = try Fields(request.data, validated: true).string("secret_id") ?? ""
        let store = AppRoleStore(storage: request.storage)
        if secret.isEmpty { throw LogicalError.invalidRequest("missing secret_id") }
        try await requireRole(store, name)
        guard let key = try await store.hmacKey(create: false),
            let found = try await store.secretID(role: name, secret: secret, key: key)
        else { return nil }
        return LogicalResponse(data: found.entry.responseData)
    }

    func destroySecretID(_ request: LogicalRequest, name: String) async throws -> LogicalResponse? {
        let secret = try Fields(request.data, validated: true).string("secret_id") ?? ""
        let store = AppRoleStore(storage: request.storage)
        if secret.isEmpty { throw LogicalError.invalidRequest("missing secret_id") }
        try await requireRole(store, name)
        try await lock.withLock {
            guard let key = try await store.hmacKey(create: false),
                let found = try await store.secretID(role: name, secret: secret, key: key)
            else { return }
            try await store.storage.transaction([
                .delete(Layout.secretID(name, found.hmac)), .delete(Layout.accessor(found.entry.accessor)),
            ])
        }
        return nil
    }

    func lookupAccessor(_ request: LogicalRequest, name: String) async throws -> LogicalResponse? {
        let accessor = try Fields(request.data, validated: true).string("secret_id_accessor") ?? ""
        let store = AppRoleStore(storage: request.storage)
        if accessor.isEmpty { throw LogicalError.invalidRequest("missing secret_id_accessor") }
        try await requireRole(store, name)
        guard let index = try await store.load(AccessorEntry.self, Layout.accessor(accessor)) else {
            return LogicalResponse(
                data: ["error": .string("failed to find accessor entry for secret_id_accessor: \"\(accessor)\"")], httpStatus: 404)
        }
        guard index.roleName == name,
            let entry = try await store.load(SecretIDEntry.self, Layout.secretID(name, index.secretIDHMAC))
        else { return nil }
        return LogicalResponse(data: entry.responseData)
    }

    func destroyAccessor(_ request: LogicalRequest, name: String) async throws -> LogicalResponse? {
        let accessor = try Fields(request.data, validated: true).string("secret_id_accessor") ?? ""
        let store = AppRoleStore(storage: request.storage)
        if accessor.isEmpty { throw LogicalError.invalidRequest("missing secret_id_accessor") }
        try await requireRole(store, name)
        try await lock.withLock {
            guard let index = try await store.load(AccessorEntry.self, Layout.accessor(accessor)) else {
                throw AppRoleErrors.multi("failed to find accessor entry for secret_id_accessor: \"\(accessor)\"")
            }
            guard index.roleName == name else { return }
            try await store.storage.transaction([
                .delete(Layout.secretID(name, index.secretIDHMAC)), .delete(Layout.accessor(accessor)),
            ])
        }
        return nil
    }

    /// Removes expired secret IDs, entries of deleted roles, and dangling accessors. OpenBao runs this in the
    /// background and answers 202 at once; here it completes before the same answer.
    func tidySecretIDs(_ request: LogicalRequest) async throws -> LogicalResponse? {
        let store = AppRoleStore(storage: request.storage)
        try await lock.withLock {
            let now = Date()
            var ops: [StorageOperation] = []
            var liveAccessors = Set<String>()
            for folder in try await store.storage.list(prefix: "secret_id/") where folder.hasSuffix("/") {
                let roleName = String(folder.dropLast())
                let roleExists = try await store.role(roleName) != nil
                for mac in try await store.storage.list(prefix: Layout.secretIDPrefix(roleName)) where !mac.hasSuffix("/") {
                    let key = Layout.secretID(roleName, mac)
                    guard let entry = try? await store.load(SecretIDEntry.self, key) else {
                        ops.append(.delete(key))
                        continue
                    }
                    if !roleExists || entry.isExpired(at: now) {
                        ops.append(.delete(key))
                        ops.append(.delete(Layout.accessor(entry.accessor)))
                    } else {
                        liveAccessors.insert(entry.accessor)
                    }
                }
            }
            for accessor in try await store.storage.list(prefix: "accessor/") where !accessor.hasSuffix("/") {
                if !liveAccessors.contains(accessor) { ops.append(.delete(Layout.accessor(accessor))) }
            }
            if !ops.isEmpty { try await store.storage.transaction(ops) }
        }
        return LogicalResponse(
            warnings: [
                "Tidy operation successfully started. Any information from the operation will be printed to OpenBao's server logs."
            ],
            httpStatus: 202)
    }
}
