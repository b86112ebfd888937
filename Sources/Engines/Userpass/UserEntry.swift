import CofferSDK

/// One user, stored as JSON at `user/<username>`.
///
/// The legacy fields (`policies`, `ttl`, `max_ttl`, `bound_cidrs`) are not stored separately: OpenBao keeps them
/// equal to their `token_*` counterparts whenever they are set, so a flag per field records whether the last write
/// used the legacy name, and reads then echo the `token_*` value under the legacy name too.
/// The token settings themselves are the shared ``TokenParameters``.
struct UserEntry: Equatable {
    /// bcrypt hash (`$2b$...`); see ``PasswordHasher``.
    var passwordHash: String = ""
    var passwordScheme: PasswordHasher.Scheme = .prehashed
    var token = TokenParameters()
    /// The deprecated names the last write used, echoed on reads beside their `token_*` values.
    var legacy: Set<TokenParameters.Legacy> = []

    static func storageKey(_ name: String) -> String { "user/" + name }

    /// The read response's `data`, in OpenBao's shape.
    var responseData: [String: JSONValue] {
        var d = token.responseData
        if legacy.contains(.ttl) && token.ttl > 0 { d["ttl"] = .int(token.ttl) }
        if legacy.contains(.maxTTL) && token.maxTTL > 0 { d["max_ttl"] = .int(token.maxTTL) }
        if legacy.contains(.policies) && !token.policies.isEmpty { d["policies"] = d["token_policies"] }
        if legacy.contains(.boundCIDRs) && !token.boundCIDRs.isEmpty { d["bound_cidrs"] = d["token_bound_cidrs"] }
        return d
    }

    var stored: JSONValue {
        var o = token.responseData
        o["password_hash"] = .string(passwordHash)
        o["password_scheme"] = .string(passwordScheme.rawValue)
        o["legacy_policies"] = .bool(legacy.contains(.policies))
        o["legacy_ttl"] = .bool(legacy.contains(.ttl))
        o["legacy_max_ttl"] = .bool(legacy.contains(.maxTTL))
        o["legacy_bound_cidrs"] = .bool(legacy.contains(.boundCIDRs))
        return .object(o)
    }

    init() {}

    init(stored v: JSONValue) throws {
        guard let o = v.objectValue, let hash = o["password_hash"]?.stringValue,
            let scheme = o["password_scheme"]?.stringValue.flatMap(PasswordHasher.Scheme.init(rawValue:))
        else {
            throw LogicalError.internalError("corrupt userpass user record")
        }
        passwordHash = hash
        passwordScheme = scheme
        token = TokenParameters(stored: o)
        let flags: [(String, TokenParameters.Legacy)] = [
            ("legacy_policies", .policies), ("legacy_ttl", .ttl), ("legacy_max_ttl", .maxTTL), ("legacy_bound_cidrs", .boundCIDRs),
        ]
        for (key, l) in flags where o[key]?.boolValue == true { legacy.insert(l) }
    }

    /// The token settings of a write, over the stored ones: the `token_*` names, then the deprecated ones (a name
    /// sent alone sets the value; a legacy name sent is echoed on reads, one not sent while its new name is stops
    /// being echoed).
    mutating func applyTokenFields(_ d: FieldData) throws {
        try token.parse(d)
        let sent = try token.upgradeLegacy(d, from: UserpassEngine.legacy)
        for l in UserpassEngine.legacy {
            if sent.contains(l) {
                legacy.insert(l)
            } else if d.has(l.newName) {
                legacy.remove(l)
            }
        }
    }

    /// The auth a login (or renewal) of this user yields.
    func authInfo(username: String) -> AuthInfo {
        var auth = AuthInfo(
            metadata: ["username": username], displayName: username, renewable: true, alias: AuthAlias(name: username),
            internalData: ["username": username])
        token.apply(to: &auth)
        return auth
    }
}
