import CofferSDK
import Foundation
import SwiftASN1
import X509

/// `issue/:role`, `sign/:role`, `sign-verbatim(/:role)` and their `issuer/:ref/…` forms.
extension PKIEngine {
    static let issueFields: [Field] = [
        .string("role"), .string("issuer_ref", default: "default"), .string("common_name"), .string("alt_names"), .string("ip_sans"),
        .string("uri_sans"), Field("other_sans", .commaStringSlice), .string("ttl"), .string("not_after"), .string("format", default: "pem"),
        .string("private_key_format", default: "der"), .bool("exclude_cn_from_sans"), .bool("remove_roots_from_chain"),
        .string("serial_number"), .string("csr"), .strings("key_usage"), .strings("ext_key_usage"), .strings("ext_key_usage_oids"),
        .bool("use_pss"), .int("signature_bits"), .duration("not_before_duration", default: 30), .string("user_ids"),
    ]

    func issue(_ r: PathRequest) async throws -> LogicalResponse? {
        let role = try await roleFor(r)
        guard let keyType = role["key_type"]?.stringValue, keyType != "any" else {
            throw LogicalError.invalidRequest("role key type \"any\" not allowed for issuing certificates, only signing")
        }
        let (kind, bits) = try PKIKey.validate(type: keyType, bits: role["key_bits"]?.intValue ?? 0)
        let key = try PKIKey.generate(kind, bits: bits)
        return try await issueCertificate(r, role: role, publicKey: key.publicKey, csr: nil, generated: key)
    }

    func sign(_ r: PathRequest) async throws -> LogicalResponse? {
        try await signCSR(r, role: try await roleFor(r), csr: try Self.parseCSR(try r.fields.string("csr")))
    }

    /// Signs a parsed CSR under a role (the role's key type and size are checked): `sign/:role`, and ACME's finalize
    /// with the role as ACME amends it.
    func signCSR(_ r: PathRequest, role: [String: JSONValue], csr: CertificateSigningRequest) async throws -> LogicalResponse? {
        if let t = role["key_type"]?.stringValue, t != "any" {
            let (kind, bits) = PKIKey.describe(csr.publicKey)
            let want = try PKIKey.validate(type: t, bits: role["key_bits"]?.intValue ?? 0)
            if kind != want.0 { throw LogicalError.invalidRequest("role requires keys of type \(t)") }
            if kind != .ed25519, bits < want.1 {
                throw LogicalError.invalidRequest("role requires a minimum of a \(want.1)-bit key, but CSR's key is \(bits) bits")
            }
        }
        return try await issueCertificate(r, role: role, publicKey: csr.publicKey, csr: csr, generated: nil)
    }

    /// `sign-verbatim`: the CSR's subject and names as they are, under a permissive role (or the named one's TTLs
    /// and usages).
    func signVerbatim(_ r: PathRequest) async throws -> LogicalResponse? {
        var role: [String: JSONValue] = [:]
        for f in Self.roleFields where Self.roleSchemaFields.contains(f.name) { role[f.name] = f.zeroValue }
        role["allow_any_name"] = true
        role["enforce_hostnames"] = false
        role["key_type"] = "any"
        role["require_cn"] = false
        role["cn_validations"] = ["disabled"]
        if let name = try r.fields.stringIfSet("role"), !name.isEmpty {
            guard let named = try await loadRole(r.storage, name) else { throw LogicalError.invalidRequest("unknown role: \(name)") }
            for k in ["ttl", "max_ttl", "generate_lease", "no_store", "key_usage", "ext_key_usage", "ext_key_usage_oids", "issuer_ref", "signature_bits"] {
                role[k] = named[k]
            }
        }
        let csr = try Self.parseCSR(try r.fields.string("csr"))
        return try await issueCertificate(r, role: role, publicKey: csr.publicKey, csr: csr, generated: nil, verbatim: true)
    }

    func roleFor(_ r: PathRequest) async throws -> [String: JSONValue] {
        let name = try r.fields.string("role")
        guard let role = try await loadRole(r.storage, name) else { throw LogicalError.invalidRequest("unknown role: \(name)") }
        return role
    }

    static func parseCSR(_ pem: String) throws -> CertificateSigningRequest {
        guard !pem.isEmpty else { throw LogicalError.invalidRequest("\"csr\" is empty") }
        let csr: CertificateSigningRequest
        do {
            csr = try CertificateSigningRequest(pemEncoded: pem)
        } catch {
            throw LogicalError.invalidRequest("certificate request could not be parsed: malformed PEM or DER")
        }
        guard csr.publicKey.isValidSignature(csr.signature, for: csr) else {
            throw LogicalError.invalidRequest("request signature invalid")
        }
        return csr
    }

    /// The names a CSR asks for in its extension request.
    static func csrSANs(_ csr: CertificateSigningRequest) -> [GeneralName] {
        guard let req = try? csr.attributes.extensionRequest, let sans = try? req.extensions.subjectAlternativeNames else { return [] }
        return Array(sans)
    }

    // MARK: Issuance

    func issueCertificate(
        _ r: PathRequest, role: [String: JSONValue], publicKey: Certificate.PublicKey, csr: CertificateSigningRequest?, generated: PKIKey?,
        verbatim: Bool = false
    ) async throws -> LogicalResponse? {
        let f = r.fields
        let issuerRef = r.pattern.hasPrefix("issuer/") ? try f.string("issuer_ref") : (role["issuer_ref"]?.stringValue ?? "default")
        let issuer: IssuerEntry
        do {
            issuer = try await resolveIssuer(r.storage, issuerRef.isEmpty ? "default" : issuerRef)
        } catch let e as LogicalError {
            throw LogicalError.goError(.internal, "could not fetch the CA certificate (was one set?): " + e.messages.joined(separator: "; "))
        }
        if issuer.revoked { throw LogicalError.invalidRequest("issuer \(issuer.id) has been revoked and cannot issue certificates") }
        let signer = try await signer(r.storage, issuer)
        var warnings: [String] = []

        // Names.
        var cn = try f.string("common_name")
        var dns: [String] = []
        var emails: [String] = []
        var ips: [[UInt8]] = []
        var uris: [String] = []
        if let csr, verbatim || role["use_csr_common_name"]?.boolValue == true {
            if !verbatim, !cn.isEmpty {
                warnings.append("the common_name field was provided but the role is set with \"use_csr_common_name\" set to true")
            }
            // The CSR's common name wins; a CSR without one (an ACME client's) keeps the one given.
            let fromCSR = CertificateBuilder.commonName(csr.subject)
            if !fromCSR.isEmpty { cn = fromCSR }
        }
        if let csr, verbatim || role["use_csr_sans"]?.boolValue == true {
            for san in Self.csrSANs(csr) {
                switch san {
                case .dnsName(let n): dns.append(n)
                case .rfc822Name(let e): emails.append(e)
                case .ipAddress(let b): ips.append(Array(b.bytes))
                case .uniformResourceIdentifier(let u): uris.append(u)
                default: break
                }
            }
        }
        for n in try f.string("alt_names").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !n.isEmpty {
            if n.contains("@") { emails.append(n) } else { dns.append(n) }
        }
        for ip in try f.string("ip_sans").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !ip.isEmpty {
            guard let b = CertificateBuilder.ipBytes(ip) else { throw LogicalError.invalidRequest("the value \"\(ip)\" is not a valid IP address") }
            ips.append(b)
        }
        for u in try f.string("uri_sans").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !u.isEmpty { uris.append(u) }

        if cn.isEmpty, role["require_cn"]?.boolValue ?? true {
            throw LogicalError.invalidRequest("the common_name field is required, or must be provided in a CSR with \"use_csr_common_name\" set to true, unless \"require_cn\" is set to false")
        }
        if !verbatim {
            try RoleNamePolicy(role: role).check(commonName: cn, dns: dns, emails: emails, ips: ips, uris: uris)
        }
        if !cn.isEmpty, !(try f.bool("exclude_cn_from_sans")) {
            if cn.contains("@") {
                if !emails.contains(cn) { emails.insert(cn, at: 0) }
            } else if RoleNamePolicy.isHostname(cn, wildcard: true), !dns.contains(cn) {
                dns.insert(cn, at: 0)
            }
        }

        // Validity.
        let now = Date()
        let roleTTL = role["ttl"]?.intValue ?? 0
        let roleMax = role["max_ttl"]?.intValue ?? 0
        var ttl: Int64
        let requested = try f.string("ttl")
        if requested.isEmpty {
            ttl = roleTTL > 0 ? roleTTL : Self.defaultTTL
        } else {
            guard let v = parseDurationSeconds(requested), v >= 0 else { throw LogicalError.invalidRequest("invalid ttl \(requested)") }
            ttl = v
        }
        let maxTTL = roleMax > 0 ? roleMax : Self.defaultTTL
        if ttl > maxTTL {
            warnings.append("TTL \"\(GoDurationText.format(ttl))\" is longer than permitted maxTTL \"\(GoDurationText.format(maxTTL))\", so maxTTL is being used")
            ttl = maxTTL
        }
        var notAfter = try Self.notAfter(f, default: now.addingTimeInterval(TimeInterval(ttl)))
        if notAfter > signer.cert.notValidAfter {
            switch issuer.leafNotAfterBehavior {
            case "truncate", "permit":
                notAfter = signer.cert.notValidAfter
            default:
                throw LogicalError.invalidRequest(
                    "cannot satisfy request, as TTL would result in notAfter of \(formatVaultTime(notAfter)) that is beyond the expiration of the CA certificate at \(formatVaultTime(signer.cert.notValidAfter))")
            }
        }
        let backdate = f.has("not_before_duration") ? try f.int("not_before_duration") : (role["not_before_duration"]?.intValue ?? 30)

        // Subject and extensions.
        var template = CertificateTemplate(
            subject: try CertificateBuilder.subject(
                commonName: cn, organization: Self.strings(role["organization"]), ou: Self.strings(role["ou"]),
                country: Self.strings(role["country"]), locality: Self.strings(role["locality"]), province: Self.strings(role["province"]),
                street: Self.strings(role["street_address"]), postalCode: Self.strings(role["postal_code"]), serialNumber: try f.string("serial_number")),
            notBefore: now.addingTimeInterval(-TimeInterval(backdate)), notAfter: notAfter)
        if verbatim, let csr {
            template.subject = csr.subject
        }
        template.dnsNames = dns
        template.emails = emails
        template.ips = ips
        template.uris = uris
        template.keyUsage = f.has("key_usage") && verbatim ? try f.strings("key_usage") : Self.strings(role["key_usage"])
        var eku: [ExtendedKeyUsage.Usage] = []
        if role["server_flag"]?.boolValue ?? false, !verbatim { eku.append(.serverAuth) }
        if role["client_flag"]?.boolValue ?? false, !verbatim { eku.append(.clientAuth) }
        if role["code_signing_flag"]?.boolValue ?? false { eku.append(.codeSigning) }
        if role["email_protection_flag"]?.boolValue ?? false { eku.append(.emailProtection) }
        for u in Self.strings(role["ext_key_usage"]) + (verbatim ? try f.strings("ext_key_usage") : []) {
            let usage = try CertificateBuilder.extKeyUsage(u)
            if !eku.contains(usage) { eku.append(usage) }
        }
        for o in Self.strings(role["ext_key_usage_oids"]) + (verbatim ? try f.strings("ext_key_usage_oids") : []) {
            eku.append(ExtendedKeyUsage.Usage(oid: try CertificateBuilder.oid(o)))
        }
        template.extKeyUsage = eku
        template.urls = try await urls(r.storage, for: issuer)
        let signatureBits = f.has("signature_bits") ? try f.int("signature_bits") : (role["signature_bits"]?.intValue ?? 0)
        let cert = try CertificateBuilder.build(template, publicKey: publicKey, issuer: (signer.cert, signer.key), signatureBits: signatureBits)
        let serial = PKIFormat.serial(cert.serialNumber)
        let certPEM = try PKIFormat.pem(cert)
        if !(role["no_store"]?.boolValue ?? false) {
            try await PKIStore.save(CertRecord(certificate: certPEM, issuerID: issuer.id), r.storage, PKIStore.cert(serial))
        }

        var data: [String: JSONValue] = [
            "certificate": .string(certPEM), "issuing_ca": .string(issuer.certificate), "serial_number": .string(serial),
            "expiration": .int(PKIFormat.unix(cert.notValidAfter)), "not_before": .int(PKIFormat.unix(cert.notValidBefore)),
            "ca_chain": .array(fullChain(issuer).map { .string($0) }),
        ]
        if let generated {
            data["private_key"] = .string(generated.pem)
            data["private_key_type"] = .string(generated.kind.rawValue)
        }
        try Self.applyFormat(&data, format: try f.string("format"))
        if try f.bool("remove_roots_from_chain") {
            data["ca_chain"] = .array(fullChain(issuer).filter { (try? Self.isSelfSigned($0)) == false }.map { .string($0) })
        }
        var response = LogicalResponse(data: data, warnings: warnings)
        if role["generate_lease"]?.boolValue ?? false {
            let lease = max(1, Int64(cert.notValidAfter.timeIntervalSince(now).rounded(.down)))
            response.secret = .lease(type: "pki", ttl: lease, maxTTL: lease, renewable: false, internalData: ["serial_number": .string(serial)])
        }
        return response
    }

    static func strings(_ v: JSONValue?) -> [String] { v?.arrayValue?.compactMap(\.stringValue) ?? [] }

    /// `not_after` (YYYY-MM-ddTHH:MM:SSZ) when given, else `fallback`.
    static func notAfter(_ f: FieldData, default fallback: Date) throws -> Date {
        let text = try f.string("not_after")
        if text.isEmpty { return fallback }
        guard let d = ISO8601DateFormatter().date(from: text) else {
            throw LogicalError.invalidRequest("unable to parse not_after: use the YYYY-MM-ddTHH:MM:SSZ format")
        }
        return d
    }

    static func isSelfSigned(_ pem: String) throws -> Bool {
        let c = try PKIFormat.parseCertificate(pem)
        return c.issuer == c.subject
    }

    /// `format`: `pem` (default), `der` (base64 DER) or `pem_bundle` (the key and chain appended to the certificate).
    static func applyFormat(_ data: inout [String: JSONValue], format: String) throws {
        switch format {
        case "", "pem":
            return
        case "pem_bundle":
            var bundle: [String] = []
            if let k = data["private_key"]?.stringValue { bundle.append(k) }
            if let c = data["certificate"]?.stringValue { bundle.append(c) }
            if let ca = data["issuing_ca"]?.stringValue, ca != data["certificate"]?.stringValue { bundle.append(ca) }
            data["certificate"] = .string(bundle.joined(separator: "\n"))
        case "der":
            for k in ["certificate", "issuing_ca"] {
                if let p = data[k]?.stringValue, let doc = try? PEMDocument(pemString: p) {
                    data[k] = .string(Data(doc.derBytes).base64EncodedString())
                }
            }
            if let chain = data["ca_chain"]?.arrayValue {
                data["ca_chain"] = .array(chain.compactMap { $0.stringValue.flatMap { try? PEMDocument(pemString: $0) } }.map { .string(Data($0.derBytes).base64EncodedString()) })
            }
            if let p = data["private_key"]?.stringValue, let doc = try? PEMDocument(pemString: p) {
                data["private_key"] = .string(Data(doc.derBytes).base64EncodedString())
            }
        default:
            throw LogicalError.invalidRequest("the \"format\" path parameter must be \"pem\", \"der\", or \"pem_bundle\"")
        }
    }

}

/// Go duration text of whole seconds (`72h0m0s`), as OpenBao's warnings print TTLs.
enum GoDurationText {
    static func format(_ seconds: Int64) -> String {
        let h = seconds / 3600
        let m = (seconds % 3600) / 60
        let s = seconds % 60
        if h > 0 { return "\(h)h\(m)m\(s)s" }
        if m > 0 { return "\(m)m\(s)s" }
        return "\(s)s"
    }
}
