import CofferSDK
import Foundation

/// `login`: role ID plus (when the role binds one) a secret ID, and renewal of the tokens it issues.
extension AppRoleAuth {
    func login(_ request: LogicalRequest) async throws -> LogicalResponse? {
        let f = Fields(request.data, validated: true)
        let roleID = try f.string("role_id") ?? ""
        let secret = try f.string("secret_id") ?? ""
        if roleID.isEmpty { throw LogicalError.internalError("missing role_id") }
        let store = AppRoleStore(storage: request.storage, records: records)
        // A login that changes nothing (no secret ID, or one with unlimited uses) reads without the mount lock, so
        // logins do not queue behind each other; one that consumes a use or removes an expired secret ID runs
        // again under the lock, where the read and the write are atomic.
        if let response = try await login(request, roleID: roleID, secret: secret, store: store, mayWrite: false) {
            return response
        }
        return try await lock.withLock {
            try await login(request, roleID: roleID, secret: secret, store: store, mayWrite: true)
        }
    }

    /// One login attempt. Without `mayWrite`, returns `nil` where it would have to write.
    private func login(
        _ request: LogicalRequest, roleID: String, secret: String, store: AppRoleStore, mayWrite: Bool
    ) async throws -> LogicalResponse? {
        guard let key = try await store.hmacKey(create: false),
            let index = try await store.load(RoleIDIndex.self, Layout.roleID(AppRoleStore.hmac(roleID, key: key))),
            let role = try await store.role(index.name),
            constantTimeEqual(Array(role.roleID.utf8), Array(roleID.utf8))
        else { throw AppRoleErrors.invalidCredentials }

        var metadata: [String: String] = [:]
        var secretAccessor: String?
        var tokenBoundCIDRs = role.tokenBoundCIDRs ?? []
        var pending: [StorageOperation] = []
        if role.bindSecretID {
            if secret.isEmpty { throw LogicalError.invalidRequest("missing secret_id") }
            guard let found = try await store.secretID(role: role.name, secret: secret, key: key) else {
                throw AppRoleErrors.invalidCredentials
            }
            var entry = found.entry
            let entryKey = Layout.secretID(role.name, found.hmac)
            let now = Date()
            if entry.isExpired(at: now) {
                guard mayWrite else { return nil }
                try await store.storage.transaction([.delete(entryKey), .delete(Layout.accessor(entry.accessor))])
                throw AppRoleErrors.invalidCredentials
            }
            if !entry.cidrList.isEmpty, !remoteAddress(request.remoteAddress, isIn: entry.cidrList) {
                throw LogicalError.invalidRequest(
                    "source address \"\(request.remoteAddress ?? "")\" unauthorized through CIDR restrictions on the secret ID")
            }
            if entry.numUses == 1 {
                pending = [.delete(entryKey), .delete(Layout.accessor(entry.accessor))]
            } else if entry.numUses > 1 {
                entry.numUses -= 1
                entry.lastUpdatedTime = now
                pending = [.put(entryKey, try AppRoleStore.encode(entry))]
            }
            metadata = entry.metadata
            secretAccessor = entry.accessor
            if !entry.tokenBoundCIDRs.isEmpty { tokenBoundCIDRs = entry.tokenBoundCIDRs }
        }
        if !role.secretIDBoundCIDRs.isEmpty, !remoteAddress(request.remoteAddress, isIn: role.secretIDBoundCIDRs) {
            throw LogicalError.invalidRequest(
                "source address \"\(request.remoteAddress ?? "")\" unauthorized by CIDR restrictions on the role: %!w(<nil>)")
        }
        // The use is consumed only once every check has passed, atomically with the entry update.
        if !pending.isEmpty && !mayWrite { return nil }
        if !pending.isEmpty { try await store.storage.transaction(pending) }

        metadata["role_name"] = role.name
        var internalData = ["role_name": role.name]
        if let secretAccessor { internalData["secret_id_accessor"] = secretAccessor }
        return LogicalResponse(
            auth: AuthInfo(
                policies: role.tokenPolicies,
                metadata: metadata,
                displayName: "",
                ttl: role.tokenTTL,
                maxTTL: Self.effectiveMaxTTL(role),
                period: role.tokenPeriod,
                numUses: Int(role.tokenNumUses),
                renewable: true,
                alias: AuthAlias(name: role.roleID, metadata: metadata),
                boundCIDRs: tokenBoundCIDRs,
                noDefaultPolicy: role.tokenNoDefaultPolicy,
                tokenType: role.tokenType,
                internalData: internalData))
    }

    /// The tighter of `token_max_ttl` and `token_explicit_max_ttl` (0 = unset).
    static func effectiveMaxTTL(_ role: RoleEntry) -> Int64 {
        switch (role.tokenMaxTTL, role.tokenExplicitMaxTTL) {
        case (0, let e): return e
        case (let m, 0): return m
        case (let m, let e): return min(m, e)
        }
    }

    func renew(_ request: LogicalRequest) async throws -> LogicalResponse? {
        guard var auth = request.auth, let name = auth.internalData["role_name"], !name.isEmpty else {
            throw LogicalError.internalError("failed to fetch role_name during renewal")
        }
        guard let role = try await AppRoleStore(storage: request.storage).role(name) else {
            throw LogicalError.internalError("role \"\(name)\" does not exist during renewal")
        }
        auth.ttl = role.tokenTTL
        auth.maxTTL = Self.effectiveMaxTTL(role)
        auth.period = role.tokenPeriod
        return LogicalResponse(auth: auth)
    }
}
