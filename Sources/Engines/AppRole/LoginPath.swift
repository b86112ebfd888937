import CofferSDK
import Foundation

/// `login`: role ID plus (when the role binds one) a secret ID, and renewal of the tokens it issues.
extension AppRoleAuth {
    func login(_ request: PathRequest) async throws -> LogicalResponse? {
        let roleID = try request.fields.string("role_id")
        if roleID.isEmpty { throw AppRoleErrors.missingRoleID }
        let secret = try request.fields.string("secret_id")
        let request = request.logical
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
            // The index names the role; the role must still hold this role ID (compared in constant time).
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
            // The secret ID's blocks must still lie within the role's, which may have changed since it was issued.
            try Self.checkSubset(entry.cidrList, of: role.secretIDBoundCIDRs, what: "CIDR blocks")
            if !entry.cidrList.isEmpty, !CIDRChecks.address(request.remoteAddress, isIn: entry.cidrList) {
                // OpenBao words this differently for secret IDs with and without a use limit.
                let source = "source address \"\(request.remoteAddress ?? "")\" unauthorized"
                throw LogicalError.invalidRequest(
                    entry.numUses == 0
                        ? source + " through CIDR restrictions on the secret ID"
                        : source + " by CIDR restrictions on the secret ID: %!w(<nil>)")
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
        if !role.secretIDBoundCIDRs.isEmpty, !CIDRChecks.address(request.remoteAddress, isIn: role.secretIDBoundCIDRs) {
            throw LogicalError.invalidRequest(
                "source address \"\(request.remoteAddress ?? "")\" unauthorized by CIDR restrictions on the role: %!w(<nil>)")
        }
        // The use is consumed only once every check has passed, atomically with the entry update.
        if !pending.isEmpty && !mayWrite { return nil }
        if !pending.isEmpty { try await store.storage.transaction(pending) }

        metadata["role_name"] = role.name
        var internalData = ["role_name": role.name]
        if let secretAccessor { internalData["secret_id_accessor"] = secretAccessor }
        var auth = AuthInfo(
            metadata: metadata, renewable: true, alias: AuthAlias(name: role.roleID, metadata: metadata), internalData: internalData)
        role.token.apply(to: &auth)
        auth.boundCIDRs = tokenBoundCIDRs
        return LogicalResponse(auth: auth)
    }

    /// Any other operation on the login path: OpenBao looks the role ID up before it routes the operation, so
    /// without one the answer is the login's "missing role_id" (500), and with one the operation is refused.
    func loginLookahead(_ request: PathRequest) async throws -> LogicalResponse? {
        if try request.fields.string("role_id").isEmpty { throw AppRoleErrors.missingRoleID }
        throw LogicalError.unsupportedOperation
    }

    /// Renews a token from `login` with the role's current TTLs; the role must still exist.
    func renew(_ request: PathRequest) async throws -> LogicalResponse? {
        guard let auth = request.logical.auth, let name = auth.internalData["role_name"], !name.isEmpty else {
            throw LogicalError.internalError("failed to fetch role_name during renewal")
        }
        guard let role = try await AppRoleStore(storage: request.storage).role(name) else {
            throw LogicalError.internalError("role \"\(name)\" does not exist during renewal")
        }
        return role.token.renewal(of: auth)
    }
}
