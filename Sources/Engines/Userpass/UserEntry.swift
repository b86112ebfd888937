import CofferSDK

/// One user, stored as JSON at `user/<username>`.
///
/// The legacy fields (`policies`, `ttl`, `max_ttl`, `bound_cidrs`) are not stored separately: OpenBao keeps them
/// equal to their `token_*` counterparts whenever they are set, so a flag per field records whether the last write
/// used the legacy name, and reads then echo the `token_*` value under the legacy name too.
struct UserEntry: Equatable {
    /// bcrypt hash (`$2b$...`); see ``PasswordHasher``.
    var passwordHash: String = ""
    var passwordScheme: PasswordHasher.Scheme = .prehashed

    var tokenPolicies: [String] = []
    var tokenTTL: Int64 = 0
    var tokenMaxTTL: Int64 = 0
    var tokenExplicitMaxTTL: Int64 = 0
    var tokenPeriod: Int64 = 0
    var tokenNumUses: Int64 = 0
    var tokenBoundCIDRs: [String] = []
    var tokenNoDefaultPolicy = false
    var tokenStrictlyBindIP = false
    var tokenType = "default"

    var legacyPolicies = false
    var legacyTTL = false
    var legacyMaxTTL = false
    var legacyBoundCIDRs = false

    static func storageKey(_ name: String) -> String { "user/" + name }

    /// The read response's `data`, in OpenBao's shape.
    var responseData: [String: JSONValue] {
        var d: [String: JSONValue] = [
            "token_bound_cidrs": .array(tokenBoundCIDRs.map { .string($0) }),
            "token_explicit_max_ttl": .int(tokenExplicitMaxTTL),
            "token_max_ttl": .int(tokenMaxTTL),
            "token_no_default_policy": .bool(tokenNoDefaultPolicy),
            "token_num_uses": .int(tokenNumUses),
            "token_period": .int(tokenPeriod),
            "token_policies": .array(tokenPolicies.map { .string($0) }),
            "token_strictly_bind_ip": .bool(tokenStrictlyBindIP),
            "token_ttl": .int(tokenTTL),
            "token_type": .string(tokenType),
        ]
        if legacyTTL && tokenTTL > 0 { d["ttl"] = .int(tokenTTL) }
        if legacyMaxTTL && tokenMaxTTL > 0 { d["max_ttl"] = .int(tokenMaxTTL) }
        if legacyPolicies && !tokenPolicies.isEmpty { d["policies"] = d["token_policies"] }
        if legacyBoundCIDRs && !tokenBoundCIDRs.isEmpty { d["bound_cidrs"] = d["token_bound_cidrs"] }
        return d
    }

    var stored: JSONValue {
        var o = responseData.filter { $0.key.hasPrefix("token_") }
        o["password_hash"] = .string(passwordHash)
        o["password_scheme"] = .string(passwordScheme.rawValue)
        o["legacy_policies"] = .bool(legacyPolicies)
        o["legacy_ttl"] = .bool(legacyTTL)
        o["legacy_max_ttl"] = .bool(legacyMaxTTL)
        o["legacy_bound_cidrs"] = .bool(legacyBoundCIDRs)
        return .object(o)
    }

    init() {}

    init(stored v: JSONValue) throws {
        guard let o = v.objectValue, let hash = o["password_hash"]?.stringValue,
            let scheme = o["password_scheme"]?.stringValue.flatMap(PasswordHasher.Scheme.init(rawValue:))
        else {
            throw LogicalError.internalError("corrupt userpass user record")
        }
        func strings(_ k: String) -> [String] { o[k]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        func int(_ k: String) -> Int64 { o[k]?.intValue ?? 0 }
        func bool(_ k: String) -> Bool { o[k]?.boolValue ?? false }
        passwordHash = hash
        passwordScheme = scheme
        tokenPolicies = strings("token_policies")
        tokenTTL = int("token_ttl")
        tokenMaxTTL = int("token_max_ttl")
        tokenExplicitMaxTTL = int("token_explicit_max_ttl")
        tokenPeriod = int("token_period")
        tokenNumUses = int("token_num_uses")
        tokenBoundCIDRs = strings("token_bound_cidrs")
        tokenNoDefaultPolicy = bool("token_no_default_policy")
        tokenStrictlyBindIP = bool("token_strictly_bind_ip")
        tokenType = o["token_type"]?.stringValue ?? "default"
        legacyPolicies = bool("legacy_policies")
        legacyTTL = bool("legacy_ttl")
        legacyMaxTTL = bool("legacy_max_ttl")
        legacyBoundCIDRs = bool("legacy_bound_cidrs")
    }

    /// The auth a login (or renewal) of this user yields. The core has one max TTL: the stricter of
    /// `token_max_ttl` and `token_explicit_max_ttl`.
    func authInfo(username: String) -> AuthInfo {
        let maxes = [tokenMaxTTL, tokenExplicitMaxTTL].filter { $0 > 0 }
        return AuthInfo(
            policies: tokenPolicies,
            metadata: ["username": username],
            displayName: username,
            ttl: tokenTTL > 0 ? tokenTTL : nil,
            maxTTL: maxes.min(),
            period: tokenPeriod > 0 ? tokenPeriod : nil,
            numUses: Int(tokenNumUses),
            renewable: true,
            alias: AuthAlias(name: username),
            boundCIDRs: tokenBoundCIDRs,
            noDefaultPolicy: tokenNoDefaultPolicy,
            tokenType: tokenType,
            internalData: ["username": username]
        )
    }
}

/// The token settings of a user write, decoded up front (conversion errors come before any other check, as in
/// OpenBao) and applied onto the stored entry.
struct TokenFieldsInput {
    var policies: [String]?
    var legacyPolicies: [String]?
    var ttl: Int64?
    var legacyTTL: Int64?
    var maxTTL: Int64?
    var legacyMaxTTL: Int64?
    var boundCIDRs: [String]?
    var legacyBoundCIDRs: [String]?
    var explicitMaxTTL: Int64?
    var period: Int64?
    var numUses: Int64?
    var noDefaultPolicy: Bool?
    var strictlyBindIP: Bool?
    var tokenType: String?

    init(_ f: Fields) throws {
        boundCIDRs = try f.commaStringSlice("token_bound_cidrs")
        legacyBoundCIDRs = try f.commaStringSlice("bound_cidrs")
        explicitMaxTTL = try f.durationSeconds("token_explicit_max_ttl")
        maxTTL = try f.durationSeconds("token_max_ttl")
        legacyMaxTTL = try f.durationSeconds("max_ttl")
        noDefaultPolicy = try f.bool("token_no_default_policy")
        numUses = try f.int("token_num_uses")
        period = try f.durationSeconds("token_period")
        policies = try f.commaStringSlice("token_policies")
        legacyPolicies = try f.commaStringSlice("policies")
        strictlyBindIP = try f.bool("token_strictly_bind_ip")
        tokenType = try f.string("token_type")
        ttl = try f.durationSeconds("token_ttl")
        legacyTTL = try f.durationSeconds("ttl")
    }

    /// A new/legacy pair: the new name wins when both are given; giving only the new name drops the legacy echo.
    static func upgrade<T>(_ new: T?, _ legacy: T?, value: inout T, legacyFlag: inout Bool) {
        if let new {
            value = new
            legacyFlag = legacy != nil
        } else if let legacy {
            value = legacy
            legacyFlag = true
        }
    }

    func apply(to u: inout UserEntry) throws {
        if let boundCIDRs { u.tokenBoundCIDRs = try CIDRs.canonicalize(boundCIDRs) }
        if let explicitMaxTTL { u.tokenExplicitMaxTTL = explicitMaxTTL }
        if let maxTTL { u.tokenMaxTTL = maxTTL }
        if let noDefaultPolicy { u.tokenNoDefaultPolicy = noDefaultPolicy }
        if let numUses {
            guard numUses >= 0 else { throw LogicalError.invalidRequest("'token_num_uses' cannot be negative") }
            u.tokenNumUses = numUses
        }
        if let period { u.tokenPeriod = period }
        if let policies { u.tokenPolicies = policies }
        if let strictlyBindIP { u.tokenStrictlyBindIP = strictlyBindIP }
        if let tokenType {
            guard ["default", "service", "batch"].contains(tokenType) else {
                throw LogicalError.invalidRequest("invalid 'token_type' value \"\(tokenType)\"")
            }
            u.tokenType = tokenType
        }
        if let ttl { u.tokenTTL = ttl }

        Self.upgrade(policies, legacyPolicies, value: &u.tokenPolicies, legacyFlag: &u.legacyPolicies)
        Self.upgrade(ttl, legacyTTL, value: &u.tokenTTL, legacyFlag: &u.legacyTTL)
        Self.upgrade(maxTTL, legacyMaxTTL, value: &u.tokenMaxTTL, legacyFlag: &u.legacyMaxTTL)
        let legacyCIDRs = try legacyBoundCIDRs.map(CIDRs.canonicalize)
        Self.upgrade(
            boundCIDRs != nil ? u.tokenBoundCIDRs : nil, legacyCIDRs, value: &u.tokenBoundCIDRs, legacyFlag: &u.legacyBoundCIDRs)

        if u.tokenType == "batch" {
            if u.tokenPeriod > 0 {
                throw LogicalError.invalidRequest(
                    "'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens")
            }
            if u.tokenNumUses > 0 {
                throw LogicalError.invalidRequest(
                    "'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with limited use count")
            }
        }
        if u.tokenMaxTTL > 0 && u.tokenTTL > u.tokenMaxTTL {
            throw LogicalError.invalidRequest("'token_ttl' cannot be greater than 'token_max_ttl'")
        }
    }
}
