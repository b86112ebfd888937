import CofferSDK

/// The PKI engine's paths, as OpenBao names them.
extension PKIEngine {
    static let issuerRef = Field.string("issuer_ref", default: "default", "Reference to an issuer: its id, its name, or default.")
    static let keyRef = Field.string("key_ref", default: "default", "Reference to a key: its id, its name, or default.")
    static let serialField = Field("serial", .string, "Serial number of a certificate, as aa:bb:cc or aa-bb-cc.")

    static func issuePath(_ pattern: String, _ op: OperationHandler<PKIEngine>, _ synopsis: String) -> EnginePath<PKIEngine> {
        EnginePath(pattern, fields: issueFields, operations: [.update: op], synopsis: synopsis)
    }

    static let router = PathRouter<PKIEngine>(
        [
            EnginePath("roles/?", operations: [.list: .init("List the roles.", method: PKIEngine.listRoles)], synopsis: "List the roles."),
            EnginePath(
                "roles/{name}", fields: roleFields,
                operations: [
                    .read: .init("Read a role.", method: PKIEngine.readRole),
                    .update: .init("Create or replace a role.", method: PKIEngine.writeRole),
                    .delete: .init("Delete a role.", noContent: true, method: PKIEngine.deleteRole),
                ],
                existenceCheck: { e, r in try await e.loadRole(r.storage, try r.fields.string("name")) != nil },
                synopsis: "Manage the roles that certificates are issued and signed under."),
            issuePath("issue/{role}", .init("Issue a certificate with a new key.", method: PKIEngine.issue), "Issue a certificate and its private key under a role."),
            issuePath("issuer/{issuer_ref}/issue/{role}", .init("Issue a certificate with a new key.", method: PKIEngine.issue), "Issue under a role from a given issuer."),
            issuePath("sign/{role}", .init("Sign a CSR.", method: PKIEngine.sign), "Sign a certificate request under a role."),
            issuePath("issuer/{issuer_ref}/sign/{role}", .init("Sign a CSR.", method: PKIEngine.sign), "Sign a request under a role with a given issuer."),
            issuePath("sign-verbatim", .init("Sign a CSR as it is.", method: PKIEngine.signVerbatim), "Sign a request, keeping its subject and names."),
            issuePath("sign-verbatim/{role}", .init("Sign a CSR as it is.", method: PKIEngine.signVerbatim), "Sign a request as it is, with a role's TTLs."),
            issuePath("issuer/{issuer_ref}/sign-verbatim", .init("Sign a CSR as it is.", method: PKIEngine.signVerbatim), "Sign a request as it is with a given issuer."),
            issuePath("issuer/{issuer_ref}/sign-verbatim/{role}", .init("Sign a CSR as it is.", method: PKIEngine.signVerbatim), "Sign a request as it is with a given issuer and role."),
            EnginePath("root/generate/{type}", fields: caFields, operations: [.update: .init("Generate a root CA.", method: PKIEngine.generateRoot)], synopsis: "Generate a self-signed root CA."),
            EnginePath("issuers/generate/root/{type}", fields: caFields, operations: [.update: .init("Generate a root CA.", method: PKIEngine.generateRoot)], synopsis: "Generate a self-signed root CA."),
            EnginePath("intermediate/generate/{type}", fields: caFields, operations: [.update: .init("Generate an intermediate CSR.", method: PKIEngine.generateIntermediate)], synopsis: "Generate a key and a CSR for an intermediate CA."),
            EnginePath("issuers/generate/intermediate/{type}", fields: caFields, operations: [.update: .init("Generate an intermediate CSR.", method: PKIEngine.generateIntermediate)], synopsis: "Generate a key and a CSR for an intermediate CA."),
            EnginePath("intermediate/set-signed", fields: caFields, operations: [.update: .init("Import the signed intermediate.", method: PKIEngine.setSigned)], synopsis: "Store the signed certificate of an intermediate CA."),
            EnginePath("root/sign-intermediate", fields: caFields, operations: [.update: .init("Sign an intermediate CA.", method: PKIEngine.signIntermediate)], synopsis: "Sign the CSR of an intermediate CA."),
            EnginePath("issuer/{issuer_ref}/sign-intermediate", fields: caFields, operations: [.update: .init("Sign an intermediate CA.", method: PKIEngine.signIntermediate)], synopsis: "Sign the CSR of an intermediate CA with a given issuer."),
            EnginePath("root/sign-self-issued", fields: caFields, operations: [.update: .init("Re-sign a self-issued CA.", method: PKIEngine.signSelfIssued)], sudo: true, synopsis: "Sign a self-issued CA certificate."),
            EnginePath("issuer/{issuer_ref}/sign-self-issued", fields: caFields, operations: [.update: .init("Re-sign a self-issued CA.", method: PKIEngine.signSelfIssued)], sudo: true, synopsis: "Sign a self-issued CA certificate with a given issuer."),
            EnginePath("config/ca", fields: caFields, operations: [.update: .init("Import a CA bundle.", method: PKIEngine.importCA)], synopsis: "Import a PEM bundle of CA certificates and keys."),
            EnginePath("issuers/import/bundle", fields: caFields, operations: [.update: .init("Import a CA bundle.", method: PKIEngine.importCA)], synopsis: "Import a PEM bundle of CA certificates and keys."),
            EnginePath("issuers/import/cert", fields: caFields, operations: [.update: .init("Import CA certificates.", method: PKIEngine.importCA)], synopsis: "Import a PEM bundle of CA certificates."),
            EnginePath("root", operations: [.delete: .init("Delete every issuer and key.", noContent: true, method: PKIEngine.deleteRoot)], synopsis: "Delete the mount's CAs and keys."),
            EnginePath("ca", operations: [.read: .init("The default issuer, DER.", method: PKIEngine.readCA)], unauthenticated: true, synopsis: "The default CA certificate (DER)."),
            EnginePath("ca/pem", operations: [.read: .init("The default issuer, PEM.", method: PKIEngine.readCA)], unauthenticated: true, synopsis: "The default CA certificate (PEM)."),
            EnginePath("ca_chain", operations: [.read: .init("The default issuer's chain.", method: PKIEngine.readCA)], unauthenticated: true, synopsis: "The default CA chain (PEM)."),
            EnginePath("certs/?", operations: [.list: .init("List issued certificates.", method: PKIEngine.listCerts)], synopsis: "List the serial numbers of issued certificates."),
            EnginePath("certs/revoked/?", operations: [.list: .init("List revoked certificates.", method: PKIEngine.listCerts)], synopsis: "List the serial numbers of revoked certificates."),
            EnginePath("cert/{serial:any}", fields: [serialField], operations: [.read: .init("Read a certificate.", method: PKIEngine.readCert)], unauthenticated: true, synopsis: "Read a certificate by serial."),
            EnginePath("cert/{serial:any}/raw", fields: [serialField], operations: [.read: .init("Read a certificate, DER.", method: PKIEngine.readCert)], unauthenticated: true, synopsis: "A certificate (DER)."),
            EnginePath("cert/{serial:any}/raw/pem", fields: [serialField], operations: [.read: .init("Read a certificate, PEM.", method: PKIEngine.readCert)], unauthenticated: true, synopsis: "A certificate (PEM)."),
            EnginePath("revoke", fields: [.string("serial_number"), .string("certificate")], operations: [.update: .init("Revoke a certificate.", method: PKIEngine.revoke)], synopsis: "Revoke a certificate by serial number or by the certificate itself."),
            EnginePath("crl", operations: [.read: .init("The default issuer's CRL, DER.", method: PKIEngine.readCRL)], unauthenticated: true, synopsis: "The CRL (DER)."),
            EnginePath("crl/pem", operations: [.read: .init("The default issuer's CRL, PEM.", method: PKIEngine.readCRL)], unauthenticated: true, synopsis: "The CRL (PEM)."),
            EnginePath("crl/delta", operations: [.read: .init("The default issuer's delta CRL, DER.", method: PKIEngine.readCRL)], unauthenticated: true, synopsis: "The delta CRL (DER)."),
            EnginePath("crl/delta/pem", operations: [.read: .init("The default issuer's delta CRL, PEM.", method: PKIEngine.readCRL)], unauthenticated: true, synopsis: "The delta CRL (PEM)."),
            EnginePath("issuer/{issuer_ref}/crl/delta", fields: [issuerRef], operations: [.read: .init("An issuer's delta CRL.", method: PKIEngine.readCRL)], unauthenticated: true, synopsis: "An issuer's delta CRL (JSON)."),
            EnginePath("issuer/{issuer_ref}/crl/delta/pem", fields: [issuerRef], operations: [.read: .init("An issuer's delta CRL, PEM.", method: PKIEngine.readCRL)], unauthenticated: true, synopsis: "An issuer's delta CRL (PEM)."),
            EnginePath("issuer/{issuer_ref}/crl/delta/der", fields: [issuerRef], operations: [.read: .init("An issuer's delta CRL, DER.", method: PKIEngine.readCRL)], unauthenticated: true, synopsis: "An issuer's delta CRL (DER)."),
            EnginePath("crl/rotate", operations: [.read: .init("Rebuild the CRLs.", method: PKIEngine.rotateCRL)], synopsis: "Rebuild every issuer's CRL."),
            EnginePath("crl/rotate-delta", operations: [.read: .init("Rebuild the delta CRLs.", method: PKIEngine.rotateDeltaCRL)], synopsis: "Rebuild every issuer's delta CRL."),
            EnginePath("issuer/{issuer_ref}/crl", fields: [issuerRef], operations: [.read: .init("An issuer's CRL.", method: PKIEngine.readCRL)], unauthenticated: true, synopsis: "An issuer's CRL (JSON)."),
            EnginePath("issuer/{issuer_ref}/crl/pem", fields: [issuerRef], operations: [.read: .init("An issuer's CRL, PEM.", method: PKIEngine.readCRL)], unauthenticated: true, synopsis: "An issuer's CRL (PEM)."),
            EnginePath("issuer/{issuer_ref}/crl/der", fields: [issuerRef], operations: [.read: .init("An issuer's CRL, DER.", method: PKIEngine.readCRL)], unauthenticated: true, synopsis: "An issuer's CRL (DER)."),
            EnginePath(
                "config/urls",
                fields: [.strings("issuing_certificates"), .strings("crl_distribution_points"), .strings("ocsp_servers"), .strings("delta_crl_distribution_points"), .bool("enable_templating")],
                operations: [.read: .init("Read the URLs.", method: PKIEngine.readURLs), .update: .init("Set the URLs.", method: PKIEngine.writeURLs)],
                synopsis: "The URLs written into issued certificates."),
            EnginePath(
                "config/crl",
                fields: [.string("expiry"), .bool("disable"), .bool("ocsp_disable"), .string("ocsp_expiry"), .bool("auto_rebuild"), .string("auto_rebuild_grace_period"), .bool("enable_delta"), .string("delta_rebuild_interval"), .bool("allow_expired_cert_revocation"), .bool("cross_cluster_revocation"), .bool("unified_crl"), .bool("unified_crl_on_existing_paths")],
                operations: [.read: .init("Read the CRL settings.", method: PKIEngine.readCRLConfig), .update: .init("Set the CRL settings.", method: PKIEngine.writeCRLConfig)],
                synopsis: "How CRLs are built."),
            EnginePath(
                "config/issuers", fields: [.string("default"), .bool("default_follows_latest_issuer")],
                operations: [.read: .init("Read the default issuer.", method: PKIEngine.readDefaults), .update: .init("Set the default issuer.", method: PKIEngine.writeDefaults)],
                synopsis: "The default issuer."),
            EnginePath(
                "root/replace", fields: [.string("default")],
                operations: [.update: .init("Set the default issuer.", method: PKIEngine.replaceRoot)], synopsis: "Set the default issuer."),
            EnginePath(
                "config/keys", fields: [.string("default")],
                operations: [.read: .init("Read the default key.", method: PKIEngine.readDefaults), .update: .init("Set the default key.", method: PKIEngine.writeDefaults)],
                synopsis: "The default key."),
            EnginePath("issuers/?", operations: [.list: .init("List the issuers.", method: PKIEngine.listIssuers)], unauthenticated: true, synopsis: "List the issuers."),
            EnginePath(
                "issuer/{issuer_ref}",
                fields: [issuerRef, .string("issuer_name"), .string("leaf_not_after_behavior"), Field("usage", .commaStringSlice), .strings("manual_chain"), .string("revocation_signature_algorithm"), .strings("issuing_certificates"), .strings("crl_distribution_points"), .strings("ocsp_servers"), .bool("enable_aia_url_templating")],
                operations: [
                    .read: .init("Read an issuer.", method: PKIEngine.readIssuer),
                    .update: .init("Update an issuer.", method: PKIEngine.updateIssuer),
                    .patch: .init("Update an issuer.", method: PKIEngine.updateIssuer),
                    .delete: .init("Delete an issuer.", noContent: true, method: PKIEngine.deleteIssuer),
                ],
                synopsis: "An issuer."),
            EnginePath("issuer/{issuer_ref}/json", fields: [issuerRef], operations: [.read: .init("An issuer's certificate and chain.", method: PKIEngine.readIssuer)], unauthenticated: true, synopsis: "An issuer (JSON)."),
            EnginePath("issuer/{issuer_ref}/pem", fields: [issuerRef], operations: [.read: .init("An issuer's chain, PEM.", method: PKIEngine.readIssuer)], unauthenticated: true, synopsis: "An issuer (PEM)."),
            EnginePath("issuer/{issuer_ref}/der", fields: [issuerRef], operations: [.read: .init("An issuer's certificate, DER.", method: PKIEngine.readIssuer)], unauthenticated: true, synopsis: "An issuer (DER)."),
            EnginePath("issuer/{issuer_ref}/revoke", fields: [issuerRef], operations: [.update: .init("Revoke an issuer.", method: PKIEngine.revokeIssuer)], sudo: true, synopsis: "Revoke an issuer."),
            EnginePath("keys/?", operations: [.list: .init("List the keys.", method: PKIEngine.listKeys)], synopsis: "List the keys."),
            EnginePath(
                "key/{key_ref}", fields: [keyRef, .string("key_name")],
                operations: [
                    .read: .init("Read a key.", method: PKIEngine.readKey),
                    .update: .init("Rename a key.", method: PKIEngine.updateKey),
                    .delete: .init("Delete a key.", noContent: true, method: PKIEngine.deleteKey),
                ],
                synopsis: "A key."),
            EnginePath(
                "ocsp", fields: [Field("http_request_body_base64", .string, "The DER OCSP request (sent as application/ocsp-request).")],
                operations: [.update: .init("Answer an OCSP request (POST).", method: PKIEngine.ocsp)], unauthenticated: true,
                synopsis: "OCSP responder (RFC 6960), POST."),
            EnginePath(
                "ocsp/{req+}", fields: [Field("req", .string, "The DER OCSP request, base64 (URL-encoded).")],
                operations: [.read: .init("Answer an OCSP request (GET).", method: PKIEngine.ocsp)], unauthenticated: true,
                synopsis: "OCSP responder (RFC 6960), GET."),
            EnginePath("tidy", fields: tidyFields, operations: [.update: .init("Remove expired certificates.", method: PKIEngine.tidy)], synopsis: "Tidy the certificate store."),
            EnginePath("tidy-status", operations: [.read: .init("The last tidy.", method: PKIEngine.tidyStatus)], synopsis: "Status of the last tidy."),
        ] + acmePaths,
        secrets: [
            SecretType("pki", revoke: { e, r in try await e.revokeLeased(r) })
        ])

    /// `root/replace`: the default issuer (`default` names it), as `config/issuers`.
    func replaceRoot(_ r: PathRequest) async throws -> LogicalResponse? {
        var copy = r
        copy.pattern = "config/issuers"
        return try await writeDefaults(copy)
    }
}
