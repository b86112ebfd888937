import CofferSDK

/// One trusted certificate and its constraints (a role of the `cert` method), stored as JSON at `cert/<name>`.
///
/// The `allowed_*` lists are optional: a list never written reads as `null`, one written empty as `[]`, as OpenBao
/// shows them. The token settings are the shared ``TokenParameters``; the deprecated names (`policies`, `ttl`,
/// `max_ttl`, `period`, `bound_cidrs`, `lease`) set them and are echoed on reads when the last write used them.
struct CertEntry: Equatable {
    var name: String
    /// PEM: one certificate (a CA or a client certificate), or a bundle of CAs.
    var certificate = ""
    var displayName = ""
    var allowedNames: [String]?
    var allowedCommonNames: [String]?
    var allowedDNSSANs: [String]?
    var allowedEmailSANs: [String]?
    var allowedURISANs: [String]?
    var allowedOrganizationalUnits: [String]?
    var requiredExtensions: [String]?
    var allowedMetadataExtensions: [String]?
    var ocspCACertificates = ""
    var ocspEnabled = false
    var ocspServersOverride: [String]?
    var ocspFailOpen = false
    var ocspQueryAllServers = false
    var token = TokenParameters()
    /// The deprecated names the last write set values with, echoed on reads beside their `token_*` values.
    var legacy: Set<TokenParameters.Legacy> = []

    static func storageKey(_ name: String) -> String { "cert/" + name }

    init(name: String) {
        self.name = name
    }

    /// The string lists of a role, by field name.
    static let listFields: [(String, any WritableKeyPath<CertEntry, [String]?> & Sendable)] = [
        ("allowed_names", \.allowedNames), ("allowed_common_names", \.allowedCommonNames), ("allowed_dns_sans", \.allowedDNSSANs),
        ("allowed_email_sans", \.allowedEmailSANs), ("allowed_uri_sans", \.allowedURISANs),
        ("allowed_organizational_units", \.allowedOrganizationalUnits), ("required_extensions", \.requiredExtensions),
        ("allowed_metadata_extensions", \.allowedMetadataExtensions), ("ocsp_servers_override", \.ocspServersOverride),
    ]

    static func list(_ v: [String]?) -> JSONValue { v.map { .array($0.map { .string($0) }) } ?? .null }

    /// The read response's `data`, in OpenBao's shape.
    var responseData: [String: JSONValue] {
        var d = token.responseData
        for (key, path) in Self.listFields { d[key] = Self.list(self[keyPath: path]) }
        d["certificate"] = .string(certificate)
        d["display_name"] = .string(displayName)
        d["ocsp_ca_certificates"] = .string(ocspCACertificates)
        d["ocsp_enabled"] = .bool(ocspEnabled)
        d["ocsp_fail_open"] = .bool(ocspFailOpen)
        d["ocsp_query_all_servers"] = .bool(ocspQueryAllServers)
        if legacy.contains(.ttl) && token.ttl > 0 { d["ttl"] = .int(token.ttl) }
        if legacy.contains(.maxTTL) && token.maxTTL > 0 { d["max_ttl"] = .int(token.maxTTL) }
        if legacy.contains(.period) && token.period > 0 { d["period"] = .int(token.period) }
        if legacy.contains(.policies) && !token.policies.isEmpty { d["policies"] = d["token_policies"] }
        if legacy.contains(.boundCIDRs) && !token.boundCIDRs.isEmpty { d["bound_cidrs"] = d["token_bound_cidrs"] }
        return d
    }

    var stored: JSONValue {
        var o = responseData
        for key in ["ttl", "max_ttl", "period", "policies", "bound_cidrs"] { o[key] = nil }
        o["name"] = .string(name)
        o["legacy"] = .array(legacy.map(\.rawValue).sorted().map { .string($0) })
        return .object(o)
    }

    init(stored v: JSONValue) throws {
        guard let o = v.objectValue, let name = o["name"]?.stringValue else { throw LogicalError.internalError("corrupt cert role record") }
        self.name = name
        certificate = o["certificate"]?.stringValue ?? ""
        displayName = o["display_name"]?.stringValue ?? ""
        for (key, path) in Self.listFields {
            self[keyPath: path] = o[key]?.arrayValue.map { $0.compactMap(\.stringValue) }
        }
        ocspCACertificates = o["ocsp_ca_certificates"]?.stringValue ?? ""
        ocspEnabled = o["ocsp_enabled"]?.boolValue ?? false
        ocspFailOpen = o["ocsp_fail_open"]?.boolValue ?? false
        ocspQueryAllServers = o["ocsp_query_all_servers"]?.boolValue ?? false
        token = TokenParameters(stored: o)
        for raw in o["legacy"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            if let l = TokenParameters.Legacy(rawValue: raw) { legacy.insert(l) }
        }
    }

    /// A write's fields over the stored role, with OpenBao's checks in its order: the role's own fields, the `token_*`
    /// ones, then the deprecated names (a name sent alone sets the value; the `token_*` name wins when both are sent,
    /// and stops the deprecated one being echoed).
    mutating func apply(_ d: FieldData) throws {
        if let v = try d.stringIfSet("certificate") { certificate = v }
        if let v = try d.stringIfSet("ocsp_ca_certificates") { ocspCACertificates = v }
        if let v = try d.boolIfSet("ocsp_enabled") { ocspEnabled = v }
        if let v = try d.boolIfSet("ocsp_fail_open") { ocspFailOpen = v }
        if let v = try d.boolIfSet("ocsp_query_all_servers") { ocspQueryAllServers = v }
        if let v = try d.stringIfSet("display_name") { displayName = v }
        for (key, path) in Self.listFields {
            if let v = try d.stringsIfSet(key) { self[keyPath: path] = v }
        }
        try token.parse(d)
        let sent = try token.upgradeLegacy(d, from: CertAuth.legacy)
        for l in CertAuth.legacy {
            if d.has(l.newName) {
                legacy.remove(l)
            } else if sent.contains(l) {
                legacy.insert(l)
            }
        }
        // The oldest name of all: whole seconds, used when neither `token_ttl` nor `ttl` is sent.
        if !d.has("token_ttl"), !d.has("ttl"), let lease = try d.intIfSet("lease") {
            token.ttl = lease
            legacy.insert(.ttl)
        }
        if token.maxTTL != 0 && token.ttl > token.maxTTL { throw LogicalError.invalidRequest("ttl should be shorter than max_ttl") }
        if displayName.isEmpty { displayName = name }
    }
}
