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

    func handleTokenPath(_ req: CoreRequest, sub: String, operation: Operation, caller: TokenEntry?) async throws -> CoreResponse {
        guard let caller else { throw LogicalError.permissionDenied }
        let parts = sub.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let head = parts.first ?? ""
        func only(_ ops: Set<Operation>) throws {
            guard ops.contains(operation) else { throw LogicalError(.unsupportedOperation, Self.multiError("unsupported operation")) }
        }
        let d = req.data
        switch head {
        case "create", "create-orphan":
            try only([.update, .create])
            var roleName: String? = nil
            if head == "create", parts.count > 1 { roleName = parts.dropFirst().joined(separator: "/") }
            return try await tokenCreate(req, caller: caller, orphanPath: head == "create-orphan", roleName: roleName)
        case "lookup":
            try only([.read, .update, .create])
            guard let t = d["token"]?.stringValue, !t.isEmpty else {
                if operation == .read, let own = req.token {
                    return CoreResponse(data: caller.lookupData(id: own, now: now()))
                }
                throw LogicalError.invalidRequest("missing token to lookup")
            }
            guard let e = try await tokens.lookup(token: t, now: now()) else { throw LogicalError(.permissionDenied, "bad token") }
            return CoreResponse(data: e.lookupData(id: t, now: now()))
        case "lookup-self":
            try only([.read, .update, .create])
            return CoreResponse(data: caller.lookupData(id: req.token ?? "", now: now()))
        case "lookup-accessor":
            try only([.update, .create])
            guard let a = d["accessor"]?.stringValue ?? (parts.count > 1 ? parts[1] : nil), !a.isEmpty else {
                throw LogicalError.invalidRequest(Self.multiError("missing accessor"))
            }
            guard let e = try await tokens.lookup(accessor: a) else { throw LogicalError.invalidRequest(Self.multiError("invalid accessor")) }
            return CoreResponse(data: e.lookupData(id: "", now: now()))
        case "renew", "renew-self", "renew-accessor":
            try only([.update, .create])
            let target: TokenEntry?
            var tokenValue = ""
            if head == "renew-self" {
                target = caller
                tokenValue = req.token ?? ""
            } else if head == "renew-accessor" {
                guard let a = d["accessor"]?.stringValue, !a.isEmpty else { throw LogicalError.invalidRequest(Self.multiError("missing accessor")) }
                target = try await tokens.lookup(accessor: a)
            } else {
                guard let t = d["token"]?.stringValue ?? (parts.count > 1 ? parts.dropFirst().joined(separator: "/") : nil), !t.isEmpty
                else { throw LogicalError.invalidRequest("missing token") }
                tokenValue = t
                target = try await tokens.lookup(token: t, now: now())
            }
            guard let entry = target else { throw LogicalError.invalidRequest("token not found") }
            if entry.type == TokenType.batch.rawValue { throw LogicalError.invalidRequest("batch tokens cannot be renewed") }
            let increment = try d["increment"].map { try parseTTL($0, field: "increment") } ?? 0
            if increment < 0 {
                throw LogicalError.invalidRequest(
                    "Field validation failed: error converting input for field \"increment\": cannot provide negative value '\(increment)'")
            }
            let renewed = try await renew(entry, increment: increment)
            let ttl = renewed.expireTime.map { max(0, Int64($0.timeIntervalSince(now()).rounded())) } ?? 0
            var block = authBlock(token: tokenValue, entry: renewed, leaseDuration: ttl)
            if head == "renew-accessor", case .object(var o) = block {
                o["client_token"] = ""
                block = .object(o)
            }
            return CoreResponse(auth: block)
        case "revoke", "revoke-self", "revoke-orphan":
            try only([.update, .create])
            let h: String
            let batchRefused = LogicalError.invalidRequest("batch tokens cannot be revoked")
            if head == "revoke-self" {
                if caller.type == TokenType.batch.rawValue { throw batchRefused }
                h = caller.idHash
            } else {
                guard let t = d["token"]?.stringValue ?? (parts.count > 1 ? parts.dropFirst().joined(separator: "/") : nil), !t.isEmpty
                else { throw LogicalError.invalidRequest("missing token") }
                h = try tokens.hash(t)
                if t.hasPrefix(BatchTokenCodec.prefix), let e = try await tokens.lookup(token: t, now: now()), e.type == TokenType.batch.rawValue {
                    throw batchRefused
                }
                guard try await tokens.lookup(hash: h) != nil else { return CoreResponse() }
            }
            if head == "revoke-orphan" {
                try await tokens.revokeOne(hash: h, orphanChildren: true)
            } else {
                try await tokens.revokeTree(hash: h)
            }
            return CoreResponse()
        case "revoke-accessor":
            try only([.update, .create])
            guard let a = d["accessor"]?.stringValue, !a.isEmpty else { throw LogicalError.invalidRequest(Self.multiError("missing accessor")) }
            guard let e = try await tokens.lookup(accessor: a) else {
                return CoreResponse(warnings: ["No token found with this accessor"])
            }
            try await tokens.revokeTree(hash: e.idHash)
            return CoreResponse()
        case "accessors":
            try only([.list])
            return CoreResponse(data: ["keys": .array(try await tokens.allAccessors().map { .string($0) })])
        case "roles":
            return try await tokenRoles(req, name: parts.dropFirst().joined(separator: "/"), operation: operation)
        case "tidy":
            try only([.update, .create])
            _ = try await tokens.revokeExpired(now: now())
            return CoreResponse(warnings: ["Tidy operation successfully started. Any information from the operation will be printed to OpenBao's server logs."], httpStatus: 202)
        default:
            throw LogicalError(.unsupportedPath, Self.multiError("unsupported path"))
        }
    }

    /// Extends a token's life by `increment` (or its original TTL), bounded by explicit max TTL and the system max.
    func renew(_ entry: TokenEntry, increment: Int64) async throws -> TokenEntry {
        guard entry.renewable, entry.expireTime != nil else { throw LogicalError.invalidRequest("lease is not renewable") }
        let now = self.now()
        var e = entry
        var authTTL: Int64? = nil
        switch try await renewWithAuthMethod(entry) {
        case .notApplicable: break
        case .declined: return entry
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

    func tokenCreate(_ req: CoreRequest, caller: TokenEntry, orphanPath: Bool, roleName: String?) async throws -> CoreResponse {
        let d = req.data
        let lr = LogicalRequest(operation: .update, path: "", data: d, storage: barrier)
        // A batch token cannot create tokens, orphan or not; a limited-use token could escape its count through
        // children.
        if caller.type == TokenType.batch.rawValue { throw LogicalError.invalidRequest("batch tokens cannot create more tokens") }
        if caller.numUses != 0 { throw LogicalError.invalidRequest("restricted use token cannot generate child tokens") }
        let sudo = try await callerHasSudo(caller, path: req.path)
        var role: JSONValue? = nil
        if let roleName {
            guard let r = try await barrier.getJSON(Self.tokenRolesPrefix + roleName) else {
                throw LogicalError.invalidRequest("unknown role \(roleName)")
            }
            role = r
        }
        let numUses = try lr.int("num_uses") ?? 0
        let type = try TokenType.forCreate(requested: lr.string("type"), roleType: role?["token_type"]?.stringValue)
        if type == .batch { try Self.refuseBatchOptions(d, numUses: numUses) }
        guard numUses >= 0 else { throw LogicalError.invalidRequest("number of uses cannot be negative") }
        let noParent = try lr.bool("no_parent") ?? false
        var orphan = orphanPath || (role?["orphan"]?.boolValue ?? false)
        let customID = lr.string("id")
        if let c = customID, !c.isEmpty, !sudo { throw LogicalError.invalidRequest("root or sudo privileges required to specify token id") }
        var ttl = try lr.duration("ttl")
        if ttl == nil { ttl = try lr.duration("lease") }
        var explicitMax = try lr.duration("explicit_max_ttl")
        var period = try lr.duration("period")
        if let p = period, p > 0, !sudo, role == nil {
            throw LogicalError.invalidRequest("root or sudo privileges required to create periodic token")
        }
        let noDefault = try lr.bool("no_default_policy") ?? (role?["token_no_default_policy"]?.boolValue ?? false)
        var requested = try lr.strings("policies")
        var policies: [String]
        var boundByRole = false
        if let role {
            let allowed = TokenPolicyGate.sanitize(role["allowed_policies"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            let disallowed = role["disallowed_policies"]?.arrayValue?.compactMap(\.stringValue) ?? []
            boundByRole = !allowed.isEmpty || !disallowed.isEmpty
            // A role's period and explicit max TTL shape service tokens only (a `default-batch` role may hold them).
            if type == .service, let rp = role["token_period"]?.intValue, rp > 0 { period = rp }
            if type == .service, let rm = role["token_explicit_max_ttl"]?.intValue, rm > 0 { explicitMax = min(explicitMax ?? rm, rm) }
            if requested == nil || requested!.isEmpty {
                requested = allowed.isEmpty ? caller.policies : allowed
            }
            requested = TokenPolicyGate.sanitize(requested!)
            var withDefault = Set(requested!)
            if !noDefault, !withDefault.contains(Policy.rootName) { withDefault.insert("default") }
            if !allowed.isEmpty {
                let allowedSet = Set(TokenPolicyGate.sanitize(allowed + ["default"]))
                if !withDefault.isSubset(of: allowedSet) {
                    let fmt: ([String]) -> String = { "[" + $0.sorted().map { "\"\($0)\"" }.joined(separator: " ") + "]" }
                    throw LogicalError.invalidRequest(
                        "token policies (\(fmt(Array(withDefault)))) must be subset of the role's allowed policies (\(fmt(Array(allowedSet)))) or glob policies ([])")
                }
            }
            for p in withDefault.sorted() where disallowed.contains(p) {
                throw LogicalError.invalidRequest("token policy \(p) is disallowed by this role")
            }
            policies = requested!
        } else {
            policies = requested ?? []
            if policies.isEmpty { policies = caller.policies }
            policies = TokenPolicyGate.sanitize(policies)
        }
        let origin = TokenOrigin.tokenStore(caller: caller, sudo: sudo, boundByRole: boundByRole)
        // The policies are judged before the other privileged options, as OpenBao orders its checks.
        try TokenPolicyGate.authorize(policies, origin: origin, type: type)
        if noParent {
            guard sudo else { throw LogicalError.invalidRequest("root or sudo privileges required to create orphan token") }
            orphan = true
        }
        var displayName = "token"
        if let dn = lr.string("display_name"), !dn.isEmpty {
            displayName = "token-" + dn.replacingOccurrences(of: " ", with: "-")
        }
        let renewable = try type == .batch ? false : lr.bool("renewable") ?? (role?["renewable"]?.boolValue ?? true)
        let meta = lr.stringMap("meta")
        var pathSuffix = req.path
        if let roleName, let suffix = role?["path_suffix"]?.stringValue, !suffix.isEmpty { pathSuffix = "auth/token/create/\(roleName)/\(suffix)" }
        let tr = TokenRequest(
            policies: policies, meta: (meta?.isEmpty ?? true) ? nil : meta, displayName: displayName, ttl: ttl, explicitMaxTTL: explicitMax,
            period: period, numUses: Int(numUses), renewable: renewable, noDefaultPolicy: noDefault, path: pathSuffix,
            customID: (customID?.isEmpty ?? true) || type == .batch ? nil : customID, role: roleName ?? "",
            origin: origin, type: type)
        let (_, block) = try await issueToken(tr, parent: orphan ? nil : caller, mount: tokenMount)
        var warnings: [String] = []
        if let t = ttl, t > configuration.maxLeaseTTL, (period ?? 0) == 0 {
            warnings.append("TTL of \"\(t)s\" exceeded the effective max_ttl of \"\(configuration.maxLeaseTTL)s\"; TTL value is capped accordingly")
        }
        return CoreResponse(warnings: warnings, auth: block)
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

    func tokenRoles(_ req: CoreRequest, name: String, operation: Operation) async throws -> CoreResponse {
        if name.isEmpty {
            guard operation == .list || operation == .read else { throw LogicalError(.unsupportedOperation, Self.multiError("unsupported operation")) }
            let keys = try await barrier.list(prefix: Self.tokenRolesPrefix)
            if keys.isEmpty { throw LogicalError.notFound }
            return CoreResponse(data: ["keys": .array(keys.map { .string($0) })])
        }
        let key = Self.tokenRolesPrefix + name
        switch operation {
        case .read:
            guard let r = try await barrier.getJSON(key)?.objectValue else { throw LogicalError.notFound }
            return CoreResponse(data: r)
        case .delete:
            try await barrier.delete(key)
            return CoreResponse()
        case .create, .update:
            let lr = LogicalRequest(operation: .update, path: "", data: req.data, storage: barrier)
            var r = try await barrier.getJSON(key)?.objectValue ?? [
                "allowed_entity_aliases": .null, "allowed_policies": [], "allowed_policies_glob": [], "disallowed_policies": [],
                "disallowed_policies_glob": [], "explicit_max_ttl": 0, "name": .string(name), "orphan": false, "path_suffix": "",
                "period": 0, "renewable": true, "token_explicit_max_ttl": 0, "token_no_default_policy": false, "token_period": 0,
                "token_type": "default-service",
            ]
            for k in ["allowed_policies", "disallowed_policies", "allowed_policies_glob", "disallowed_policies_glob"] {
                if let l = try lr.strings(k) { r[k] = .array(l.map { .string($0) }) }
            }
            if let l = try lr.strings("allowed_entity_aliases") { r["allowed_entity_aliases"] = .array(l.map { .string($0) }) }
            if let b = try lr.bool("orphan") { r["orphan"] = .bool(b) }
            if let b = try lr.bool("renewable") { r["renewable"] = .bool(b) }
            if let b = try lr.bool("token_no_default_policy") { r["token_no_default_policy"] = .bool(b) }
            if let s = lr.string("path_suffix") { r["path_suffix"] = .string(s) }
            if let raw = req.data["token_type"] {
                guard raw != .null else { throw LogicalError.invalidRequest("Invalid 'token_type' value: null") }
                let s = raw.stringValue ?? raw.serialized()
                guard ["service", "batch", "default-service", "default-batch"].contains(s) else {
                    throw LogicalError.invalidRequest("invalid 'token_type' value \"\(s)\"")
                }
                r["token_type"] = .string(s)
            }
            if let p = try lr.duration("token_period") ?? lr.duration("period") {
                r["token_period"] = .int(p)
                r["period"] = .int(p)
            }
            if let p = try lr.duration("token_explicit_max_ttl") ?? lr.duration("explicit_max_ttl") {
                r["token_explicit_max_ttl"] = .int(p)
                r["explicit_max_ttl"] = .int(p)
            }
            if r["token_type"]?.stringValue == TokenType.batch.rawValue {
                let why: String?
                if r["orphan"]?.boolValue != true {
                    why = "non-orphan tokens"
                } else if (r["period"]?.intValue ?? 0) != 0 || (r["token_period"]?.intValue ?? 0) != 0 {
                    why = "periodic tokens"
                } else if r["renewable"]?.boolValue != false {
                    why = "renewable tokens"
                } else if (r["explicit_max_ttl"]?.intValue ?? 0) != 0 || (r["token_explicit_max_ttl"]?.intValue ?? 0) != 0 {
                    why = "tokens with an explicit max TTL"
                } else {
                    why = nil
                }
                if let why { throw LogicalError.invalidRequest("'token_type' cannot be 'batch' when role is set to generate \(why)") }
            }
            try await barrier.putJSON(key, .object(r))
            return CoreResponse()
        default:
            throw LogicalError(.unsupportedOperation, Self.multiError("unsupported operation"))
        }
    }
}

extension Core {
    /// Revokes tokens whose TTL has passed (run by the server's sweeper every second).
    public func revokeExpiredTokens() async throws -> Int {
        let n = try await tokens.revokeExpired(now: now())
        metrics.leasesExpired(n)
        return n
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
