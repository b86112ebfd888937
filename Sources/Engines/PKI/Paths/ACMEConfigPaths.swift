import CofferSDK
import Foundation

/// `config/acme` (whether and how the mount serves ACME) and `config/cluster` (the URL the mount is reached at,
/// which ACME needs to write its URLs and check each request's).
extension PKIEngine {
    static let acmeConfigFields: [Field] = [
        .bool("enabled", "Whether the ACME directories of this mount are served."),
        .strings("allowed_issuers", "Issuers ACME may use (`*`: any)."),
        .strings("allowed_roles", "Roles ACME may use (`*`: any)."),
        .bool("allow_role_ext_key_usage", "Whether a role's extended key usages are kept (otherwise server auth only)."),
        .string("default_directory_policy", "sign-verbatim, forbid, or role:NAME: the policy of the directories without a role."),
        .string("dns_resolver", "DNS resolver for challenges (host:port)."),
        .string("eab_policy", "External account binding: only not-required is supported."),
        .duration("max_ttl", "The longest lifetime of an ACME certificate."),
    ]

    func loadACMEConfig(_ storage: any LogicalStorage) async throws -> ACMEConfig {
        try await PKIStore.load(ACMEConfig.self, storage, ACMEStore.config) ?? ACMEConfig()
    }

    func loadClusterConfig(_ storage: any LogicalStorage) async throws -> ClusterConfig {
        try await PKIStore.load(ClusterConfig.self, storage, ACMEStore.cluster) ?? ClusterConfig()
    }

    static func acmeConfigJSON(_ c: ACMEConfig) -> [String: JSONValue] {
        [
            "enabled": .bool(c.enabled), "allowed_issuers": .array(c.allowedIssuers.map { .string($0) }),
            "allowed_roles": .array(c.allowedRoles.map { .string($0) }), "allow_role_ext_key_usage": .bool(c.allowRoleExtKeyUsage),
            "default_directory_policy": .string(c.defaultDirectoryPolicy), "dns_resolver": .string(c.dnsResolver),
            "eab_policy": .string(c.eabPolicy), "max_ttl": .int(c.maxTTL),
        ]
    }

    func readACMEConfig(_ r: PathRequest) async throws -> LogicalResponse? {
        let c = try await loadACMEConfig(r.storage)
        var warnings: [String] = []
        if c.enabled, try await loadClusterConfig(r.storage).path.isEmpty { warnings.append(Self.clusterPathMissing) }
        return LogicalResponse(data: Self.acmeConfigJSON(c), warnings: warnings)
    }

    static let clusterPathMissing = "ACME feature requires local cluster 'path' field configuration to be set"

    /// Writes `config/acme`, validated as OpenBao does (its errors are 500s, as OpenBao's plain errors are).
    func writeACMEConfig(_ r: PathRequest) async throws -> LogicalResponse? {
        func fail(_ m: String) -> LogicalError { LogicalError.goError(.internal, m) }
        var c = try await loadACMEConfig(r.storage)
        let f = r.fields
        if let v = try f.boolIfSet("enabled") { c.enabled = v }
        if let v = try f.stringsIfSet("allowed_roles") {
            guard !v.isEmpty else {
                throw fail("allowed_roles must take a non-zero length value; specify '*' as the value to allow anything or specify enabled=false to disable ACME entirely")
            }
            c.allowedRoles = v
        }
        if let v = try f.boolIfSet("allow_role_ext_key_usage") { c.allowRoleExtKeyUsage = v }
        if let v = try f.stringIfSet("default_directory_policy") { c.defaultDirectoryPolicy = v }
        if let v = try f.stringsIfSet("allowed_issuers") {
            guard !v.isEmpty else {
                throw fail("allowed_issuers must take a non-zero length value; specify '*' as the value to allow anything or specify enabled=false to disable ACME entirely")
            }
            c.allowedIssuers = v
        }
        if let v = try f.stringIfSet("dns_resolver") { c.dnsResolver = v }
        if let v = try f.stringIfSet("eab_policy") {
            guard ["not-required", "new-account-required", "always-required"].contains(v) else {
                throw fail("invalid eab policy name provided, valid values are 'not-required', 'new-account-required', 'always-required'")
            }
            c.eabPolicy = v
        }
        if let v = try f.durationIfSet("max_ttl") {
            guard v >= 0 else { throw LogicalError.invalidRequest("max_ttl must not be negative") }
            c.maxTTL = v == 0 ? ACMEConfig().maxTTL : v
        }
        // The default directory's policy.
        let policy = c.defaultDirectoryPolicy
        var defaultRole: String?
        if policy.hasPrefix("role:") {
            let name = String(policy.dropFirst(5))
            guard !name.isEmpty else { throw fail("invalid default_directory_policy: no role specified by policy \(policy)") }
            try await validateACMERole(r.storage, name, context: "default directory policy role \(name) is not a valid ACME role")
            defaultRole = name
        } else if policy != "sign-verbatim", policy != "forbid" {
            throw fail("invalid default_directory_policy: string \(policy) not a valid Default Directory Policy")
        }
        // Named roles and issuers must exist.
        if c.allowedRoles != ["*"] {
            for (i, name) in c.allowedRoles.enumerated() {
                if name == "*" { throw fail("cannot use '*' as role name at index \(i)") }
                try await validateACMERole(r.storage, name, context: "allowed_role \(name) is not a valid acme role")
            }
            if let defaultRole, !c.allowedRoles.contains(defaultRole) {
                throw fail("default directory policy \(policy) was not specified in allowed_roles: [\(c.allowedRoles.joined(separator: " "))]")
            }
        }
        if c.allowedIssuers != ["*"] {
            for (i, name) in c.allowedIssuers.enumerated() {
                if name == "*" { throw fail("cannot use '*' as issuer name at index \(i)") }
                do {
                    _ = try await resolveIssuer(r.storage, name)
                } catch {
                    throw fail("failed validating allowed_issuers: unable to fetch issuer: \(name)")
                }
            }
        }
        // Not implemented here (OpenBao has them): external account binding and DNS challenges.
        guard c.eabPolicy == "not-required" else {
            throw LogicalError.invalidRequest("eab_policy \(c.eabPolicy) is not supported: external account binding is not implemented")
        }
        if !c.dnsResolver.isEmpty {
            throw LogicalError.invalidRequest("dns_resolver is not supported: only http-01 challenges are offered")
        }
        if c.enabled, try await loadClusterConfig(r.storage).path.isEmpty { throw fail(Self.clusterPathMissing) }
        try await PKIStore.save(c, r.storage, ACMEStore.config)
        return LogicalResponse(data: Self.acmeConfigJSON(c))
    }

    /// A role ACME may use: it exists and stores its certificates.
    func validateACMERole(_ storage: any LogicalStorage, _ name: String, context: String) async throws {
        guard let role = try await loadRole(storage, name) else {
            throw LogicalError.goError(.internal, context + ": The request message was malformed: role does not exist")
        }
        if role["no_store"]?.boolValue == true {
            throw LogicalError.goError(.internal, context + ": The server experienced an internal error: role can not be used as NoStore is set to true")
        }
    }

    func readClusterConfig(_ r: PathRequest) async throws -> LogicalResponse? {
        let c = try await loadClusterConfig(r.storage)
        return LogicalResponse(data: ["path": .string(c.path), "aia_path": .string(c.aiaPath)])
    }

    func writeClusterConfig(_ r: PathRequest) async throws -> LogicalResponse? {
        var c = try await loadClusterConfig(r.storage)
        if let v = try r.fields.stringIfSet("path") { c.path = v }
        if let v = try r.fields.stringIfSet("aia_path") { c.aiaPath = v }
        for (name, url) in [("path", c.path), ("aia_path", c.aiaPath)] where !url.isEmpty {
            guard let u = URL(string: url), u.scheme == "http" || u.scheme == "https", u.host != nil else {
                throw LogicalError.invalidRequest("failed to parse \(name): \(url) is not an http or https URL")
            }
        }
        try await PKIStore.save(c, r.storage, ACMEStore.cluster)
        return LogicalResponse(data: ["path": .string(c.path), "aia_path": .string(c.aiaPath)])
    }
}
