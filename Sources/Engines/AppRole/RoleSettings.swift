import CofferSDK

/// One setting of a role with a path of its own (`role/:role_name/token-ttl` ...): its fields, and how it is read,
/// written and cleared. Every such path is declared from ``all``.
struct RoleSetting: Sendable {
    /// The last segment of the path.
    let path: String
    let fields: [Field]
    let synopsis: String
    let read: @Sendable (RoleEntry) -> LogicalResponse
    /// nil: the setting is read-only.
    let write: (@Sendable (inout RoleEntry, FieldData) throws -> Void)?
    let clear: (@Sendable (inout RoleEntry) -> Void)?

    var enginePath: EnginePath<AppRoleAuth> {
        var operations: [Operation: OperationHandler<AppRoleAuth>] = [
            .read: .init("Read the role's \(path).") { engine, request in try await engine.readSetting(self, request) }
        ]
        if write != nil {
            operations[.update] = .init("Set the role's \(path).", noContent: true) { engine, request in
                try await engine.writeSetting(self, request)
            }
        }
        if clear != nil {
            operations[.delete] = .init("Reset the role's \(path) to its default.", noContent: true) { engine, request in
                try await engine.clearSetting(self, request)
            }
        }
        return EnginePath(
            "role/{role_name}/" + path, fields: [AppRoleAuth.roleNameField] + fields, operations: operations,
            synopsis: synopsis,
            description: "Reads, sets or resets one setting of an existing role; the same setting can be written on the role's own path.")
    }

    static func data(_ d: [String: JSONValue]) -> LogicalResponse { LogicalResponse(data: d) }

    static func missing(_ name: String) -> LogicalError { .invalidRequest("missing \(name)") }

    /// A `token_*` field as the shared token settings declare it.
    static func tokenField(_ name: String) -> Field {
        TokenParameters.fields().first { $0.name == name } ?? Field(name, .string)
    }

    /// A setting held in one integer (seconds or a count) of the role.
    static func number(
        _ path: String, _ field: Field, _ key: any WritableKeyPath<RoleEntry, Int64> & Sendable, synopsis: String,
        check: @escaping @Sendable (RoleEntry, Int64) throws -> Void = { _, _ in }
    ) -> RoleSetting {
        let name = field.name
        return RoleSetting(
            path: path, fields: [field], synopsis: synopsis,
            read: { data([name: .int($0[keyPath: key])]) },
            write: { role, d in
                guard let value = try d.intIfSet(name) else { throw missing(name) }
                try check(role, value)
                role[keyPath: key] = value
            },
            clear: { $0[keyPath: key] = 0 })
    }

    /// The role's secret-ID CIDR blocks, under their name or the deprecated `bound_cidr_list`.
    static func secretIDCIDRs(_ path: String, _ field: Field, synopsis: String, read: @escaping @Sendable (RoleEntry) -> LogicalResponse,
        clear: @escaping @Sendable (inout RoleEntry) -> Void
    ) -> RoleSetting {
        RoleSetting(
            path: path, fields: [field], synopsis: synopsis, read: read,
            write: { role, d in
                guard let cidrs = try d.stringsIfSet(field.name) else { return }
                if cidrs.isEmpty { throw missing("bound_cidr_list") }
                if let bad = CIDRChecks.firstInvalid(cidrs) {
                    throw LogicalError.invalidRequest("failed to validate CIDR blocks: invalid CIDR address: \(bad)")
                }
                role.secretIDBoundCIDRs = cidrs
            },
            clear: clear)
    }

    static let secretIDBoundCIDRs = Field(
        "secret_id_bound_cidrs", .commaStringSlice,
        "CIDR blocks (comma-separated or a list) that logins with this role's secret IDs must come from.")
    static let boundCIDRList = Field(
        "bound_cidr_list", .commaStringSlice, deprecated: true, "Deprecated: use \"secret_id_bound_cidrs\".")

    static let all: [RoleSetting] = [
        RoleSetting(
            path: "policies", fields: [TokenParameters.Legacy.policies.field, tokenField("token_policies")],
            synopsis: "The policies of the tokens a role's logins get.",
            read: { role in
                var d: [String: JSONValue] = ["token_policies": strings(role.tokenPolicies)]
                if !role.policies.isEmpty { d["policies"] = strings(role.tokenPolicies) }
                return data(d)
            },
            write: { role, d in
                // `token_policies` wins; the deprecated name is kept (equal) only when it was sent too.
                if let p = try d.stringsIfSet("token_policies") {
                    role.tokenPolicies = sanitizePolicies(p)
                    role.policies = d.has("policies") ? role.tokenPolicies : []
                } else if let p = try d.stringsIfSet("policies") {
                    role.tokenPolicies = sanitizePolicies(p)
                    role.policies = role.tokenPolicies
                } else {
                    throw missing("token_policies")
                }
            },
            clear: { role in
                role.tokenPolicies = []
                role.policies = []
            }),
        number(
            "token-ttl", tokenField("token_ttl"), \.tokenTTL, synopsis: "The initial TTL of the tokens a role's logins get.",
            check: { role, v in
                if role.tokenMaxTTL > 0, v > role.tokenMaxTTL {
                    throw LogicalError.invalidRequest("token_ttl should not be greater than token_max_ttl")
                }
            }),
        number(
            "token-max-ttl", tokenField("token_max_ttl"), \.tokenMaxTTL, synopsis: "The maximum TTL of the tokens a role's logins get.",
            check: { role, v in
                if v > 0, role.tokenTTL > v {
                    throw LogicalError.invalidRequest("token_max_ttl should be greater than or equal to token_ttl")
                }
            }),
        number(
            "token-num-uses", tokenField("token_num_uses"), \.tokenNumUses,
            synopsis: "How many requests the tokens a role's logins get may make."),
        number(
            "secret-id-num-uses",
            Field("secret_id_num_uses", .int, "How many logins a secret ID of this role allows; 0 for no limit."),
            \.secretIDNumUses, synopsis: "How many logins each new secret ID of a role allows.",
            check: { _, v in
                if v < 0 { throw LogicalError.invalidRequest("secret_id_num_uses cannot be negative") }
            }),
        number(
            "secret-id-ttl", Field("secret_id_ttl", .durationSecond, "How long a secret ID of this role lives; 0 for no expiry."),
            \.secretIDTTL, synopsis: "How long each new secret ID of a role lives."),
        RoleSetting(
            path: "period", fields: [TokenParameters.Legacy.period.field, tokenField("token_period")],
            synopsis: "The renewal period of the tokens a role's logins get.",
            read: { role in
                var d: [String: JSONValue] = ["token_period": .int(role.tokenPeriod)]
                if role.period > 0 { d["period"] = .int(role.tokenPeriod) }
                return data(d)
            },
            write: { role, d in
                // `token_period` wins; the deprecated name is kept (equal) only when it was sent too.
                if let p = try d.durationIfSet("token_period") {
                    role.tokenPeriod = p
                    role.period = d.has("period") ? p : 0
                } else if let p = try d.durationIfSet("period") {
                    role.tokenPeriod = p
                    role.period = p
                } else {
                    throw missing("period")
                }
            },
            clear: { role in
                role.tokenPeriod = 0
                role.period = 0
            }),
        RoleSetting(
            path: "token-bound-cidrs", fields: [tokenField("token_bound_cidrs")],
            synopsis: "The CIDR blocks the tokens a role's logins get may be used from.",
            read: { data(["token_bound_cidrs": $0.tokenBoundCIDRs.map(strings) ?? .null]) },
            write: { role, d in
                guard let list = try d.stringsIfSet("token_bound_cidrs") else { return }
                do {
                    role.tokenBoundCIDRs = try TokenParameters.parseAddrs(list)
                } catch let e as LogicalError {
                    throw LogicalError.invalidRequest("failed to parse token_bound_cidrs: " + e.description)
                }
            },
            clear: { $0.tokenBoundCIDRs = nil }),
        secretIDCIDRs(
            "secret-id-bound-cidrs", secretIDBoundCIDRs, synopsis: "The CIDR blocks logins with a role's secret IDs must come from.",
            read: { data(["secret_id_bound_cidrs": $0.secretIDBoundCIDRs.isEmpty ? .null : strings($0.secretIDBoundCIDRs)]) },
            clear: { $0.secretIDBoundCIDRs = [] }),
        // The deprecated name of `secret-id-bound-cidrs`: writes set the same blocks, reads show the (never kept)
        // deprecated list as null with a warning, and deleting it leaves the blocks as they are, as in OpenBao.
        secretIDCIDRs(
            "bound-cidr-list", boundCIDRList, synopsis: "Deprecated: use secret-id-bound-cidrs.",
            read: { _ in
                LogicalResponse(
                    data: ["bound_cidr_list": .null],
                    warnings: ["The \"bound_cidr_list\" field is deprecated and will be removed. Please use \"secret_id_bound_cidrs\" instead."])
            },
            clear: { _ in }),
        RoleSetting(
            path: "local-secret-ids", fields: [], synopsis: "Whether a role's secret IDs are local to the cluster (set on creation only).",
            read: { data(["local_secret_ids": .bool($0.localSecretIDs)]) }, write: nil, clear: nil),
    ]
}
