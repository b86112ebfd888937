import CofferSDK
import Foundation
import Logging

/// Builds the `cert` auth method for a mount (`auth/<path>/`).
@Sendable public func makeCertAuth(_ config: EngineConfiguration) -> any SecretsEngine {
    CertAuth(logger: config.logger)
}

/// TLS client-certificate logins, speaking OpenBao's `cert` API.
///
/// A role (`certs/:name`) holds a trusted certificate: a CA (or a bundle of them), which any chain the client
/// presents must lead to, or a client certificate that must be presented exactly. The listener accepts any client
/// certificate without checking it; this method verifies the chain (signatures, validity, basic constraints, the TLS
/// client-authentication usage) with swift-certificates' `Verifier`, then the role's `allowed_*` globs, its
/// `required_extensions`, and the revoked serials of the CRLs given at `crls/:name`.
///
/// Storage: `cert/<name>` (a role), `crls/<name>` (the revoked serials of a CRL, in decimal), `config`.
struct CertAuth: FrameworkEngine {
    let logger: Logger
    /// The time certificates are checked at; tests move it.
    var now: @Sendable () -> Date = { Date() }
    /// Serialises read-modify-write of roles, CRLs and the config.
    let lock = AsyncLock()

    static let name = Field("name", .string, "The name of the certificate")
    static let legacy: [TokenParameters.Legacy] = [.policies, .ttl, .maxTTL, .period, .boundCIDRs]

    /// The role fields besides the token ones (`certs/:name`).
    static let roleFields: [Field] = [
        name,
        Field("certificate", .string, "The public certificate that should be trusted. Must be x509 PEM encoded."),
        Field("ocsp_enabled", .bool, "Whether to attempt OCSP verification of certificates at login"),
        Field("ocsp_ca_certificates", .string, "Any additional CA certificates needed to communicate with OCSP servers"),
        Field(
            "ocsp_servers_override", .commaStringSlice,
            "A comma-separated list of OCSP server addresses. If unset, the OCSP server is determined from the AuthorityInformationAccess extension on the certificate being inspected."
        ),
        Field(
            "ocsp_fail_open", .bool, default: false,
            "If set to true, if an OCSP revocation cannot be made successfully, login will proceed rather than failing. If false, failing to get an OCSP status fails the request."
        ),
        Field(
            "ocsp_query_all_servers", .bool, default: false,
            "If set to true, rather than accepting the first successful OCSP response, query all servers and consider the certificate valid only if all servers agree."
        ),
        Field(
            "allowed_names", .commaStringSlice,
            "A comma-separated list of names. At least one must exist in either the Common Name or SANs. Supports globbing. This parameter is deprecated, please use allowed_common_names, allowed_dns_sans, allowed_email_sans, allowed_uri_sans."
        ),
        Field("allowed_common_names", .commaStringSlice, "A comma-separated list of names. At least one must exist in the Common Name. Supports globbing."),
        Field("allowed_dns_sans", .commaStringSlice, "A comma-separated list of DNS names. At least one must exist in the SANs. Supports globbing."),
        Field(
            "allowed_email_sans", .commaStringSlice, "A comma-separated list of Email Addresses. At least one must exist in the SANs. Supports globbing."),
        Field("allowed_uri_sans", .commaStringSlice, "A comma-separated list of URIs. At least one must exist in the SANs. Supports globbing."),
        Field(
            "allowed_organizational_units", .commaStringSlice,
            "A comma-separated list of Organizational Units names. At least one must exist in the OU field."),
        Field(
            "required_extensions", .commaStringSlice,
            "A comma-separated string or array of extensions formatted as \"oid:value\". Expects the extension value to be some type of ASN1 encoded string. All values much match. Supports globbing on \"value\"."
        ),
        Field(
            "allowed_metadata_extensions", .commaStringSlice,
            "A comma-separated string or array of oid extensions. Upon successful authentication, these extensions will be added as metadata if they are present in the certificate. The metadata key will be the string consisting of the oid numbers separated by a dash (-) instead of a dot (.) to allow usage in ACL templates."
        ),
        Field("display_name", .string, "The display name to use for clients using this certificate."),
        Field("lease", .int, deprecated: true, "Use \"token_ttl\" instead. If this and \"token_ttl\" are both specified, only \"token_ttl\" will be used."),
    ]

    static let router = PathRouter<CertAuth>(
        [
            EnginePath(
                "certs/?",
                fields: [
                    Field("after", .string, "Optional entry to list begin listing after, not required to exist."),
                    Field("limit", .int, "Optional number of entries to return; defaults to all entries."),
                ],
                operations: [.list: .init("List the trusted certificates.", method: CertAuth.listCerts)],
                synopsis: "Manage trusted certificates used for authentication.",
                description: "This endpoint allows you to create, read, update, and delete trusted certificates that are allowed to authenticate."),
            EnginePath(
                "certs/{name}",
                fields: roleFields + TokenParameters.fields(legacy: legacy),
                operations: [
                    .read: .init("Read a trusted certificate.", method: CertAuth.readCert),
                    .update: .init("Create or update a trusted certificate.", noContent: true, method: CertAuth.writeCert),
                    .delete: .init("Delete a trusted certificate.", noContent: true, method: CertAuth.deleteCert),
                ],
                synopsis: "Manage trusted certificates used for authentication.",
                description: """
                    This endpoint allows you to create, read, update, and delete trusted certificates that are allowed to \
                    authenticate. Deleting a certificate will not revoke auth for prior authenticated connections; the next \
                    renewal of their tokens fails.
                    """),
            EnginePath(
                "crls/?",
                operations: [.list: .init("List the CRLs.", method: CertAuth.listCRLs)],
                synopsis: "Manage Certificate Revocation Lists checked during authentication.",
                description: "This endpoint lists the Certificate Revocation Lists checked during authentication."),
            EnginePath(
                "crls/{name}",
                fields: [
                    name,
                    Field(
                        "crl", .string,
                        "The public CRL that should be trusted to attest to certificates' validity statuses. May be DER or PEM encoded. Note: the expiration time is ignored; if the CRL is no longer valid, delete it using the same name as specified here."
                    ),
                    Field("url", .string, "The URL of a CRL distribution point. Only one of 'crl' or 'url' parameters should be specified."),
                ],
                operations: [
                    .read: .init("Read the revoked serials of a CRL.", method: CertAuth.readCRL),
                    .update: .init("Add or replace a CRL.", noContent: true, method: CertAuth.writeCRL),
                    .delete: .init("Delete a CRL.", noContent: true, method: CertAuth.deleteCRL),
                ],
                synopsis: "Manage Certificate Revocation Lists checked during authentication.",
                description: """
                    When any CRLs are in effect, any login will check the trust chains sent by a client against the \
                    submitted CRLs. Any chain containing a serial number revoked by one or more of the CRLs causes that \
                    chain to be marked as invalid for the authentication attempt.
                    """),
            EnginePath(
                "config",
                fields: [
                    Field(
                        "disable_binding", .bool, default: false,
                        "If set, during renewal, skips the matching of presented client identity with the client identity used during login. Defaults to false."
                    ),
                    Field(
                        "enable_identity_alias_metadata", .bool, default: false,
                        "If set, metadata of the certificate including the metadata corresponding to allowed_metadata_extensions will be stored in the alias. Defaults to false."
                    ),
                    Field("ocsp_cache_size", .int, default: 100, "The size of the in memory OCSP response cache, shared by all configured certs"),
                ],
                operations: [
                    .read: .init("Read the method's configuration.", method: CertAuth.readConfig),
                    .update: .init("Configure the method.", noContent: true, method: CertAuth.writeConfig),
                ],
                synopsis: "Configure the cert auth method.",
                description: "Options that apply to every certificate of this mount."),
            EnginePath(
                "login",
                fields: [Field("name", .string, "The name of the certificate role to authenticate against.")],
                operations: [
                    .update: .init("Log in with the TLS client certificate of the connection.", method: CertAuth.login),
                    .renew: .init(method: CertAuth.renew),
                ],
                unauthenticated: true,
                synopsis: "Log in with a TLS client certificate.",
                description: """
                    Authenticates with the certificate the client presented in the TLS handshake: it must chain to a \
                    trusted certificate (or be one) and meet that certificate's constraints.
                    """),
        ],
        help: """
            The "cert" credential provider allows authentication using TLS client certificates. A client connects to \
            the server over TLS, presents its certificate, and logs in at the login endpoint; the certificate must \
            chain to one of the trusted certificates configured at certs/ and meet its constraints.
            """,
        lockoutLookahead: false)
}
