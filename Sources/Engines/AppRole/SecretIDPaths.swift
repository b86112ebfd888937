import CofferSDK
import Foundation

/// `role/<name>/secret-id`, `custom-secret-id`, the lookup/destroy paths, and `tidy/secret-id`.
extension AppRoleAuth {
    /// Issues a secret ID (`secret-id`) or registers the one given (`custom-secret-id`), with OpenBao's checks in
    /// its order: the role, its `bind_secret_id`, the CIDR blocks and their subsets of the role's, the use count and
    /// TTL within the role's, then the metadata.
    func generateSecretID(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try Self.roleName(request)
        let f = request.fields
        let custom = request.pattern.hasSuffix("custom-secret-id")
        let customSecret = custom ? try f.string("secret_id") : nil
        if custom, (customSecret ?? "").isEmpty { throw LogicalError.invalidRequest("missing secret_id") }
        let cidrList = try f.strings("cidr_list")
        let tokenCIDRs = try f.strings("token_bound_cidrs")
        let requestedUses = try f.intIfSet("num_uses")
        let requestedTTL = try f.durationIfSet("ttl")
        let metadataText = try f.string("metadata")
        let store = AppRoleStore(storage: request.storage)
        return try await lock.withLock {
            guard let role = try await store.role(name) else {
                throw LogicalError(.notFound, AppRoleErrors.roleMissing(name))
            }
            if !role.bindSecretID { throw LogicalError.invalidRequest("bind_secret_id is not set on the role") }
            try Self.checkSubset(cidrList, of: role.secretIDBoundCIDRs, what: "CIDR blocks")
            // The role's token blocks are kept as addresses where they name one host; the message shows them as blocks.
            let roleTokenBlocks = (role.tokenBoundCIDRs ?? []).map { b in b.contains("/") ? b : b + (b.contains(":") ? "/128" : "/32") }
            try Self.checkSubset(tokenCIDRs, of: roleTokenBlocks, what: "token CIDR blocks")
            // An explicit use count or TTL (0 included) may not exceed the role's; without one, the role's applies.
            var uses = role.secretIDNumUses
            if let requestedUses {
                if requestedUses < 0 { throw LogicalError.invalidRequest("num_uses cannot be negative") }
                if role.secretIDNumUses > 0, requestedUses == 0 || requestedUses > role.secretIDNumUses {
                    throw LogicalError.invalidRequest("num_uses cannot be higher than the role's secret_id_num_uses")
                }
                uses = requestedUses
            }
            var ttl = role.secretIDTTL
            if let requestedTTL {
                if role.secretIDTTL > 0, requestedTTL == 0 || requestedTTL > role.secretIDTTL {
                    throw LogicalError.invalidRequest("ttl cannot be longer than the role's secret_id_ttl")
                }
                ttl = requestedTTL
            }
            let metadata = try parseSecretIDMetadata(metadataText)
            guard let key = try await store.hmacKey(create: true) else { throw LogicalError.internalError("missing HMAC key") }
            let secret = customSecret ?? RandomID.uuid()
            let mac = AppRoleStore.hmac(secret, key: key)
            if try await store.storage.get(Layout.secretID(name, mac)) != nil {
                throw LogicalError.goError(.internal, "failed to store secret_id: SecretID is already registered")
            }
            var accessor = RandomID.uuid()
            while try await store.storage.get(Layout.accessor(accessor)) != nil { accessor = RandomID.uuid() }
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

    /// A secret ID's blocks must be CIDR blocks, each inside one of the role's (when the role has some).
    static func checkSubset(_ blocks: [String], of roleBlocks: [String], what: String) throws {
        guard !blocks.isEmpty else { return }
        if let bad = CIDRChecks.firstInvalid(blocks) {
            throw LogicalError.goError(.internal, "failed to validate \(what): invalid CIDR address: \(bad)")
        }
        if !roleBlocks.isEmpty, !CIDRChecks.blocks(blocks, areWithin: roleBlocks) {
            throw LogicalError.goError(
                .internal,
                "failed to verify subset relationship between CIDR blocks on the role \(goQuotedList(roleBlocks)) and CIDR blocks on the secret ID \(goQuotedList(blocks)): %!w(<nil>)")
        }
    }

    /// The accessors of a role's secret IDs, sorted; `after` and `limit` page through them.
    func listSecretIDAccessors(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try Self.roleName(request)
        let after = try request.fields.string("after")
        let limit = try request.fields.int("limit")
        let store = AppRoleStore(storage: request.storage)
        guard try await store.role(name) != nil else { throw LogicalError.invalidRequest(AppRoleErrors.roleMissing(name)) }
        var accessors: [String] = []
        for mac in try await store.storage.list(prefix: Layout.secretIDPrefix(name)) where !mac.hasSuffix("/") {
            if let entry = try await store.load(SecretIDEntry.self, Layout.secretID(name, mac)) { accessors.append(entry.accessor) }
        }
        var keys = accessors.sorted().filter { after.isEmpty || $0 > after }
        if limit > 0 { keys = Array(keys.prefix(Int(clamping: limit))) }
        if keys.isEmpty { throw LogicalError.notFound }
        return LogicalResponse(data: ["keys": strings(keys)])
    }

    /// What the lookup and destroy paths start from: the role name, the non-empty `field` they need (`missing …`
    /// when empty) and the store, the role checked to exist (OpenBao: a Go error, 500).
    private func existingRole(
        _ request: PathRequest, requiring field: String
    ) async throws -> (name: String, value: String, store: AppRoleStore) {
        let name = try Self.roleName(request)
        let value = try request.fields.string(field)
        if value.isEmpty { throw LogicalError.invalidRequest("missing \(field)") }
        let store = AppRoleStore(storage: request.storage)
        guard try await store.role(name) != nil else { throw LogicalError.goError(.internal, AppRoleErrors.roleMissing(name)) }
        return (name, value, store)
    }

    func lookupSecretID(_ request: PathRequest) async throws -> LogicalResponse? {
        let (name, secret, store) = try await existingRole(request, requiring: "secret_id")
        guard let key = try await store.hmacKey(create: false),
            let found = try await store.secretID(role: name, secret: secret, key: key)
        else { return nil }
        return LogicalResponse(data: found.entry.responseData)
    }

    func destroySecretID(_ request: PathRequest) async throws -> LogicalResponse? {
        let (name, secret, store) = try await existingRole(request, requiring: "secret_id")
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

    func lookupAccessor(_ request: PathRequest) async throws -> LogicalResponse? {
        let (name, accessor, store) = try await existingRole(request, requiring: "secret_id_accessor")
        guard let index = try await store.load(AccessorEntry.self, Layout.accessor(accessor)) else {
            return LogicalResponse(
                data: ["error": .string("failed to find accessor entry for secret_id_accessor: \"\(accessor)\"")], httpStatus: 404)
        }
        guard index.roleName == name,
            let entry = try await store.load(SecretIDEntry.self, Layout.secretID(name, index.secretIDHMAC))
        else { return nil }
        return LogicalResponse(data: entry.responseData)
    }

    /// An accessor of another role's secret ID is refused (403), as OpenBao finds no secret ID under this role.
    func destroyAccessor(_ request: PathRequest) async throws -> LogicalResponse? {
        let (name, accessor, store) = try await existingRole(request, requiring: "secret_id_accessor")
        try await lock.withLock {
            guard let index = try await store.load(AccessorEntry.self, Layout.accessor(accessor)) else {
                throw LogicalError.goError(.internal, "failed to find accessor entry for secret_id_accessor: \"\(accessor)\"")
            }
            guard index.roleName == name else { throw LogicalError(.permissionDenied, "invalid secret id accessor") }
            try await store.storage.transaction([
                .delete(Layout.secretID(name, index.secretIDHMAC)), .delete(Layout.accessor(accessor)),
            ])
        }
        return nil
    }

    /// Removes expired secret IDs, entries of deleted roles, and dangling accessors. OpenBao runs this in the
    /// background and answers 202 at once; here it completes before the same answer.
    func tidySecretIDs(_ request: PathRequest) async throws -> LogicalResponse? {
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

/// Secret-ID metadata: a JSON object of strings, or `k=v,k2=v2`.
func parseSecretIDMetadata(_ text: String) throws -> [String: String] {
    let failure = LogicalError.invalidRequest("failed to parse metadata: failed to parse the input: invalid <key,value> format")
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if trimmed.isEmpty { return [:] }
    if let parsed = try? JSONValue.parse(trimmed) {
        guard case .object(let o) = parsed else { throw failure }
        var out: [String: String] = [:]
        for (k, v) in o {
            guard case .string(let s) = v else { throw failure }
            out[k] = s
        }
        return out
    }
    var out: [String: String] = [:]
    for pair in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw failure }
        let key = parts[0].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty else { throw failure }
        out[key] = parts[1].trimmingCharacters(in: .whitespaces)
    }
    return out
}
