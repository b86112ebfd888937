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
        LogicalResponse(data: Self.acmeConfigJSON(try await loadACMEConfig(r.storage)))
    }

    func writeACMEConfig(_ r: PathRequest) async throws -> LogicalResponse? {
        var c = try await loadACMEConfig(r.storage)
        let f = r.fields
        if let v = try f.boolIfSet("enabled") { c.enabled = v }
        if let v = try f.stringsIfSet("allowed_issuers") { c.allowedIssuers = v }
        if let v = try f.stringsIfSet("allowed_roles") { c.allowedRoles = v }
        if let v = try f.boolIfSet("allow_role_ext_key_usage") { c.allowRoleExtKeyUsage = v }
        if let v = try f.stringIfSet("default_directory_policy") { c.defaultDirectoryPolicy = v.isEmpty ? "sign-verbatim" : v }
        if let v = try f.stringIfSet("dns_resolver") { c.dnsResolver = v }
        if let v = try f.stringIfSet("eab_policy") { c.eabPolicy = v.isEmpty ? "not-required" : v }
        if let v = try f.durationIfSet("max_ttl") {
            guard v >= 0 else { throw LogicalError.invalidRequest("max_ttl must not be negative") }
            c.maxTTL = v == 0 ? ACMEConfig().maxTTL : v
        }
        let policy = c.defaultDirectoryPolicy
        if policy.hasPrefix("role:") {
            let name = String(policy.dropFirst(5))
            guard try await loadRole(r.storage, name) != nil else {
                throw LogicalError.invalidRequest("default directory policy role \(name) does not exist")
            }
        } else if policy != "sign-verbatim", policy != "forbid" {
            throw LogicalError.invalidRequest("invalid default_directory_policy \(policy): use sign-verbatim, forbid or role:<name>")
        }
        guard c.eabPolicy == "not-required" else {
            throw LogicalError.invalidRequest("eab_policy \(c.eabPolicy) is not supported: external account binding is not implemented")
        }
        if !c.dnsResolver.isEmpty {
            throw LogicalError.invalidRequest("dns_resolver is not supported: only http-01 challenges are offered")
        }
        try await PKIStore.save(c, r.storage, ACMEStore.config)
        return LogicalResponse(data: Self.acmeConfigJSON(c))
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
