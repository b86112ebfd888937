import CofferSDK

/// One request to the core's `sys/` backend: what its handlers are given besides the path's fields.
struct SystemCall: Sendable {
    let core: Core
    let request: CoreRequest
    /// The calling token (nil on the few unauthenticated paths).
    let token: TokenEntry?
}

extension CoreResponse: RouteOutput {
    public mutating func addWarning(_ warning: String) -> Bool {
        guard !isEmpty else { return false }
        warnings.append(warning)
        return true
    }

    public static func help(_ data: [String: JSONValue]) -> CoreResponse { CoreResponse(data: data) }
}

/// The `sys/` backend's paths, declared once like an engine's: routing, fields, sudo and unauthenticated paths,
/// path-help and the OpenAPI document come from this table (the endpoints that work while sealed live in the HTTP
/// layer).
enum SystemBackend {
    typealias Path = RoutePath<SystemCall, CoreResponse>
    typealias Handler = RouteHandler<SystemCall, CoreResponse>

    static let mountFields: [Field] = [
        Field("config", .map, "Configuration of the mount: default_lease_ttl, max_lease_ttl and the other tunables."),
        Field("description", .string, "A human-friendly description of the mount."),
        Field("external_entropy_access", .bool, "Whether the mount may use external entropy (accepted, not used)."),
        Field("local", .bool, "Mark the mount as local to this cluster."),
        Field("options", .kvPairs, "Options of the engine, such as the kv version."),
        Field("plugin_name", .string, "The name of the plugin (accepted for compatibility)."),
        Field("plugin_version", .string, "The version of the plugin (accepted for compatibility)."),
        Field("seal_wrap", .bool, "Whether to seal-wrap the mount (accepted, not used)."),
        Field("type", .string, "The type of the engine or auth method."),
        Field("version", .string, "The kv version, for the kv engine."),
    ]

    static let tuneFields: [Field] = [
        Field("allowed_response_headers", .commaStringSlice, "Response headers the mount may set."),
        Field("audit_non_hmac_request_keys", .commaStringSlice, "Request keys the audit log writes without HMAC."),
        Field("audit_non_hmac_response_keys", .commaStringSlice, "Response keys the audit log writes without HMAC."),
        Field("default_lease_ttl", .string, "The default lease TTL of the mount, as a duration."),
        Field("description", .string, "A human-friendly description of the mount."),
        Field("listing_visibility", .string, "Whether the mount is listed to unauthenticated users (\"unauth\" or \"hidden\")."),
        Field("max_lease_ttl", .string, "The maximum lease TTL of the mount, as a duration."),
        Field("options", .kvPairs, "Options of the engine, such as the kv version."),
        Field("passthrough_request_headers", .commaStringSlice, "Request headers passed to the engine."),
        Field("plugin_version", .string, "The version of the plugin (accepted for compatibility)."),
        Field("token_type", .string, "The type of tokens an auth method issues."),
        Field("user_lockout_config", .map, "Lockout of users after failed logins, for auth methods."),
    ]

    static let policyFields: [Field] = [
        Field("name", .string, "The name of the policy."),
        Field("policy", .string, "The policy document, in HCL or JSON."),
        Field("cas", .int, "Check-and-set version (accepted, not enforced)."),
        Field("cas_required", .bool, "Whether writes must give cas (accepted, not enforced)."),
        Field("allow_slashes_in_identity_templates", .bool, "Accepted for compatibility."),
        Field("allow_wildcards_in_identity_templates", .bool, "Accepted for compatibility."),
        Field("ttl", .durationSecond, "Accepted for compatibility."),
        Field("expiration", .string, "Accepted for compatibility."),
    ]

    static let keyringRotationFields: [Field] = [
        Field("enabled", .bool, "Whether the barrier key rotates by itself."),
        Field("max_operations", .int, "Encryptions under one key term before it rotates (1,000,000 to 3,865,470,566)."),
        Field("interval", .durationSecond, "Age of a key term after which it rotates (at least 24h; 0: no limit)."),
    ]

    /// `sys/rotate/keyring/config` and its older name.
    static func keyringRotationPath(_ pattern: String, _ synopsis: String) -> Path {
        Path(
            pattern, fields: keyringRotationFields,
            operations: [
                .read: sys("Read the automatic rotation settings.") { c, _ in try await c.core.readKeyringRotationConfig() },
                .update: sys("Change the automatic rotation settings.", noContent: true) { c, r in
                    try await c.core.writeKeyringRotationConfig(r.fields)
                },
            ], sudo: true, synopsis: synopsis)
    }

    static let leaseFields: [Field] = [
        Field("lease_id", .string, "The lease to act on."),
        Field("url_lease_id", .string, "The lease to act on, from the path."),
        Field("increment", .durationSecond, "How far to extend the lease, in seconds or as a duration."),
        Field("sync", .bool, "Whether to wait for the revocation (default true); false answers 202 and revokes in the background."),
        Field("prefix", .string, "The lease prefix."),
    ]

    static func sys(_ summary: String = "", noContent: Bool = false, _ f: @escaping @Sendable (SystemCall, PathRequest) async throws -> CoreResponse) -> Handler {
        Handler(summary, noContent: noContent, f)
    }

    static func mountPaths(_ head: String, isAuth: Bool) -> [Path] {
        let what = isAuth ? "auth methods" : "secrets engines"
        return [
            Path(
                head, operations: [.read: sys("List the enabled \(what).") { c, r in try await c.listMounts(r, isAuth: isAuth) }],
                synopsis: "List the enabled \(what)."),
            Path(
                head + "/{path+}/tune", fields: [Field("path", .string, "The mount path.")] + tuneFields,
                operations: [
                    .read: sys("Read the tunable settings of a mount.") { c, r in try await c.readTune(r, isAuth: isAuth) },
                    .update: sys("Tune a mount.") { c, r in try await c.writeTune(r, isAuth: isAuth) },
                ],
                sudo: isAuth, synopsis: "Read and tune the settings of a mount."),
            Path(
                head + "/{path+}", fields: [Field("path", .string, "The mount path.")] + mountFields,
                operations: [
                    .read: sys("Read a mount.") { c, r in try await c.readMount(r, isAuth: isAuth) },
                    .update: sys("Enable an engine or auth method at a path.", noContent: true) { c, r in try await c.enableMount(r, isAuth: isAuth) },
                    .delete: sys("Disable the mount at a path.", noContent: true) { c, r in try await c.disableMount(r, isAuth: isAuth) },
                ],
                sudo: isAuth, synopsis: "Enable, read and disable \(what)."),
        ]
    }

    static func leasePaths(_ prefix: String) -> [Path] {
        ["", "/{url_lease_id+}"].flatMap { tail in
            [
                Path(
                    prefix + "renew" + tail, fields: leaseFields,
                    operations: [.update: sys("Renew a lease.") { c, r in try await c.leases(r, "renew") }],
                    synopsis: "Renew a lease."),
                Path(
                    prefix + "revoke" + tail, fields: leaseFields,
                    operations: [.update: sys("Revoke a lease.", noContent: true) { c, r in try await c.leases(r, "revoke") }],
                    synopsis: "Revoke a lease."),
            ]
        } + [
            Path(
                prefix + "revoke-prefix/{prefix*}", fields: leaseFields,
                operations: [.update: sys("Revoke every lease under a prefix.", noContent: true) { c, r in try await c.leases(r, "revoke-prefix") }],
                sudo: true, synopsis: "Revoke every lease under a prefix."),
            Path(
                prefix + "revoke-force/{prefix*}", fields: leaseFields,
                operations: [.update: sys("Revoke every lease under a prefix, ignoring errors.", noContent: true) { c, r in try await c.leases(r, "revoke-force") }],
                sudo: true, synopsis: "Revoke every lease under a prefix, ignoring errors."),
        ]
    }

    static let router = Router<SystemCall, CoreResponse>(
        mountPaths("mounts", isAuth: false) + mountPaths("auth", isAuth: true) + [
            Path(
                "remount", fields: [Field("from", .string, "The mount to move."), Field("to", .string, "Where to move it.")],
                operations: [.update: sys("Move a mount.") { c, r in try await c.remount(r) }], sudo: true,
                synopsis: "Move a mount to another path."),
            Path(
                "remount/status/{migration_id+}", operations: [.read: sys("Read the status of a mount move.") { c, r in try c.remountStatus(r) }],
                synopsis: "Read the status of a mount move."),
            Path(
                "policy/?", operations: [
                    .read: sys("List the ACL policies.") { c, r in try await c.listPolicies(r, legacy: true) },
                    .list: sys("List the ACL policies.") { c, r in try await c.listPolicies(r, legacy: true) },
                ], synopsis: "List the ACL policies."),
            Path(
                "policy/{name+}", fields: policyFields + [Field("rules", .string, "The policy document (deprecated: use policy).")],
                operations: [
                    .read: sys("Read an ACL policy.") { c, r in try await c.readPolicy(r, legacy: true) },
                    .update: sys("Write an ACL policy.", noContent: true) { c, r in try await c.writePolicy(r) },
                    .delete: sys("Delete an ACL policy.", noContent: true) { c, r in try await c.deletePolicy(r, legacy: true) },
                ], synopsis: "Read, write and delete ACL policies."),
            Path(
                "policies/acl/?", operations: [.list: sys("List the ACL policies.") { c, r in try await c.listPolicies(r, legacy: false) }],
                synopsis: "List the ACL policies."),
            Path(
                "policies/acl/{name+}", fields: policyFields,
                operations: [
                    .read: sys("Read an ACL policy.") { c, r in try await c.readPolicy(r, legacy: false) },
                    .update: sys("Write an ACL policy.", noContent: true) { c, r in try await c.writePolicy(r) },
                    .delete: sys("Delete an ACL policy.", noContent: true) { c, r in try await c.deletePolicy(r, legacy: false) },
                ], synopsis: "Read, write and delete ACL policies."),
        ] + passwordPolicyPaths + ["capabilities", "capabilities-self", "capabilities-accessor"].map { name in
            Path(
                name,
                fields: [
                    Field("path", .commaStringSlice, "The path to check (deprecated: use paths)."),
                    Field("paths", .commaStringSlice, "The paths to check."),
                    Field("token", .string, "The token whose capabilities to report."),
                    Field("accessor", .string, "The accessor of the token whose capabilities to report."),
                ],
                operations: [.update: sys("Report a token's capabilities on paths.") { c, r in try await c.capabilities(r, name) }],
                synopsis: "Report a token's capabilities on paths.")
        } + [
            Path(
                "metrics", fields: [Field("format", .string, query: true, "`prometheus` for Prometheus text; JSON otherwise.")],
                operations: [.read: sys("Read the server's metrics.") { c, r in try await c.core.metricsResponse(format: try r.fields.string("format")) }],
                synopsis: "Read the server's metrics."),
            Path(
                "audit", operations: [.read: sys("List the audit devices.") { c, r in try await c.auditOperation(r, "audit") }],
                sudo: true, synopsis: "List the audit devices."),
            Path(
                "audit/{path+}",
                fields: [
                    Field("path", .string, "The device's path."), Field("type", .string, "The type of device: file, socket or syslog."),
                    Field("description", .string, "A human-friendly description."), Field("local", .bool, "Accepted for compatibility."),
                    Field("options", .kvPairs, "The device's options."),
                ],
                operations: [
                    .update: sys("Enable an audit device.", noContent: true) { c, r in try await c.auditOperation(r, "audit") },
                    .delete: sys("Disable an audit device.", noContent: true) { c, r in try await c.auditOperation(r, "audit") },
                ], sudo: true, synopsis: "Enable and disable audit devices."),
            Path(
                "audit-hash/{path+}", fields: [Field("path", .string, "The device's path."), Field("input", .string, "The text to hash.")],
                operations: [.update: sys("Hash a value with an audit device's key.") { c, r in try await c.auditOperation(r, "audit-hash") }],
                synopsis: "Hash a value as an audit device would."),
            Path(
                "audit-chain/{path+}", fields: [Field("path", .string, "The device's path.")],
                operations: [.read: sys("Read the tamper-evidence chain state of an audit device.") { c, r in try await c.auditOperation(r, "audit-chain") }],
                sudo: true, synopsis: "Read the chain key and position of an audit device, to verify its log."),
            Path(
                "key-status", operations: [.read: sys("Read the barrier key's term and use.") { c, _ in try c.keyStatus() }],
                synopsis: "Read the barrier key's term and use."),
            Path(
                "step-down", operations: [.update: sys("Give up the active node's lock to a standby.", noContent: true) { c, _ in
                    // As Vault does, the request only signals the step-down: it happens once this request (and its
                    // audit entry) is done, since stepping down closes the audit devices and engines it still uses.
                    let core = c.core
                    Task {
                        try? await Task.sleep(for: .milliseconds(50))
                        await core.stepDown()
                    }
                    return CoreResponse()
                }], sudo: true, synopsis: "Make the active node of an HA cluster step down so that a standby takes over."),
            Path(
                "ha-status", operations: [.read: sys("List the nodes of the HA cluster.") { c, _ in c.core.haStatusResponse() }],
                synopsis: "List the active node and the standbys it heard from."),
            Path(
                "rotate", operations: [.update: sys("Rotate the barrier key.", noContent: true) { c, _ in
                    _ = try await c.core.rotateKey()
                    return CoreResponse()
                }], sudo: true, synopsis: "Rotate the barrier encryption key."),
            keyringRotationPath("rotate/keyring/config", "When the barrier key rotates by itself: after max_operations encryptions or interval."),
            keyringRotationPath("rotate/config", "Alias of rotate/keyring/config."),
            Path(
                "leases/lookup", fields: leaseFields,
                operations: [.update: sys("Look up a lease.") { c, r in try await c.leases(r, "lookup") }],
                synopsis: "Look up a lease."),
            Path(
                "leases/lookup/{prefix*}", fields: leaseFields,
                operations: [.list: sys("List the leases under a prefix.") { c, r in try await c.leases(r, "lookup") }],
                sudo: true, synopsis: "List the leases under a prefix."),
            Path(
                "leases/count", fields: [Field("type", .string, "The kind of lease to count: irrevocable.")],
                operations: [.read: sys("Count the irrevocable leases, per mount.") { c, r in
                    try c.core.countLeases(type: try r.fields.stringIfSet("type") ?? "")
                }],
                synopsis: "Count leases."),
            Path(
                "leases", fields: [
                    Field("type", .string, "The kind of lease to list: irrevocable."),
                    Field("limit", .string, "The most leases to list (10,000 by default)."),
                    Field("force", .bool, "List every lease, past the limit."),
                ],
                operations: [.read: sys("List the irrevocable leases.") { c, r in
                    try c.core.listIrrevocableLeases(
                        type: try r.fields.stringIfSet("type") ?? "", limit: try r.fields.stringIfSet("limit"),
                        force: try r.fields.boolIfSet("force") ?? false)
                }],
                sudo: true, synopsis: "List leases."),
            Path(
                "leases/tidy", operations: [.update: sys("Remove expired leases.") { c, r in
                    try await c.core.handleLeases(r.operation, action: "tidy", rest: "", data: [:])
                }],
                synopsis: "Remove expired leases."),
        ] + leasePaths("leases/") + leasePaths("") + [
            Path(
                "locked-users", operations: [.read: sys("List the users locked out after failed logins.") { c, _ in
                    c.core.lockedUsers(unlockAccessor: nil, identifier: nil)
                }], synopsis: "List the users locked out after failed logins."),
            Path(
                "locked-users/{mount_accessor}/unlock/{alias_identifier+}",
                operations: [.update: sys("Unlock a user.") { c, r in
                    c.core.lockedUsers(unlockAccessor: try r.fields.string("mount_accessor"), identifier: try r.fields.string("alias_identifier"))
                }], synopsis: "Unlock a user locked out after failed logins."),
            Path(
                "tools/hash/{urlalgorithm+?}",
                fields: [
                    Field("input", .string, "The base64-encoded input to hash."), Field("algorithm", .string, default: "sha2-256", "The hash algorithm."),
                    Field("urlalgorithm", .string, "The hash algorithm, from the path."), Field("format", .string, default: "hex", "hex or base64."),
                ],
                operations: [.update: sys("Hash data.") { c, r in try c.tool(r, "hash", rest: try r.fields.string("urlalgorithm")) }],
                synopsis: "Hash data."),
            Path(
                // OpenBao's `random(/source)?(/urlbytes)?`, the byte count possibly holding `/` (then refused).
                "tools/random/{source?}/{urlbytes+?}",
                fields: randomFields,
                operations: [.update: sys("Generate random bytes.") { c, r in
                    let parts = [try r.fields.string("source"), try r.fields.string("urlbytes")].filter { !$0.isEmpty }
                    return try c.tool(r, "random", rest: parts.joined(separator: "/"))
                }], synopsis: "Generate random bytes."),
            Path(
                "wrapping/wrap", operations: [.update: sys("Wrap the request's data in a wrapping token.") { c, r in
                    guard c.request.wrapTTL != nil else { throw LogicalError.invalidRequest("endpoint requires response wrapping to be used") }
                    return CoreResponse(data: r.data)
                }], takesArbitraryInput: true, synopsis: "Wrap arbitrary data in a wrapping token."),
        ] + ["lookup", "unwrap", "rewrap"].map { op in
            Path(
                "wrapping/" + op, fields: [Field("token", .string, "The wrapping token.")],
                operations: [.update: sys("\(op.prefix(1).uppercased() + op.dropFirst()) a wrapping token.") { c, r in
                    try await c.core.wrappingOperation(op, wrappingToken: try r.fields.string("token"))
                }], unauthenticated: op == "lookup", synopsis: "\(op.prefix(1).uppercased() + op.dropFirst()) a response-wrapping token.")
        } + [
            Path(
                "seal", operations: [.update: sys("Seal the server.", noContent: true) { c, _ in
                    try await c.core.seal()
                    return CoreResponse()
                }], sudo: true, synopsis: "Seal the server."),
            Path(
                "internal/ui/mounts", operations: [.read: sys("List the mounts the caller may see.") { c, _ in try await c.uiMounts() }],
                unauthenticated: true, synopsis: "List the mounts the caller may see, for user interfaces."),
            Path(
                "internal/ui/mounts/{path+}", operations: [.read: sys("Read a mount the caller may use.") { c, r in try await c.uiMount(r) }],
                unauthenticated: true, synopsis: "Read the mount that serves a path, for user interfaces."),
            Path(
                "internal/specs/openapi",
                fields: [Field("generic_mount_paths", .bool, query: true, "Accepted for compatibility (mount paths are always literal here).")],
                operations: [.read: sys("Read the OpenAPI document of the mounted paths.") { c, _ in
                    // The document itself, not a response envelope, as OpenBao sends it.
                    CoreResponse(data: [
                        "http_status_code": 200, "http_content_type": "application/json",
                        "http_raw_body": .string(try await c.core.openAPIDocument(token: c.token).serialized()),
                    ])
                }], unauthenticated: true, synopsis: "The OpenAPI document of every path the caller may reach."),
        ],
        help: "The system backend: mounts, policies, audit devices, leases, tokens' capabilities and the server's own state.")

    static let randomFields: [Field] = [
        Field("source", .string, default: "platform", "Where the bytes come from: platform, seal or all."),
        Field("urlbytes", .string, "The number of bytes, from the path."), Field("bytes", .int, default: 32, "The number of bytes."),
        Field("format", .string, default: "base64", "hex or base64."),
    ]

    /// Sudo paths that are not served (yet) but must still refuse a token without sudo before they 404, as in OpenBao.
    static let undeclaredSudoPaths = ["raw", "raw/*", "config/*", "plugins/catalog/*", "internal/inspect/*", "storage/raft/*"]
}
