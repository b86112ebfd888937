import CofferSDK
import Foundation
import Logging
import Synchronization

/// What a token should be created with, after request parsing.
struct TokenRequest: Sendable {
    var policies: [String]
    var meta: [String: String]?
    var displayName: String
    var ttl: Int64?
    var explicitMaxTTL: Int64?
    var period: Int64?
    var numUses: Int
    var renewable: Bool
    var noDefaultPolicy: Bool
    var path: String
    var customID: String? = nil
    var role: String = ""
    var boundCIDRs: [String] = []
    var authData: [String: String] = [:]
    var aliasName: String = ""
    var entityID: String = ""
    /// Lifetime cap from an auth method's role.
    var maxTTL: Int64 = 0
    var identityPolicies: [String] = []
    /// Who asks for the token: ``TokenPolicyGate`` checks the policies against it.
    var origin: TokenOrigin
    /// A batch token is sealed into its own value and never stored.
    var type: TokenType = .service
}

/// The token store's HTTP-facing paths (`auth/token/...`) and token issuing.
extension Core {
    static let tokenRolesPrefix = "sys/token/roles/"

    var tokenMount: MountEntry? {
        router.withLock { $0?.authTable.first { $0.type == "token" } }
    }

    /// Creates a token: stores a service token, or seals a batch token into its own value. Returns the token and
    /// its `auth` block.
    func issueToken(_ r: TokenRequest, parent: TokenEntry?, mount: MountEntry?) async throws -> (String, JSONValue) {
        let now = self.now()
        var policies = TokenPolicyGate.sanitize(Array(Set(r.policies.map { $0.trimmingWhitespace().lowercased() }.filter { !$0.isEmpty })))
        try TokenPolicyGate.authorize(policies, origin: r.origin, type: r.type)
        if !r.noDefaultPolicy, !policies.contains("root"), !policies.contains("default") { policies.append("default") }
        policies.sort()
        let sysMax = (mount?.maxLeaseTTL ?? 0) > 0 ? mount!.maxLeaseTTL : configuration.maxLeaseTTL
        let sysDefault = (mount?.defaultLeaseTTL ?? 0) > 0 ? mount!.defaultLeaseTTL : configuration.defaultLeaseTTL
        // A batch token has no period, explicit max TTL or use count (token creation refuses them; a login's are
        // dropped, as OpenBao does).
        let period = r.type == .batch ? 0 : r.period ?? 0
        let explicitMax = r.type == .batch ? 0 : r.explicitMaxTTL ?? 0
        var ttl: Int64
        if period > 0 {
            ttl = period
        } else if let t = r.ttl, t > 0 {
            ttl = t
        } else if policies.contains("root") && r.ttl == nil && explicitMax == 0 {
            ttl = 0
        } else {
            ttl = sysDefault
        }
        if explicitMax > 0 && (ttl == 0 || ttl > explicitMax) { ttl = explicitMax }
        if r.maxTTL > 0 && period == 0 && (ttl == 0 || ttl > r.maxTTL) { ttl = r.maxTTL }
        if period == 0 && ttl > sysMax { ttl = sysMax }
        if r.type == .batch {
            return try issueBatchToken(r, policies: policies, ttl: ttl, parent: parent, mount: mount, now: now)
        }
        if let id = r.customID {
            if id.hasPrefix("s.") { throw LogicalError.invalidRequest("custom token ID cannot have the 's.' prefix") }
            if id.contains(".") { throw LogicalError.invalidRequest("custom token ID cannot have a '.' in the value") }
        }
        let token = r.customID ?? ("s." + RandomID.base62(24))
        var entry = TokenEntry(
            idHash: try tokens.hash(token), accessor: RandomID.base62(24), parentHash: parent?.idHash, policies: policies, meta: r.meta,
            displayName: r.displayName, numUses: r.numUses, creationTime: now, creationTTL: ttl, explicitMaxTTL: explicitMax,
            period: period, renewable: ttl > 0 ? r.renewable : false, path: r.path,
            expireTime: ttl > 0 ? now.addingTimeInterval(Double(ttl)) : nil, role: r.role, entityID: r.entityID)
        entry.boundCIDRs = r.boundCIDRs
        entry.authData = r.authData
        entry.aliasName = r.aliasName
        entry.maxTTL = r.maxTTL
        if try await tokens.lookup(hash: entry.idHash) != nil {
            throw LogicalError.invalidRequest("cannot create a token with a duplicate ID")
        }
        try await tokens.create(entry)
        metrics.tokenCreated(authMethod: mount?.type ?? "token", type: "service")
        return (token, authBlock(token: token, entry: entry, leaseDuration: ttl, identityPolicies: r.identityPolicies))
    }

    /// A batch token: the entry is sealed into the token (``BatchTokenCodec``) and nothing is stored. It has no
    /// accessor, cannot be renewed, and carries its parent's hash so that it dies with the parent.
    private func issueBatchToken(
        _ r: TokenRequest, policies: [String], ttl: Int64, parent: TokenEntry?, mount: MountEntry?, now: Date
    ) throws -> (String, JSONValue) {
        // Only a root token lives without a TTL, and a batch token is never root (TokenPolicyGate).
        guard ttl > 0 else { throw LogicalError.internalError("batch tokens must have a TTL") }
        let created = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        var entry = TokenEntry(
            idHash: "", accessor: "", parentHash: parent?.idHash, policies: policies, meta: r.meta, displayName: r.displayName,
            numUses: 0, creationTime: created, creationTTL: ttl, explicitMaxTTL: 0, period: 0, renewable: false, path: r.path,
            expireTime: created.addingTimeInterval(Double(ttl)), role: r.role, entityID: r.entityID, type: TokenType.batch.rawValue)
        entry.boundCIDRs = r.boundCIDRs
        let token = try tokens.sealBatch(entry)
        entry.idHash = try tokens.hash(token)
        metrics.tokenCreated(authMethod: mount?.type ?? "token", type: TokenType.batch.rawValue)
        return (token, authBlock(token: token, entry: entry, leaseDuration: ttl, identityPolicies: r.identityPolicies))
    }

    func authBlock(token: String, entry: TokenEntry, leaseDuration: Int64, identityPolicies: [String] = []) -> JSONValue {
        let all = Array(Set(entry.policies + identityPolicies)).sorted()
        var block: [String: JSONValue] = [
            "client_token": .string(token),
            "accessor": .string(entry.accessor),
            "policies": .array(all.map { .string($0) }),
            "token_policies": .array(entry.policies.map { .string($0) }),
            "metadata": entry.meta.map { .object($0.mapValues { .string($0) }) } ?? .null,
            "lease_duration": .int(leaseDuration),
            "renewable": .bool(entry.renewable),
            "entity_id": .string(entry.entityID),
            "token_type": .string(entry.type),
            "orphan": .bool(entry.orphan),
            "mfa_requirement": .null,
            "num_uses": .int(Int64(max(0, entry.numUses))),
        ]
        if !identityPolicies.isEmpty { block["identity_policies"] = .array(identityPolicies.sorted().map { .string($0) }) }
        return .object(block)
    }

    /// Whether the caller has `sudo` on a path (root always has).
    func callerHasSudo(_ caller: TokenEntry, path: String) async throws -> Bool {
        if caller.isRoot { return true }
        let acl = try await policies.acl(for: caller.policies)
        return acl.capabilities(path: path).contains(.sudo)
    }

    /// Extends a token's life by `increment` (or its original TTL), bounded by explicit max TTL and the system max.
    /// `tls` is the renewing request's connection, shown to the auth method that issued the token. Nil when that
    /// method declines (its user or role is gone): the token is left as it is, and OpenBao answers 204.
    func renew(_ entry: TokenEntry, increment: Int64, tls: TLSConnectionState? = nil) async throws -> TokenEntry? {
        guard entry.renewable, entry.expireTime != nil else { throw LogicalError.invalidRequest("lease is not renewable") }
        let now = self.now()
        var e = entry
        var authTTL: Int64? = nil
        switch try await renewWithAuthMethod(entry, tls: tls) {
        case .notApplicable: break
        case .declined: return nil
        case .renewed(let renewed):
            authTTL = renewed.ttl
            if let m = renewed.maxTTL, m > 0 { e.maxTTL = m }
        }
        var ttl: Int64
        if e.period > 0 {
            ttl = e.period
        } else {
            ttl = increment > 0 ? increment : (authTTL.flatMap { $0 > 0 ? $0 : nil } ?? e.creationTTL)
            if e.maxTTL > 0 {
                ttl = min(ttl, Int64(e.creationTime.addingTimeInterval(Double(e.maxTTL)).timeIntervalSince(now)))
            }
            let sysMax = tokenMount.map { $0.maxLeaseTTL > 0 ? $0.maxLeaseTTL : configuration.maxLeaseTTL } ?? configuration.maxLeaseTTL
            let maxEnd = e.creationTime.addingTimeInterval(Double(sysMax))
            ttl = min(ttl, Int64(maxEnd.timeIntervalSince(now)))
        }
        if e.explicitMaxTTL > 0 {
            let maxEnd = e.creationTime.addingTimeInterval(Double(e.explicitMaxTTL))
            ttl = min(ttl, Int64(maxEnd.timeIntervalSince(now)))
        }
        guard ttl > 0 else { throw LogicalError.invalidRequest("past the max TTL, cannot renew") }
        e.expireTime = now.addingTimeInterval(Double(ttl))
        try await tokens.update(e)
        return e
    }

    /// What a batch token may not have, checked as OpenBao does: the first of `explicit_max_ttl`, `num_uses` and
    /// `period` that is given decides (a zero duration passes).
    static func refuseBatchOptions(_ d: [String: JSONValue], numUses: Int64) throws {
        func given(_ k: String) -> JSONValue? {
            guard let v = d[k], v != .null else { return nil }
            if case .string(let s) = v, s.isEmpty { return nil }
            return v
        }
        var bad: String? = nil
        if let v = given("explicit_max_ttl") {
            guard let dur = try? GoDuration.parseDurationSecond(v).get() else {
                throw LogicalError.invalidRequest("'explicit_max_ttl' value could not be parsed")
            }
            if dur != 0 { bad = "explicit_max_ttl" }
        } else if numUses != 0 {
            bad = "num_uses"
        } else if let v = given("period") {
            guard let dur = try? GoDuration.parseDurationSecond(v).get() else {
                throw LogicalError.invalidRequest("'period' value could not be parsed")
            }
            if dur != 0 { bad = "period" }
        }
        if let bad { throw LogicalError.invalidRequest("batch tokens cannot have \"\(bad)\" set") }
    }
}

extension Core {
    /// Revokes tokens whose TTL has passed, then engine leases that expired (with those tokens or on their own),
    /// at their source (run by the server's sweeper every second).
    public func revokeExpiredTokens() async throws -> Int {
        let n = try await tokens.revokeExpired(now: now())
        let l = try await revokeExpiredLeases()
        metrics.leasesExpired(n + l)
        return n + l
    }

    /// Runs every mounted engine's periodic work (key auto-rotation); an engine's failure is logged, not fatal.
    public func runPeriodicFunctions() async {
        guard let snapshot = router.withLock({ $0 }) else { return }
        for m in snapshot.mounts.values {
            do {
                try await m.engine.periodic(storage: m.storage)
            } catch {
                logger.warning("periodic function failed", metadata: ["coffer.mount_type": "\(m.entry.type)", "coffer.error": "\(error)"])
            }
        }
    }
}
