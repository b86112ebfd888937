import CofferSDK
import Foundation

/// The token store's handlers: what each path of ``TokenBackend`` does once the framework has routed and validated
/// the request.
extension TokenCall {
    enum Target { case caller, token, accessor }

    var tokens: TokenStore { core.tokens }
    var now: Date { core.now() }

    // MARK: Lookup

    func lookupSelf() -> CoreResponse {
        CoreResponse(data: caller.lookupData(id: request.token ?? "", now: now))
    }

    /// `lookup`: the token in the body (or query), the caller's own when none is given.
    func lookup(_ r: PathRequest) async throws -> CoreResponse {
        let t = try r.fields.string("token")
        guard !t.isEmpty else { return lookupSelf() }
        guard let e = try await tokens.lookup(token: t, now: now) else { throw LogicalError(.permissionDenied, "bad token") }
        return CoreResponse(data: e.lookupData(id: t, now: now))
    }

    func lookupAccessor(_ r: PathRequest) async throws -> CoreResponse {
        let e = try await entry(accessor: try r.fields.string("accessor"))
        return CoreResponse(data: e.lookupData(id: "", now: now))
    }

    func accessors() async throws -> CoreResponse {
        CoreResponse(data: ["keys": .array(try await tokens.allAccessors().map { .string($0) })])
    }

    /// The token an accessor names; a missing or unknown accessor is OpenBao's coded error.
    private func entry(accessor a: String) async throws -> TokenEntry {
        guard !a.isEmpty else { throw LogicalError.goError(.invalidRequest, "missing accessor") }
        guard let e = try await tokens.lookup(accessor: a) else { throw LogicalError.goError(.invalidRequest, "invalid accessor") }
        return e
    }

    // MARK: Renew and revoke

    func renew(_ r: PathRequest, target: Target) async throws -> CoreResponse {
        let entry: TokenEntry
        var tokenValue = ""
        switch target {
        case .caller:
            entry = caller
            tokenValue = request.token ?? ""
        case .accessor:
            entry = try await self.entry(accessor: try r.fields.string("accessor"))
        case .token:
            tokenValue = try r.fields.string("token")
            guard !tokenValue.isEmpty else { throw LogicalError.invalidRequest("missing token ID") }
            guard let e = try await tokens.lookup(token: tokenValue, now: now) else { throw LogicalError.invalidRequest("token not found") }
            entry = e
        }
        if entry.type == TokenType.batch.rawValue { throw LogicalError.invalidRequest("batch tokens cannot be renewed") }
        let increment = try r.fields.duration("increment")
        if increment < 0 {
            throw LogicalError.invalidRequest(
                "Field validation failed: error converting input for field \"increment\": cannot provide negative value '\(increment)'")
        }
        guard let renewed = try await core.renew(entry, increment: increment, tls: request.tls) else { return CoreResponse() }
        let ttl = renewed.expireTime.map { max(0, Int64($0.timeIntervalSince(now).rounded())) } ?? 0
        var block = core.authBlock(token: tokenValue, entry: renewed, leaseDuration: ttl)
        if target == .accessor, case .object(var o) = block {
            o["client_token"] = ""
            block = .object(o)
        }
        return CoreResponse(auth: block)
    }

    func revoke(_ r: PathRequest, target: Target, orphan: Bool) async throws -> CoreResponse {
        let batchRefused = LogicalError.invalidRequest("batch tokens cannot be revoked")
        let hash: String
        switch target {
        case .caller:
            if caller.type == TokenType.batch.rawValue { throw batchRefused }
            hash = caller.idHash
        case .accessor:
            guard let e = try await tokens.lookup(accessor: try nonEmptyAccessor(r)) else {
                return CoreResponse(warnings: ["No token found with this accessor"])
            }
            hash = e.idHash
        case .token:
            let t = try r.fields.string("token")
            guard !t.isEmpty else { throw LogicalError.invalidRequest("missing token ID") }
            if orphan, try !(await core.callerHasSudo(caller, path: request.path)) {
                throw LogicalError.invalidRequest("root or sudo privileges required to revoke and orphan")
            }
            hash = try tokens.hash(t)
            if t.hasPrefix(BatchTokenCodec.prefix), let e = try await tokens.lookup(token: t, now: now), e.type == TokenType.batch.rawValue {
                throw batchRefused
            }
            guard try await tokens.lookup(hash: hash) != nil else {
                if orphan { throw LogicalError.invalidRequest("token to revoke not found") }
                return CoreResponse()
            }
        }
        if orphan {
            try await tokens.revokeOne(hash: hash, orphanChildren: true)
        } else {
            try await tokens.revokeTree(hash: hash)
        }
        return CoreResponse()
    }

    private func nonEmptyAccessor(_ r: PathRequest) throws -> String {
        let a = try r.fields.string("accessor")
        guard !a.isEmpty else { throw LogicalError.goError(.invalidRequest, "missing accessor") }
        return a
    }

    func tidy() async throws -> CoreResponse {
        _ = try await tokens.revokeExpired(now: now)
        return CoreResponse(
            warnings: ["Tidy operation successfully started. Any information from the operation will be printed to OpenBao's server logs."],
            httpStatus: 202)
    }

    // MARK: Create

    /// A duration given as text (token creation's `ttl`, `period`...): Go's parse error as it is, a negative value
    /// refused, zero the same as left out.
    private func createDuration(_ r: PathRequest, _ name: String) throws -> Int64? {
        guard let s = try r.fields.stringIfSet(name), !s.isEmpty else { return nil }
        let d: Int64
        switch GoDuration.parseDurationSecond(.string(s)) {
        case .success(let v): d = v
        case .failure(let e): throw LogicalError.invalidRequest(e.message)
        }
        if d < 0 { throw LogicalError.invalidRequest("\(name) must be positive") }
        return d == 0 ? nil : d
    }

    func create(_ r: PathRequest, orphanPath: Bool, roleName: String?) async throws -> CoreResponse {
        let f = r.fields
        // A batch token cannot create tokens, orphan or not; a limited-use token could escape its count through
        // children.
        if caller.type == TokenType.batch.rawValue { throw LogicalError.invalidRequest("batch tokens cannot create more tokens") }
        if caller.numUses != 0 { throw LogicalError.invalidRequest("restricted use token cannot generate child tokens") }
        let sudo = try await core.callerHasSudo(caller, path: request.path)
        var role: [String: JSONValue]? = nil
        if let roleName {
            guard let stored = try await core.barrier.getJSON(Core.tokenRolesPrefix + roleName)?.objectValue else {
                throw LogicalError.invalidRequest("unknown role \(roleName)")
            }
            role = stored
        }
        var numUses = try f.int("num_uses")
        let type = try TokenType.forCreate(requested: f.stringIfSet("type"), roleType: role?["token_type"]?.stringValue)
        if type == .batch { try Core.refuseBatchOptions(r.data, numUses: numUses) }
        guard numUses >= 0 else { throw LogicalError.invalidRequest("number of uses cannot be negative") }
        if let roleUses = role?["token_num_uses"]?.intValue, roleUses > 0, numUses == 0 || roleUses < numUses { numUses = roleUses }
        let noParent = try f.bool("no_parent")
        var orphan = orphanPath || (role?["orphan"]?.boolValue ?? false)
        let customID = try f.string("id")
        if !customID.isEmpty, !sudo { throw LogicalError.invalidRequest("root or sudo privileges required to specify token id") }
        let ttl = try createDuration(r, "ttl") ?? createDuration(r, "lease")
        var explicitMax = try createDuration(r, "explicit_max_ttl")
        var period = try createDuration(r, "period")
        if period != nil, !sudo, role == nil {
            throw LogicalError.invalidRequest("root or sudo privileges required to create periodic token")
        }
        let noDefault = try f.boolIfSet("no_default_policy") ?? (role?["token_no_default_policy"]?.boolValue ?? false)
        var policies = try f.stringsIfSet("policies") ?? []
        var boundByRole = false
        if let role {
            let allowed = TokenPolicyGate.sanitize(role["allowed_policies"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            let disallowed = role["disallowed_policies"]?.arrayValue?.compactMap(\.stringValue) ?? []
            boundByRole = !allowed.isEmpty || !disallowed.isEmpty
            // A role's period and explicit max TTL shape service tokens only (a `default-batch` role may hold them).
            if type == .service, let rp = role["token_period"]?.intValue, rp > 0 { period = rp }
            if type == .service, let rm = role["token_explicit_max_ttl"]?.intValue, rm > 0 { explicitMax = min(explicitMax ?? rm, rm) }
            if policies.isEmpty { policies = allowed.isEmpty ? caller.policies : allowed }
            policies = TokenPolicyGate.sanitize(policies)
            var withDefault = Set(policies)
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
        } else {
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
        let dn = try f.string("display_name")
        if !dn.isEmpty { displayName = "token-" + dn.replacingOccurrences(of: " ", with: "-") }
        let renewable = try type == .batch ? false : f.boolIfSet("renewable") ?? (role?["renewable"]?.boolValue ?? true)
        let meta = try f.pairsIfSet("meta")
        var pathSuffix = request.path
        if let roleName, let suffix = role?["path_suffix"]?.stringValue, !suffix.isEmpty { pathSuffix = "auth/token/create/\(roleName)/\(suffix)" }
        var tr = TokenRequest(
            policies: policies, meta: (meta?.isEmpty ?? true) ? nil : meta, displayName: displayName, ttl: ttl, explicitMaxTTL: explicitMax,
            period: period, numUses: Int(numUses), renewable: renewable, noDefaultPolicy: noDefault, path: pathSuffix,
            customID: customID.isEmpty || type == .batch ? nil : customID, role: roleName ?? "",
            origin: origin, type: type)
        tr.boundCIDRs = role?["token_bound_cidrs"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let (_, block) = try await core.issueToken(tr, parent: orphan ? nil : caller, mount: core.tokenMount)
        var warnings: [String] = []
        if tr.customID != nil {
            warnings.append(
                "Supplying a custom ID for the token uses the weaker SHA1 hashing instead of the more secure SHA2-256 HMAC for token obfuscation. SHA1 hashed tokens on the wire leads to less secure lookups.")
        }
        let maxTTL = core.configuration.maxLeaseTTL
        if let t = ttl, t > maxTTL, (period ?? 0) == 0 {
            warnings.append("TTL of \"\(t)s\" exceeded the effective max_ttl of \"\(maxTTL)s\"; TTL value is capped accordingly")
        }
        return CoreResponse(warnings: warnings, auth: block)
    }

    // MARK: Roles

    private func roleKey(_ r: PathRequest) throws -> String { Core.tokenRolesPrefix + (try r.fields.string("role_name")) }

    func roleExists(_ r: PathRequest) async throws -> Bool {
        try await core.barrier.getJSON(try roleKey(r)) != nil
    }

    func listRoles() async throws -> CoreResponse {
        let keys = try await core.barrier.list(prefix: Core.tokenRolesPrefix)
        if keys.isEmpty { throw LogicalError.notFound }
        return CoreResponse(data: ["keys": .array(keys.map { .string($0) })])
    }

    func readRole(_ r: PathRequest) async throws -> CoreResponse {
        guard let role = try await core.barrier.getJSON(try roleKey(r))?.objectValue else { throw LogicalError.notFound }
        return CoreResponse(data: role)
    }

    func deleteRole(_ r: PathRequest) async throws -> CoreResponse {
        try await core.barrier.delete(try roleKey(r))
        return CoreResponse()
    }

    func writeRole(_ r: PathRequest) async throws -> CoreResponse {
        let f = r.fields
        let key = try roleKey(r)
        var role = try await core.barrier.getJSON(key)?.objectValue ?? [
            "allowed_entity_aliases": .null, "allowed_policies": [], "allowed_policies_glob": [], "disallowed_policies": [],
            "disallowed_policies_glob": [], "explicit_max_ttl": 0, "name": .string(try f.string("role_name")), "orphan": false,
            "path_suffix": "", "period": 0, "renewable": true, "token_explicit_max_ttl": 0, "token_no_default_policy": false,
            "token_period": 0, "token_type": "default-service",
        ]
        for k in ["allowed_policies", "disallowed_policies", "allowed_policies_glob", "disallowed_policies_glob", "allowed_entity_aliases"] {
            if let l = try f.stringsIfSet(k) { role[k] = .array(l.map { .string($0) }) }
        }
        if let b = try f.boolIfSet("orphan") { role["orphan"] = .bool(b) }
        if let b = try f.boolIfSet("renewable") { role["renewable"] = .bool(b) }
        if let b = try f.boolIfSet("token_no_default_policy") { role["token_no_default_policy"] = .bool(b) }
        if let s = try f.stringIfSet("path_suffix") { role["path_suffix"] = .string(s) }
        if let cidrs = try f.stringsIfSet("token_bound_cidrs") ?? f.stringsIfSet("bound_cidrs") {
            let parsed: [String]
            do {
                parsed = try TokenParameters.parseAddrs(cidrs)
            } catch let e as LogicalError {
                throw LogicalError.invalidRequest("error parsing bound_cidrs: " + e.messages.joined(separator: "; "))
            }
            role["token_bound_cidrs"] = parsed.isEmpty ? nil : .array(parsed.map { .string($0) })
        }
        if let n = try f.intIfSet("token_num_uses") {
            if n < 0 { throw LogicalError.invalidRequest("error parsing role fields: 'token_num_uses' cannot be negative") }
            role["token_num_uses"] = n == 0 ? nil : .int(n)
        }
        if let raw = r.data["token_type"] {
            guard raw != .null else { throw LogicalError.invalidRequest("Invalid 'token_type' value: null") }
            let s = raw.stringValue ?? raw.serialized()
            guard ["service", "batch", "default-service", "default-batch"].contains(s) else {
                throw LogicalError.invalidRequest("invalid 'token_type' value \"\(s)\"")
            }
            role["token_type"] = .string(s)
        }
        if let p = try f.durationIfSet("token_period") ?? f.durationIfSet("period") {
            role["token_period"] = .int(p)
            role["period"] = .int(p)
        }
        if let p = try f.durationIfSet("token_explicit_max_ttl") ?? f.durationIfSet("explicit_max_ttl") {
            role["token_explicit_max_ttl"] = .int(p)
            role["explicit_max_ttl"] = .int(p)
        }
        if role["token_type"]?.stringValue == TokenType.batch.rawValue {
            let why: String?
            if role["orphan"]?.boolValue != true {
                why = "non-orphan tokens"
            } else if (role["period"]?.intValue ?? 0) != 0 || (role["token_period"]?.intValue ?? 0) != 0 {
                why = "periodic tokens"
            } else if role["renewable"]?.boolValue != false {
                why = "renewable tokens"
            } else if (role["explicit_max_ttl"]?.intValue ?? 0) != 0 || (role["token_explicit_max_ttl"]?.intValue ?? 0) != 0 {
                why = "tokens with an explicit max TTL"
            } else {
                why = nil
            }
            if let why { throw LogicalError.invalidRequest("'token_type' cannot be 'batch' when role is set to generate \(why)") }
        }
        try await core.barrier.putJSON(key, .object(role))
        return CoreResponse()
    }
}
