import CofferSDK
import Foundation

/// `sys/leases/*` (and the legacy `sys/renew`, `sys/revoke*`). Every token with a TTL is a lease whose ID is its
/// creation path followed by its salted ID (`auth/userpass/login/alice/<hash>`), as in Vault; no engine issues
/// revocable secrets yet, so tokens are the leases there are.
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
    func handleLeases(_ op: Operation, action: String, rest: String, data: [String: JSONValue]) async throws -> CoreResponse {
        func leaseIDParam() throws -> String {
            if let l = data["lease_id"]?.stringValue, !l.isEmpty { return l }
            if !rest.isEmpty { return rest }
            throw LogicalError.invalidRequest("lease_id must be specified")
        }
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
                let keys = immediateChildren(of: prefix, in: ids)
                if keys.isEmpty { throw LogicalError.notFound }
                return CoreResponse(data: ["keys": .array(keys.map { .string($0) })])
            }
            guard op == .update || op == .create else { throw LogicalError.noOperation }
            let id = try leaseIDParam()
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
            guard let e = try await tokenForLease(id) else { throw LogicalError.invalidRequest("lease not found") }
            let increment = try data["increment"].map { try parseTTL($0, field: "increment") } ?? 0
            let renewed = try await renew(e, increment: increment)
            let ttl = renewed.expireTime.map { max(0, Int64($0.timeIntervalSince(now()).rounded())) } ?? 0
            return CoreResponse(leaseID: id, leaseDuration: ttl, renewable: renewed.renewable)
        case "revoke":
            guard op == .update || op == .create else { throw LogicalError.noOperation }
            let id = try leaseIDParam()
            // Revoking a lease that does not exist is not an error.
            if let e = try await tokenForLease(id) { try await tokens.revokeTree(hash: e.idHash) }
            return CoreResponse()
        case "revoke-prefix", "revoke-force":
            guard op == .update || op == .create else { throw LogicalError.noOperation }
            guard !rest.isEmpty else { throw LogicalError.invalidRequest("prefix must be specified") }
            try await tokens.revokeByPathPrefix(rest)
            return CoreResponse()
        case "tidy":
            guard op == .update || op == .create else { throw LogicalError.noOperation }
            _ = try await tokens.revokeExpired(now: now())
            return CoreResponse(warnings: ["Tidy operation successfully started. Any information from the operation will be printed to OpenBao's server logs."], httpStatus: 202)
        default:
            throw LogicalError.noRoute
        }
    }
}
