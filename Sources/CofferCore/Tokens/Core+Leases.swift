import CofferSDK
import Foundation

/// `sys/leases/*` (and the legacy `sys/renew`, `sys/revoke*`), over both kinds of lease: engine secrets (a
/// database user; ``LeaseStore``) and tokens. Every token with a TTL is a lease whose ID is its creation path
/// followed by its salted ID (`auth/userpass/login/alice/<hash>`), as in Vault.
extension Core {
    func leaseID(_ e: TokenEntry) -> String { e.path + "/" + e.idHash }

    /// The token behind a lease ID, if it still exists and has a TTL.
    func tokenForLease(_ leaseID: String) async throws -> TokenEntry? {
        guard let slash = leaseID.lastIndex(of: "/") else { return nil }
        let hash = String(leaseID[leaseID.index(after: slash)...])
        guard hash.count == 64, hash.allSatisfy(\.isHexDigit), let e = try await tokens.lookup(hash: hash),
            self.leaseID(e) == leaseID, e.expireTime != nil, !e.isExpired(now: now())
        else { return nil }
        return e
    }

    /// One lease action (routed by ``SystemBackend``); `rest` is the lease id or prefix given in the path.
    func handleLeases(
        _ op: Operation, action: String, rest: String, data: [String: JSONValue], tls: TLSConnectionState? = nil
    ) async throws -> CoreResponse {
        func leaseIDParam() throws -> String {
            if let l = data["lease_id"]?.stringValue, !l.isEmpty { return l }
            if !rest.isEmpty { return rest }
            throw LogicalError.invalidRequest("lease_id must be specified")
        }
        // `sync` (default true): false answers 202 at once and leaves the revocation to the sweeper.
        let sync = data["sync"]?.boolValue ?? true
        switch action {
        case "lookup":
            if op == .list {
                let prefix = rest.isEmpty ? "" : (rest.hasSuffix("/") ? rest : rest + "/")
                var ids: [String] = []
                let pathPrefix = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
                for h in try await tokens.hashes(withPathPrefix: pathPrefix) {
                    if let e = try await tokens.lookup(hash: h), e.expireTime != nil, !e.isExpired(now: now()) {
                        let id = leaseID(e)
                        if id.hasPrefix(prefix) { ids.append(id) }
                    }
                }
                var keys = immediateChildren(of: prefix, in: ids)
                let engineKeys = try await leases.children(of: prefix)
                if !engineKeys.isEmpty { keys = Array(Set(keys).union(engineKeys)).sorted() }
                if keys.isEmpty { throw LogicalError.notFound }
                return CoreResponse(data: ["keys": .array(keys.map { .string($0) })])
            }
            guard op == .update || op == .create else { throw LogicalError.noOperation }
            let id = try leaseIDParam()
            if let found = try await lookupLease(id) { return found }
            guard let e = try await tokenForLease(id) else { throw LogicalError.invalidRequest("invalid lease") }
            let ttl = e.expireTime.map { max(0, Int64($0.timeIntervalSince(now()).rounded(.down))) } ?? 0
            return CoreResponse(data: [
                "id": .string(id), "issue_time": .string(formatVaultTime(e.creationTime)),
                "expire_time": e.expireTime.map { .string(formatVaultTime($0)) } ?? .null, "last_renewal": .null,
                "renewable": .bool(e.renewable), "ttl": .int(ttl), "path": .string(e.path),
            ])
        case "renew":
            guard op == .update || op == .create else { throw LogicalError.noOperation }
            let id = try leaseIDParam()
            let increment = try data["increment"].map { try parseTTL($0, field: "increment") } ?? 0
            if try await leases.get(id) != nil {
                return try await renewLease(id, increment: increment, incrementText: data["increment"]?.stringValue)
            }
            guard let e = try await tokenForLease(id) else { throw LogicalError.invalidRequest("lease not found") }
            guard let renewed = try await renew(e, increment: increment, tls: tls) else { return CoreResponse() }
            let ttl = renewed.expireTime.map { max(0, Int64($0.timeIntervalSince(now()).rounded())) } ?? 0
            return CoreResponse(leaseID: id, leaseDuration: ttl, renewable: renewed.renewable)
        case "revoke":
            guard op == .update || op == .create else { throw LogicalError.noOperation }
            let id = try leaseIDParam()
            // Revoking a lease that does not exist is not an error.
            if let e = try await leases.get(id) {
                if !sync {
                    try await leases.expireNow([e], now: now())
                    return CoreResponse(httpStatus: 202)
                }
                if let failure = try await revokeLeases([id], force: false).first {
                    throw LogicalError.invalidRequest(failure.error)
                }
            } else if let e = try await tokenForLease(id) {
                try await tokens.revokeTree(hash: e.idHash)
            }
            return sync ? CoreResponse() : CoreResponse(httpStatus: 202)
        case "revoke-prefix", "revoke-force":
            guard op == .update || op == .create else { throw LogicalError.noOperation }
            guard !rest.isEmpty else { throw LogicalError.invalidRequest("prefix must be specified") }
            let force = action == "revoke-force"
            try await revokeLeasePrefix(rest, force: force, sync: sync)
            try await tokens.revokeByPathPrefix(rest)
            return sync || force ? CoreResponse() : CoreResponse(httpStatus: 202)
        case "tidy":
            guard op == .update || op == .create else { throw LogicalError.noOperation }
            _ = try await tokens.revokeExpired(now: now())
            return CoreResponse(warnings: ["Tidy operation successfully started. Any information from the operation will be printed to OpenBao's server logs."], httpStatus: 202)
        default:
            throw LogicalError.noRoute
        }
    }

    /// `GET sys/leases/count?type=irrevocable`: irrevocable leases per mount accessor. Any other type is a 404, as
    /// OpenBao (which counts only irrevocable leases here).
    func countLeases(type: String) throws -> CoreResponse {
        guard type == "irrevocable" else { throw LogicalError.notFound }
        var counts: [String: JSONValue] = [:]
        let all = leases.irrevocable()
        for l in all { counts[l.accessor] = .int((counts[l.accessor]?.intValue ?? 0) + 1) }
        return CoreResponse(data: ["counts": .object(counts), "lease_count": .int(Int64(all.count))])
    }

    /// `GET sys/leases?type=irrevocable`: the irrevocable leases with their errors, oldest first; more than `limit`
    /// (default 10,000) only with `force`.
    func listIrrevocableLeases(type: String, limit rawLimit: String?, force: Bool) throws -> CoreResponse {
        guard type == "irrevocable" else { throw LogicalError.notFound }
        var limit = 10_000
        if let rawLimit, !rawLimit.isEmpty {
            guard let l = Int(rawLimit) else {
                throw LogicalError.internalError(
                    LogicalError.multiErrorText("invalid 'limit' provided: strconv.Atoi: parsing \(GoDuration.quote(rawLimit)): invalid syntax"))
            }
            limit = l
        }
        let all = leases.irrevocable()
        var warnings: [String] = []
        var shown = all
        if !force, limit > 0, all.count > limit {
            shown = Array(all.prefix(limit))
            warnings.append(
                "Command halted because many irrevocable leases were found. To emit the entire list, re-run the command with force set true.")
        }
        let items: [JSONValue] = shown.map {
            .object(["lease_id": .string($0.id), "mount_id": .string($0.accessor), "error": .string($0.error)])
        }
        return CoreResponse(data: ["lease_count": .int(Int64(shown.count)), "leases": .array(items)], warnings: warnings)
    }
}
