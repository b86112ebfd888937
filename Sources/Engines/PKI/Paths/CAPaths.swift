import CofferSDK
import Foundation
import SwiftASN1
import X509

/// Making and importing CAs: `root/generate/:type`, `intermediate/generate/:type`, `intermediate/set-signed`,
/// `root/sign-intermediate`, `root/sign-self-issued`, `config/ca` (and `issuers/import/bundle`), `root` (DELETE).
extension PKIEngine {
    static let caFields: [Field] = [
        .string("type"), .string("common_name"), .string("alt_names"), .string("ip_sans"), .string("uri_sans"),
        Field("other_sans", .commaStringSlice), .string("ttl"), .string("not_after"), .string("format", default: "pem"),
        .string("private_key_format", default: "der"), .string("key_type", default: "rsa"), .int("key_bits", default: 0),
        .int("signature_bits", default: 0), .int("max_path_length", default: -1), .bool("exclude_cn_from_sans"),
        .strings("permitted_dns_domains"), .strings("ou"), .strings("organization"), .strings("country"), .strings("locality"),
        .strings("province"), .strings("street_address"), .strings("postal_code"), .string("serial_number"),
        .string("issuer_name"), .string("key_name"), .string("key_ref", default: "default"), .string("managed_key_name"),
        .string("managed_key_id"), .duration("not_before_duration", default: 30), .bool("use_pss"), .bool("add_basic_constraints"),
        .string("csr"), .bool("use_csr_values"), .string("issuer_ref", default: "default"), .string("certificate"),
        .bool("exported"), .string("pem_bundle"), .bool("enforce_leaf_not_after_behavior"),
    ]

    static let aiaWarning =
        "This mount hasn't configured any authority information access (AIA) fields; this may make it harder for systems to find missing certificates in the chain or to validate revocation status of certificates. Consider updating /config/urls or the newly generated issuer with this information."

    /// `root/generate/(internal|exported|existing|kms)`.
    func generateRoot(_ r: PathRequest) async throws -> LogicalResponse? {
        let f = r.fields
        let type = try f.string("type")
        return try await lock.withLock {
            let key = try await caKey(r, type: type)
            var warnings: [String] = []
            let cn = try f.string("common_name")
            guard !cn.isEmpty else { throw LogicalError.invalidRequest("the common_name field is required") }
            let (notBefore, notAfter) = try caValidity(f, parentNotAfter: nil, warnings: &warnings)
            var t = try caTemplate(f, cn: cn, notBefore: notBefore, notAfter: notAfter)
            t.urls = try await urls(r.storage)
            let cert = try CertificateBuilder.build(t, publicKey: key.key.publicKey, issuer: nil, selfKey: key.key, signatureBits: try f.int("signature_bits"))
            let keyID = try await storeKey(r.storage, key.key, name: try f.string("key_name"))
            let stored = try await storeIssuer(r.storage, cert, name: try f.string("issuer_name"))
            if t.urls.isEmpty { warnings.append(Self.aiaWarning) }
            let pem = try PKIFormat.pem(cert)
            var data: [String: JSONValue] = [
                "certificate": .string(pem), "issuing_ca": .string(pem), "serial_number": .string(PKIFormat.serial(cert.serialNumber)),
                "expiration": .int(PKIFormat.unix(cert.notValidAfter)), "issuer_id": .string(stored.id),
                "issuer_name": .string(try f.string("issuer_name")), "key_id": .string(keyID), "key_name": .string(try f.string("key_name")),
            ]
            if key.exported {
                data["private_key"] = .string(key.key.pem)
                data["private_key_type"] = .string(key.key.kind.rawValue)
            }
            try Self.applyFormat(&data, format: try f.string("format"))
            return LogicalResponse(data: data, warnings: warnings)
        }
    }

    /// The key of a new CA: generated (`internal`, `exported`: returned once) or an existing one (`existing`, `key_ref`).
    func caKey(_ r: PathRequest, type: String) async throws -> (key: PKIKey, exported: Bool) {
        switch type {
        case "internal", "exported":
            let (kind, bits) = try PKIKey.validate(type: try r.fields.string("key_type"), bits: try r.fields.int("key_bits"))
            return (try PKIKey.generate(kind, bits: bits), type == "exported")
        case "existing":
            let entry = try await resolveKey(r.storage, try r.fields.string("key_ref"))
            return (try PKIKey.parse(pem: entry.pem), false)
        case "kms":
            throw LogicalError.invalidRequest("managed keys are not supported")
        default:
            throw LogicalError.invalidRequest("invalid type: \(type)")
        }
    }

    func caValidity(_ f: FieldData, parentNotAfter: Date?, warnings: inout [String]) throws -> (Date, Date) {
        let now = Date()
        let text = try f.string("ttl")
        var ttl = Self.defaultTTL
        if !text.isEmpty {
            guard let v = parseDurationSeconds(text), v >= 0 else { throw LogicalError.invalidRequest("invalid ttl \(text)") }
            ttl = v
        }
        if !text.isEmpty, ttl > Self.defaultTTL, parentNotAfter == nil {
            warnings.append("TTL \"\(GoDurationText.format(ttl))\" is longer than permitted maxTTL \"\(GoDurationText.format(Self.defaultTTL))\", so maxTTL is being used")
            ttl = Self.defaultTTL
        }
        let notAfter = try Self.notAfter(f, default: now.addingTimeInterval(TimeInterval(ttl)))
        if let p = parentNotAfter, notAfter > p {
            // An intermediate may outlive its issuer (OpenBao warns) unless enforce_leaf_not_after_behavior asks for
            // the issuer's leaf_not_after_behavior (then refused, as `err` does).
            if try f.bool("enforce_leaf_not_after_behavior") {
                throw LogicalError.invalidRequest(
                    "cannot satisfy request, as TTL would result in notAfter of \(formatVaultTime(notAfter)) that is beyond the expiration of the CA certificate at \(formatVaultTime(p))")
            }
            warnings.append(
                "The expiration time for the signed certificate is after the CA's expiration time. If the new certificate is not treated as a root, validation paths with the certificate past the issuing CA's expiration time will fail.")
        }
        return (now.addingTimeInterval(-TimeInterval(try f.int("not_before_duration"))), notAfter)
    }

    func caTemplate(_ f: FieldData, cn: String, notBefore: Date, notAfter: Date) throws -> CertificateTemplate {
        var t = CertificateTemplate(
            subject: try CertificateBuilder.subject(
                commonName: cn, organization: try f.strings("organization"), ou: try f.strings("ou"), country: try f.strings("country"),
                locality: try f.strings("locality"), province: try f.strings("province"), street: try f.strings("street_address"),
                postalCode: try f.strings("postal_code"), serialNumber: try f.string("serial_number")),
            notBefore: notBefore, notAfter: notAfter)
        t.isCA = true
        t.maxPathLength = Int(try f.int("max_path_length"))
        for n in try f.string("alt_names").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !n.isEmpty {
            if n.contains("@") { t.emails.append(n) } else { t.dnsNames.append(n) }
        }
        for ip in try f.string("ip_sans").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !ip.isEmpty {
            guard let b = CertificateBuilder.ipBytes(ip) else { throw LogicalError.invalidRequest("the value \"\(ip)\" is not a valid IP address") }
            t.ips.append(b)
        }
        if !(try f.bool("exclude_cn_from_sans")), RoleNamePolicy.isHostname(cn, wildcard: false), !t.dnsNames.contains(cn) {
            t.dnsNames.insert(cn, at: 0)
        }
        return t
    }

    /// `intermediate/generate/(internal|exported|existing)`: a key and a CSR for a CA to sign.
    func generateIntermediate(_ r: PathRequest) async throws -> LogicalResponse? {
        let f = r.fields
        let key = try await caKey(r, type: try f.string("type"))
        let cn = try f.string("common_name")
        let subject = try CertificateBuilder.subject(
            commonName: cn, organization: try f.strings("organization"), ou: try f.strings("ou"), country: try f.strings("country"),
            locality: try f.strings("locality"), province: try f.strings("province"), street: try f.strings("street_address"),
            postalCode: try f.strings("postal_code"), serialNumber: try f.string("serial_number"))
        var exts = Certificate.Extensions()
        if try f.bool("add_basic_constraints") {
            try exts.append(Certificate.Extension(BasicConstraints.isCertificateAuthority(maxPathLength: nil), critical: true))
        }
        var names: [GeneralName] = []
        if !cn.isEmpty, RoleNamePolicy.isHostname(cn, wildcard: false), !(try f.bool("exclude_cn_from_sans")) { names.append(.dnsName(cn)) }
        for n in try f.string("alt_names").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !n.isEmpty {
            names.append(n.contains("@") ? .rfc822Name(n) : .dnsName(n))
        }
        if !names.isEmpty { try exts.append(Certificate.Extension(SubjectAlternativeNames(names), critical: false)) }
        var attributes = CertificateSigningRequest.Attributes()
        if !exts.isEmpty { attributes.insert(try CertificateSigningRequest.Attribute(ExtensionRequest(extensions: exts))) }
        let csr = try CertificateSigningRequest(
            version: .v1, subject: subject, privateKey: key.key.privateKey, attributes: attributes,
            signatureAlgorithm: try key.key.signatureAlgorithm(signatureBits: try f.int("signature_bits")))
        let keyID = try await lock.withLock { try await storeKey(r.storage, key.key, name: try f.string("key_name")) }
        var data: [String: JSONValue] = ["csr": .string(try csr.serializeAsPEM().pemString), "key_id": .string(keyID)]
        if key.exported {
            data["private_key"] = .string(key.key.pem)
            data["private_key_type"] = .string(key.key.kind.rawValue)
        }
        if try f.string("format") == "der" {
            data["csr"] = .string(Data(try csr.serializeAsPEM().derBytes).base64EncodedString())
        }
        var warnings: [String] = []
        if try await urls(r.storage).isEmpty {
            warnings.append(Self.aiaWarning + " Since this certificate is an intermediate, it might be useful to regenerate this certificate after fixing this problem for the root mount.")
        }
        return LogicalResponse(data: data, warnings: warnings)
    }

    /// `root/sign-intermediate` (and `issuer/:ref/sign-intermediate`): a CA certificate for a CSR.
    func signIntermediate(_ r: PathRequest) async throws -> LogicalResponse? {
        let f = r.fields
        let issuer = try await resolveIssuer(r.storage, try f.string("issuer_ref"))
        let signer = try await signer(r.storage, issuer)
        let csr = try Self.parseCSR(try f.string("csr"))
        var warnings: [String] = []
        let (notBefore, notAfter) = try caValidity(f, parentNotAfter: signer.cert.notValidAfter, warnings: &warnings)
        let useCSR = try f.bool("use_csr_values")
        var cn = try f.string("common_name")
        if cn.isEmpty || useCSR { cn = CertificateBuilder.commonName(csr.subject).isEmpty ? cn : CertificateBuilder.commonName(csr.subject) }
        var t = try caTemplate(f, cn: cn, notBefore: notBefore, notAfter: notAfter)
        if useCSR {
            t.subject = csr.subject
            for san in Self.csrSANs(csr) {
                if case .dnsName(let n) = san, !t.dnsNames.contains(n) { t.dnsNames.append(n) }
            }
        }
        t.urls = try await urls(r.storage, for: issuer)
        if t.urls.isEmpty { warnings.append(Self.aiaWarning) }
        let cert = try CertificateBuilder.build(t, publicKey: csr.publicKey, issuer: (signer.cert, signer.key), signatureBits: try f.int("signature_bits"))
        let pem = try PKIFormat.pem(cert)
        let serial = PKIFormat.serial(cert.serialNumber)
        try await PKIStore.save(CertRecord(certificate: pem, issuerID: issuer.id), r.storage, PKIStore.cert(serial))
        var data: [String: JSONValue] = [
            "certificate": .string(pem), "issuing_ca": .string(issuer.certificate), "serial_number": .string(serial),
            "expiration": .int(PKIFormat.unix(cert.notValidAfter)), "ca_chain": .array(([pem] + fullChain(issuer)).map { .string($0) }),
        ]
        try Self.applyFormat(&data, format: try f.string("format"))
        return LogicalResponse(data: data, warnings: warnings)
    }

    /// `root/sign-self-issued`: re-signs a self-issued CA certificate (subject = issuer) with this mount's issuer,
    /// keeping everything else (for root rollover).
    func signSelfIssued(_ r: PathRequest) async throws -> LogicalResponse? {
        let f = r.fields
        let given = try PKIFormat.parseCertificate(try f.string("certificate"))
        guard given.issuer == given.subject else { throw LogicalError.invalidRequest("given certificate is not self-issued") }
        guard (try? given.extensions.basicConstraints) == .isCertificateAuthority(maxPathLength: nil)
            || { if case .isCertificateAuthority = try? given.extensions.basicConstraints { return true } else { return false } }()
        else { throw LogicalError.invalidRequest("given certificate is not a CA certificate") }
        let issuer = try await resolveIssuer(r.storage, try f.string("issuer_ref"))
        let signer = try await signer(r.storage, issuer)
        let cert = try Certificate(
            version: .v3, serialNumber: given.serialNumber, publicKey: given.publicKey, notValidBefore: given.notValidBefore,
            notValidAfter: given.notValidAfter, issuer: signer.cert.subject, subject: given.subject,
            signatureAlgorithm: try signer.key.signatureAlgorithm(), extensions: given.extensions, issuerPrivateKey: signer.key.privateKey)
        let pem = try PKIFormat.pem(cert)
        return LogicalResponse(data: ["certificate": .string(pem), "issuing_ca": .string(issuer.certificate)])
    }

    /// `intermediate/set-signed`: the signed certificate (and its chain) for the key of an earlier CSR.
    func setSigned(_ r: PathRequest) async throws -> LogicalResponse? {
        let certs = try PKIFormat.certificates(inBundle: try r.fields.string("certificate"))
        guard !certs.isEmpty else { throw LogicalError.invalidRequest("no certificates given to import") }
        return try await importBundle(r, certs: certs, keys: [])
    }

    /// `config/ca` and `issuers/import/(bundle|cert)`: PEM certificates and keys.
    func importCA(_ r: PathRequest) async throws -> LogicalResponse? {
        let text = try r.fields.string("pem_bundle")
        guard !text.isEmpty else { throw LogicalError.invalidRequest("'pem_bundle' was empty") }
        guard text.utf8.count >= 75 else {
            throw LogicalError.invalidRequest("provided data for import was too short; perhaps a path was passed to the API rather than the contents of a PEM file")
        }
        let docs: [PEMDocument]
        do {
            docs = try PEMDocument.parseMultiple(pemString: text)
        } catch {
            throw LogicalError.invalidRequest("error parsing PEM bundle: unable to decode PEM")
        }
        var certs: [Certificate] = []
        var keys: [PKIKey] = []
        for d in docs {
            if d.discriminator == "CERTIFICATE" {
                certs.append(try Certificate(derEncoded: d.derBytes))
            } else if d.discriminator.hasSuffix("PRIVATE KEY") {
                keys.append(try PKIKey.parse(pem: d.pemString))
            }
        }
        guard !certs.isEmpty || !keys.isEmpty else { throw LogicalError.invalidRequest("no data found in PEM bundle") }
        return try await importBundle(r, certs: certs, keys: keys)
    }

    func importBundle(_ r: PathRequest, certs: [Certificate], keys: [PKIKey]) async throws -> LogicalResponse? {
        return try await lock.withLock {
            var importedKeys: [String] = []
            for k in keys { importedKeys.append(try await storeKey(r.storage, k)) }
            var importedIssuers: [String] = []
            var existing: [String] = []
            var mapping: [String: JSONValue] = [:]
            for c in certs {
                guard case .isCertificateAuthority = try? c.extensions.basicConstraints else {
                    throw LogicalError.invalidRequest("refusing to import non-CA certificate")
                }
                let stored = try await storeIssuer(r.storage, c)
                if stored.existing { existing.append(stored.id) } else { importedIssuers.append(stored.id) }
                let entry = try await PKIStore.load(IssuerEntry.self, r.storage, PKIStore.issuer(stored.id))
                mapping[stored.id] = .string(entry?.keyID ?? "")
            }
            return LogicalResponse(data: [
                "imported_issuers": importedIssuers.isEmpty ? .null : .array(importedIssuers.map { .string($0) }),
                "imported_keys": importedKeys.isEmpty ? .null : .array(importedKeys.map { .string($0) }),
                "existing_issuers": existing.isEmpty ? .null : .array(existing.map { .string($0) }),
                "existing_keys": .null, "mapping": .object(mapping),
            ])
        }
    }

    /// `DELETE root`: every issuer and key of the mount goes (issued certificates stay).
    func deleteRoot(_ r: PathRequest) async throws -> LogicalResponse? {
        try await lock.withLock {
            for id in try await issuerIDs(r.storage) { try await r.storage.delete(PKIStore.issuer(id)) }
            for id in try await keyIDs(r.storage) { try await r.storage.delete(PKIStore.key(id)) }
            try await r.storage.delete(PKIStore.issuersConfig)
            try await r.storage.delete(PKIStore.keysConfig)
            for prefix in ["crl/", "crl-delta/"] {
                for id in try await r.storage.list(prefix: prefix) where !id.hasSuffix("/") { try await r.storage.delete(prefix + id) }
            }
        }
        return LogicalResponse(warnings: [
            "DELETE /root deletes all keys and issuers; prefer the new DELETE /key/:key_ref and DELETE /issuer/:issuer_ref for finer granularity, unless removal of all keys and issuers is desired."
        ])
    }
}
