import CofferSDK
import Foundation
import SwiftASN1
import X509

/// `roles/:name`: what `issue` and `sign` may put into a certificate. Stored with every field resolved (defaults
/// included), so that a read shows the role exactly as OpenBao does.
extension PKIEngine {
    static let roleFields: [Field] = [
        .bool("allow_any_name"), .bool("allow_bare_domains"), .bool("allow_glob_domains"), .bool("allow_globs_in_identity_templates"),
        .bool("allow_ip_sans", default: true), .bool("allow_localhost", default: true), .bool("allow_subdomains"),
        .bool("allow_token_displayname"), .bool("allow_wildcard_certificates", default: true), .strings("allowed_domains"),
        .bool("allowed_domains_template"), .strings("allowed_ip_sans_cidr"), .strings("allowed_other_sans"), .strings("allowed_serial_numbers"),
        .strings("allowed_uri_sans"), .bool("allowed_uri_sans_template"), .strings("allowed_user_ids"),
        .bool("basic_constraints_valid_for_non_ca"), .bool("client_flag", default: true),
        Field("cn_validations", .commaStringSlice, default: ["email", "hostname"]), .bool("code_signing_flag"), .strings("country"),
        .bool("email_protection_flag"), .bool("enforce_hostnames", default: true), .strings("ext_key_usage"), .strings("ext_key_usage_oids"),
        .bool("generate_lease"), .string("issuer_ref", default: "default"), .int("key_bits", default: 0), .string("key_type", default: "rsa"),
        Field("key_usage", .commaStringSlice, default: ["DigitalSignature", "KeyAgreement", "KeyEncipherment"]), .strings("locality"),
        .duration("max_ttl"), .bool("no_store"), .string("not_after"), .string("not_after_bound", default: "permit"),
        .string("not_before"), .string("not_before_bound", default: "permit"), .duration("not_before_duration", default: 30),
        .strings("organization"), .strings("ou"), .strings("policy_identifiers"), .strings("postal_code"), .strings("province"),
        .bool("require_cn", default: true), .bool("server_flag", default: true), .int("signature_bits", default: 0),
        .strings("street_address"), .duration("ttl"), .bool("use_csr_common_name", default: true), .bool("use_csr_sans", default: true),
        .bool("use_pss"), .bool("no_store_metadata"), .string("name"),
    ]

    static let roleSchemaFields: Set<String> = Set(roleFields.map(\.name)).subtracting(["name", "no_store_metadata"])

    func listRoles(_ r: PathRequest) async throws -> LogicalResponse? {
        let keys = try await r.storage.list(prefix: "role/").filter { !$0.hasSuffix("/") }.sorted()
        return LogicalResponse(data: ["keys": .array(keys.map { .string($0) })])
    }

    func readRole(_ r: PathRequest) async throws -> LogicalResponse? {
        guard let role = try await loadRole(r.storage, try r.fields.string("name")) else { return nil }
        return LogicalResponse(data: role)
    }

    func loadRole(_ storage: any LogicalStorage, _ name: String) async throws -> [String: JSONValue]? {
        try await storage.getJSON(PKIStore.role(name))?.objectValue
    }

    func writeRole(_ r: PathRequest) async throws -> LogicalResponse? {
        let name = try r.fields.string("name")
        var role: [String: JSONValue] = [:]
        for f in Self.roleFields where Self.roleSchemaFields.contains(f.name) { role[f.name] = try r.fields.get(f.name) }
        let (kind, bits) = try Self.roleKey(type: role["key_type"]?.stringValue ?? "rsa", bits: role["key_bits"]?.intValue ?? 0)
        role["key_bits"] = .int(Int64(bits))
        role["key_type"] = .string(kind)
        let ttl = role["ttl"]?.intValue ?? 0
        let maxTTL = role["max_ttl"]?.intValue ?? 0
        if maxTTL > 0, ttl > maxTTL { throw LogicalError.invalidRequest("\"ttl\" value must be less than \"max_ttl\" value") }
        for u in role["key_usage"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            var usage = KeyUsage()
            try CertificateBuilder.applyKeyUsage(u, to: &usage)
        }
        for u in role["ext_key_usage"]?.arrayValue?.compactMap(\.stringValue) ?? [] { _ = try CertificateBuilder.extKeyUsage(u) }
        for o in role["ext_key_usage_oids"]?.arrayValue?.compactMap(\.stringValue) ?? [] { _ = try CertificateBuilder.oid(o) }
        if let sb = role["signature_bits"]?.intValue, ![0, 256, 384, 512].contains(sb) {
            throw LogicalError.invalidRequest("unsupported signature_bits: \(sb)")
        }
        if role["use_pss"]?.boolValue == true { throw LogicalError.invalidRequest("use_pss is not supported: Coffer signs RSA certificates with PKCS#1 v1.5") }
        for bound in ["not_before_bound", "not_after_bound"] {
            let v = role[bound]?.stringValue ?? "permit"
            guard ["permit", "forbid", "enforce"].contains(v) else { throw LogicalError.invalidRequest("invalid \(bound): \(v)") }
        }
        try await r.storage.putJSON(PKIStore.role(name), .object(role))
        return LogicalResponse(data: role)
    }

    func deleteRole(_ r: PathRequest) async throws -> LogicalResponse? {
        try await r.storage.delete(PKIStore.role(try r.fields.string("name")))
        return nil
    }

    /// A role's key type and size: `any` stays (signing only), the default size of the type when 0.
    static func roleKey(type: String, bits: Int64) throws -> (String, Int) {
        if type == "any" { return ("any", 0) }
        let (kind, b) = try PKIKey.validate(type: type, bits: bits)
        return (kind.rawValue, b)
    }
}
