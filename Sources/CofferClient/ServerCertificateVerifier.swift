import CofferSDK
import Foundation
import SwiftASN1
import X509

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Verifies the certificate chain a server presents the way Go's `crypto/x509` does for `bao`, and words each
/// failure as Go does (`x509: certificate signed by unknown authority`, `x509: certificate is valid for …, not …`).
///
/// Go's rules that matter for a Vault CLI, in Go's order:
/// 1. the leaf must be within its validity period;
/// 2. the leaf must name the host (IP SANs for an IP address, DNS SANs otherwise; the Common Name is never used);
/// 3. a certificate in the trust pool that *is* the presented leaf (byte for byte) is trusted as it stands, CA or not:
///    that is how a self-signed server certificate given as `VAULT_CACERT` works. Otherwise a chain is built to a
///    pool certificate with swift-certificates' RFC 5280 policy;
/// 4. a leaf with an extended key usage must allow server authentication.
///
/// ```swift
/// let verifier = ServerCertificateVerifier(roots: .pool([selfSigned]))
/// let failure = await verifier.verify(chain: [selfSigned], serverName: "127.0.0.1", now: Date()) // nil: trusted
/// ```
public struct ServerCertificateVerifier: Sendable {
    /// Where trust comes from.
    public enum Roots: Sendable {
        /// The certificates of `VAULT_CACERT` / `VAULT_CAPATH`.
        case pool([Certificate])
        /// The system's trust store.
        case system
    }

    public var roots: Roots

    public init(roots: Roots) {
        self.roots = roots
    }

    /// Checks `chain` (leaf first, then what the server sent along) for `serverName` at `now`.
    ///
    /// - Returns: `nil` when the chain is trusted, otherwise Go's error text (`x509: …`).
    public func verify(chain: [Certificate], serverName: String, now: Date) async -> String? {
        guard let leaf = chain.first else { return "tls: server didn't send any certificates" }
        if let expired = Self.validityFailure(leaf, now: now) { return expired }
        if let hostname = Self.hostnameFailure(leaf, host: serverName) { return hostname }
        let trusted: Bool
        switch roots {
        case .pool(let pool):
            if pool.contains(leaf) {
                trusted = true
            } else {
                trusted = await Self.buildsChain(leaf, intermediates: Array(chain.dropFirst()), roots: CertificateStore(pool), now: now)
            }
            if !trusted { return Self.unknownAuthority(leaf, candidates: pool + chain.dropFirst(), now: now) }
        case .system:
            trusted = await Self.buildsChain(leaf, intermediates: Array(chain.dropFirst()), roots: CertificateStore.systemTrustRoots, now: now)
            if !trusted { return Self.unknownAuthority(leaf, candidates: Array(chain.dropFirst()), now: now) }
        }
        if let usage = try? leaf.extensions.extendedKeyUsage, !usage.contains(.serverAuth), !usage.contains(.any) {
            return "x509: certificate specifies an incompatible key usage"
        }
        return nil
    }

    // MARK: Go's checks, one by one

    /// Go's `CertificateInvalidError{Expired}`.
    static func validityFailure(_ certificate: Certificate, now: Date) -> String? {
        if now < certificate.notValidBefore {
            return "x509: certificate has expired or is not yet valid: current time \(rfc3339(now)) is before \(rfc3339(certificate.notValidBefore))"
        }
        if now > certificate.notValidAfter {
            return "x509: certificate has expired or is not yet valid: current time \(rfc3339(now)) is after \(rfc3339(certificate.notValidAfter))"
        }
        return nil
    }

    /// Go's `Certificate.VerifyHostname` and the text of its `HostnameError`.
    static func hostnameFailure(_ certificate: Certificate, host: String) -> String? {
        let sans = (try? certificate.extensions.subjectAlternativeNames).map { Array($0) }
        var dnsNames: [String] = []
        var ipAddresses: [[UInt8]] = []
        for name in sans ?? [] {
            switch name {
            case .dnsName(let dns): dnsNames.append(dns)
            case .ipAddress(let octets): ipAddresses.append(Array(octets.bytes))
            default: break
            }
        }
        var candidateIP = host
        if host.count >= 3, host.hasPrefix("["), host.hasSuffix("]") { candidateIP = String(host.dropFirst().dropLast()) }
        if let ip = parseIP(candidateIP) {
            if ipAddresses.contains(where: { normalizeIP($0) == ip }) { return nil }
            if sans == nil, matchHostnames(commonName(certificate.subject) ?? "", candidateIP) {
                return "x509: certificate relies on legacy Common Name field, use SANs instead"
            }
            if ipAddresses.isEmpty {
                return "x509: cannot validate certificate for \(candidateIP) because it doesn't contain any IP SANs"
            }
            return "x509: certificate is valid for \(ipAddresses.map(formatIP).joined(separator: ", ")), not \(candidateIP)"
        }
        let candidate = host.lowercased()
        for pattern in dnsNames where matchHostnames(pattern, candidate) || matchExactly(pattern, candidate) {
            return nil
        }
        if sans == nil, matchHostnames(commonName(certificate.subject) ?? "", host) {
            return "x509: certificate relies on legacy Common Name field, use SANs instead"
        }
        if dnsNames.isEmpty { return "x509: certificate is not valid for any names, but wanted to match \(host)" }
        return "x509: certificate is valid for \(dnsNames.joined(separator: ", ")), not \(host)"
    }

    /// Chain building through the server's intermediates to a root, with the RFC 5280 rules (validity, basic
    /// constraints of every issuer, name constraints).
    static func buildsChain(_ leaf: Certificate, intermediates: [Certificate], roots: CertificateStore, now: Date) async -> Bool {
        var verifier = Verifier(rootCertificates: roots) {
            RFC5280Policy(fixedValidationTime: now)
            // The host was checked above with Go's rules; this policy only declares the SAN extension understood, so
            // that a critical SAN (a certificate with an empty subject) is not refused as unhandled.
            SubjectAlternativeNamesChecked()
        }
        switch await verifier.validate(leaf: leaf, intermediates: CertificateStore(intermediates)) {
        case .validCertificate: return true
        case .couldNotValidate: return false
        }
    }

    /// Go's `UnknownAuthorityError`: when a certificate with the leaf's issuer name was found but could not have
    /// signed it, Go names the first such candidate and the reason.
    static func unknownAuthority(_ leaf: Certificate, candidates: [Certificate], now: Date) -> String {
        let text = "x509: certificate signed by unknown authority"
        for candidate in candidates where candidate.subject == leaf.issuer && candidate != leaf {
            let reason: String
            if let failure = signatureFailure(leaf, parent: candidate) {
                reason = failure
            } else if let expired = validityFailure(candidate, now: now) {
                reason = expired
            } else {
                continue
            }
            return text + " (possibly because of \(FieldValue.goQuote(reason)) while trying to verify candidate authority certificate \(FieldValue.goQuote(displayName(candidate))))"
        }
        return text
    }

    /// Go's `Certificate.CheckSignatureFrom`.
    static func signatureFailure(_ certificate: Certificate, parent: Certificate) -> String? {
        let constraints = try? parent.extensions.basicConstraints
        let isCA: Bool
        if case .some(.isCertificateAuthority) = constraints { isCA = true } else { isCA = false }
        if (parent.version == .v3 && constraints == nil) || (constraints != nil && !isCA) {
            return "x509: invalid signature: parent certificate cannot sign this kind of certificate"
        }
        if let usage = try? parent.extensions.keyUsage, !usage.keyCertSign {
            return "x509: invalid signature: parent certificate cannot sign this kind of certificate"
        }
        if parent.publicKey.isValidSignature(certificate.signature, for: certificate) { return nil }
        let algorithm = String(describing: parent.publicKey)
        if algorithm.contains("P256") || algorithm.contains("P384") || algorithm.contains("P521") {
            return "x509: ECDSA verification failure"
        }
        if algorithm.contains("Ed25519") { return "x509: Ed25519 verification failure" }
        return "crypto/rsa: verification error"
    }

    // MARK: Helpers

    static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    static func commonName(_ name: DistinguishedName) -> String? {
        var found: String?
        for rdn in name {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                found = String(attribute.value) ?? String(describing: attribute.value)
            }
        }
        return found
    }

    static func displayName(_ certificate: Certificate) -> String {
        if let name = commonName(certificate.subject), !name.isEmpty { return name }
        for rdn in certificate.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.organizationName {
                return String(attribute.value) ?? String(describing: attribute.value)
            }
        }
        return "serial:" + String(describing: certificate.serialNumber)
    }

    /// Go's `matchHostnames`: a leading `*` label matches exactly one label.
    static func matchHostnames(_ pattern: String, _ host: String) -> Bool {
        let pattern = pattern.lowercased()
        var host = host.lowercased()
        if host.hasSuffix(".") { host.removeLast() }
        if pattern.isEmpty || host.isEmpty { return false }
        let patternParts = pattern.split(separator: ".", omittingEmptySubsequences: false)
        let hostParts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard patternParts.count == hostParts.count else { return false }
        for (index, part) in patternParts.enumerated() {
            if index == 0 && part == "*" { continue }
            if part != hostParts[index] { return false }
        }
        return true
    }

    /// Go's `matchExactly`.
    static func matchExactly(_ pattern: String, _ host: String) -> Bool {
        if host.isEmpty || host == "." || pattern.isEmpty || pattern == "." { return false }
        var host = host.lowercased()
        if host.hasSuffix(".") { host.removeLast() }
        return pattern.lowercased() == host
    }

    /// An IP address as 16 bytes (IPv4 mapped into IPv6, as Go compares them), or `nil` for a name.
    static func parseIP(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return normalizeIP(withUnsafeBytes(of: &v4) { Array($0) })
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    static func normalizeIP(_ bytes: [UInt8]) -> [UInt8] {
        if bytes.count == 4 { return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] + bytes }
        return bytes
    }

    /// Go's `net.IP.String()`.
    static func formatIP(_ bytes: [UInt8]) -> String {
        let normalized = normalizeIP(bytes)
        if normalized.count == 16, normalized.prefix(12) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] {
            return normalized.suffix(4).map(String.init).joined(separator: ".")
        }
        guard normalized.count == 16 else { return "?" + normalized.map { String($0, radix: 16) }.joined() }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: normalized) }
        guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Declares the subject alternative name extension handled (the host is checked by ``ServerCertificateVerifier``).
struct SubjectAlternativeNamesChecked: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.subjectAlternativeName]

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult { .meetsPolicy }
}
