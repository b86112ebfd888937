import CofferSDK
import Foundation
import Logging
import SwiftASN1
import X509

/// `login` and the renewal of the tokens it issues.
extension CertAuth {
    /// A role with its certificates parsed: the role's own, then its OCSP CA certificates.
    struct TrustedRole {
        var entry: CertEntry
        var certificates: [ClientCertificate]
    }

    /// The role a client certificate matched, and the certificate.
    struct Match {
        var role: TrustedRole
        var leaf: ClientCertificate
    }

    /// Logs in with the certificate of the request's TLS connection; `name` limits the roles tried to one.
    func login(_ request: PathRequest) async throws -> LogicalResponse? {
        // OpenBao looks the alias (the certificate's CN) up first, which needs a certificate.
        guard let tls = request.logical.tls else { throw LogicalError.invalidRequest("tls connection not found") }
        guard !tls.peerCertificates.isEmpty else { throw CertErrors.noClientCertificate }
        let config = try await loadConfig(request.storage)
        let match = try await verifyCredentials(request.logical, certName: try request.fields.string("name"))
        let role = match.role.entry
        let cidrs = role.token.boundCIDRs
        if !cidrs.isEmpty && !cidrs.contains(where: { CIDRBlock($0)?.contains(request.logical.remoteAddress ?? "") ?? false }) {
            throw LogicalError.permissionDenied
        }
        let leaf = match.leaf
        var metadata = [
            "cert_name": role.name, "common_name": leaf.commonName, "serial_number": leaf.serialNumber,
            "subject_key_id": ClientCertificate.hexFormatted(leaf.subjectKeyID),
            "authority_key_id": ClientCertificate.hexFormatted(leaf.authorityKeyID),
        ]
        metadata.merge(Self.extensionMetadata(leaf, role), uniquingKeysWith: { _, new in new })
        var auth = AuthInfo(
            metadata: metadata, displayName: role.displayName, renewable: true,
            alias: AuthAlias(name: leaf.commonName, metadata: config.enableIdentityAliasMetadata ? metadata : [:]),
            internalData: [
                "subject_key_id": Data(leaf.subjectKeyID).base64EncodedString(),
                "authority_key_id": Data(leaf.authorityKeyID).base64EncodedString(),
            ])
        role.token.apply(to: &auth)
        return LogicalResponse(auth: auth)
    }

    /// Renews a token from `login`, in OpenBao 2.7's order: the role must still exist (else the token is not renewed)
    /// with the same policies; then, unless `disable_binding` is set, the renewing client must present a certificate
    /// that still matches the role, with the login certificate's subject or authority key identifier. The role's
    /// current TTLs apply.
    func renew(_ request: PathRequest) async throws -> LogicalResponse? {
        guard let auth = request.logical.auth else { throw LogicalError.invalidRequest("request auth was nil") }
        let certName = auth.metadata["cert_name"] ?? ""
        guard let role = try await loadCert(request.storage, certName) else { return nil }
        guard Self.equivalentPolicies(role.token.policies, auth.policies) else { throw CertErrors.policiesChanged }
        if try await !loadConfig(request.storage).disableBinding {
            let match: Match
            do {
                match = try await verifyCredentials(request.logical, certName: certName)
            } catch let e as LogicalError where e.code == .invalidRequest && !e.isGoError {
                throw LogicalError.renewalErrorResponse(e.messages.joined(separator: "; "))
            }
            let skid = Data(match.leaf.subjectKeyID).base64EncodedString()
            let akid = Data(match.leaf.authorityKeyID).base64EncodedString()
            // OpenBao's test: the renewal is refused only when both identifiers differ from the login's.
            if auth.internalData["subject_key_id"] != skid && auth.internalData["authority_key_id"] != akid {
                throw CertErrors.identityChanged
            }
        }
        return role.token.renewal(of: auth)
    }

    /// Set equality of two policy lists, ignoring `default`, empty names and case.
    static func equivalentPolicies(_ a: [String], _ b: [String]) -> Bool {
        func normalize(_ p: [String]) -> Set<String> {
            Set(p.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty && $0 != "default" })
        }
        return normalize(a) == normalize(b)
    }

    // MARK: Verification

    /// The roles to try, by name: the one named, or all of them in storage order; those whose certificate does not
    /// parse are skipped. A role whose first certificate is a CA anchors chains; any other must be presented as is.
    func trustedRoles(_ storage: any LogicalStorage, certName: String) async throws -> (ca: [TrustedRole], nonCA: [TrustedRole]) {
        let names = certName.isEmpty ? try await storage.list(prefix: "cert/").sorted() : [certName.lowercased()]
        var ca: [TrustedRole] = []
        var nonCA: [TrustedRole] = []
        for name in names {
            guard let entry = try await loadCert(storage, name) else { continue }
            let certificates = PEMBlocks.certificates(entry.certificate)
            guard let first = certificates.first else {
                logger.error("failed to parse certificate", metadata: ["coffer.cert_role": "\(name)"])
                continue
            }
            let role = TrustedRole(entry: entry, certificates: certificates + PEMBlocks.certificates(entry.ocspCACertificates))
            if first.isCA { ca.append(role) } else { nonCA.append(role) }
        }
        return (ca, nonCA)
    }

    /// OpenBao's `verifyCredentials`: the client's certificate must be valid now, and either be a role's non-CA
    /// certificate or chain (through the intermediates it sent) to a role's CA, with the TLS client-authentication
    /// usage; then the role's constraints and the CRLs decide. The first role that accepts it wins: non-CA roles first,
    /// then CA roles, each in name order.
    func verifyCredentials(_ request: LogicalRequest, certName: String) async throws -> Match {
        guard let tls = request.tls else { throw CertErrors.tlsRequired }
        guard let leafDER = tls.peerCertificates.first else { throw CertErrors.noClientCertificate }
        guard let leaf = try? ClientCertificate(der: leafDER) else { throw CertErrors.invalidCertificate }
        let intermediates = CertificateStore(tls.peerCertificates.dropFirst().compactMap { try? Certificate(derEncoded: $0) })
        let now = self.now()
        // Go checks the client's own validity before looking for a chain.
        let invalid = "x509: certificate has expired or is not yet valid: current time \(Self.rfc3339(now))"
        if now < leaf.certificate.notValidBefore {
            throw CertErrors.verifyFailed(invalid + " is before \(Self.rfc3339(leaf.certificate.notValidBefore))")
        }
        if now > leaf.certificate.notValidAfter {
            throw CertErrors.verifyFailed(invalid + " is after \(Self.rfc3339(leaf.certificate.notValidAfter))")
        }

        let (caRoles, nonCARoles) = try await trustedRoles(request.storage, certName: certName)
        var chains: [(role: TrustedRole, chain: [Certificate])] = []
        var usageRefused = false
        for role in caRoles {
            var verifier = Verifier(rootCertificates: CertificateStore(role.certificates.map(\.certificate))) {
                RFC5280Policy(validationTime: now)
                ClientCertificateExtensionsPolicy()
            }
            guard case .validCertificate(let chain) = await verifier.validate(leaf: leaf.certificate, intermediates: intermediates) else { continue }
            let certificates = Array(chain)
            if certificates.allSatisfy({ ClientCertificate.allowsClientAuth($0) }) {
                chains.append((role, certificates))
            } else {
                usageRefused = true
            }
        }
        if chains.isEmpty && usageRefused { throw CertErrors.verifyFailed("x509: certificate specifies an incompatible key usage") }

        let revoked = try await revokedSerials(request.storage)
        var errors: [String] = []
        for role in nonCARoles where role.certificates[0].der == leaf.der {
            if matchesConstraints(leaf, chain: role.certificates.map(\.certificate), role: role.entry, revoked: revoked, errors: &errors) {
                return Match(role: role, leaf: leaf)
            }
        }
        if chains.isEmpty {
            if errors.isEmpty { throw CertErrors.invalidCertificate }
            throw CertErrors.withVerificationErrors(CertErrors.invalidCertificate, errors)
        }
        for (role, chain) in chains {
            if matchesConstraints(leaf, chain: chain, role: role.entry, revoked: revoked, errors: &errors) { return Match(role: role, leaf: leaf) }
        }
        if errors.isEmpty { throw CertErrors.noMatchingChain }
        throw CertErrors.withVerificationErrors(CertErrors.noMatchingChain, errors)
    }

    /// A role's checks on a client certificate and the chain that leads to the role: no certificate of the chain
    /// revoked, the `allowed_*` globs (each list, when set, must match one value), the required extensions. A role
    /// asking for OCSP fails closed (Coffer has no OCSP client) unless `ocsp_fail_open` is set.
    func matchesConstraints(
        _ leaf: ClientCertificate, chain: [Certificate], role: CertEntry, revoked: Set<String>, errors: inout [String]
    ) -> Bool {
        if chain.contains(where: { revoked.contains(ClientCertificate.serialNumber($0)) }) { return false }
        func any(_ patterns: [String]?, _ values: [String]) -> Bool {
            guard let patterns, !patterns.isEmpty else { return true }
            return patterns.contains { p in values.contains { GoGlob.matches(p, $0) } }
        }
        guard any(role.allowedNames, [leaf.commonName] + leaf.dnsNames + leaf.emailAddresses),
            any(role.allowedCommonNames, [leaf.commonName]),
            any(role.allowedDNSSANs, leaf.dnsNames),
            any(role.allowedEmailSANs, leaf.emailAddresses),
            any(role.allowedURISANs, leaf.uris),
            any(role.allowedOrganizationalUnits, leaf.organizationalUnits),
            Self.matchesRequiredExtensions(leaf, role.requiredExtensions ?? [])
        else { return false }
        if role.ocspEnabled && chain.count >= 2 && !role.ocspFailOpen {
            let message = "OCSP checking is not supported by this server"
            if !errors.contains(message) { errors.append(message) }
            return false
        }
        return true
    }

    /// Each `oid:glob` must name an extension of the certificate whose string value matches.
    static func matchesRequiredExtensions(_ leaf: ClientCertificate, _ required: [String]) -> Bool {
        if required.isEmpty { return true }
        let values = Dictionary(leaf.extensionStrings.map { ($0.oid, $0.value) }, uniquingKeysWith: { _, last in last })
        if values.isEmpty { return false }
        return required.allSatisfy { spec in
            let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let value = values[String(parts[0])] else { return false }
            return GoGlob.matches(String(parts[1]), value)
        }
    }

    /// The `allowed_metadata_extensions` the certificate has, keyed by their OID with dashes for dots.
    static func extensionMetadata(_ leaf: ClientCertificate, _ role: CertEntry) -> [String: String] {
        guard let allowed = role.allowedMetadataExtensions, !allowed.isEmpty else { return [:] }
        let keys = Set(allowed)
        var out: [String: String] = [:]
        for (oid, value) in leaf.extensionStrings where keys.contains(oid) {
            out[oid.replacingOccurrences(of: ".", with: "-")] = value
        }
        return out
    }

    /// Go's `time.RFC3339` in UTC, as `x509.CertificateInvalidError` prints times.
    static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

/// The critical extensions a client certificate may carry besides those `RFC5280Policy` handles: the extended key
/// usage (checked after the chain is built, so that a wrong usage is reported as Go reports it) and the subject
/// alternative names (matched against the role's globs).
struct ClientCertificateExtensionsPolicy: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [
        .X509ExtensionID.extendedKeyUsage, .X509ExtensionID.subjectAlternativeName,
    ]

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) async -> PolicyEvaluationResult { .meetsPolicy }
}
