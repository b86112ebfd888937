import CofferSDK
import Crypto
import Foundation
import SwiftASN1
import X509

/// What goes into a certificate besides its key and issuer.
struct CertificateTemplate: Sendable {
    var subject: DistinguishedName
    var dnsNames: [String] = []
    var emails: [String] = []
    var ips: [[UInt8]] = []
    var uris: [String] = []
    var notBefore: Date
    var notAfter: Date
    var isCA = false
    /// -1: no limit.
    var maxPathLength: Int = -1
    var keyUsage: [String] = []
    var extKeyUsage: [ExtendedKeyUsage.Usage] = []
    var urls = URLsConfig()
    var serial = CertificateBuilder.newSerial()
    /// Extensions copied as they are (sign-verbatim, sign-self-issued), after the ones built here are set.
    var copiedExtensions: [Certificate.Extension] = []
}

enum CertificateBuilder {
    /// A random positive 20-byte serial (RFC 5280 4.1.2.2: positive, at most 20 octets), its first byte non-zero so
    /// that every serial has the same length, as OpenBao's do.
    static func newSerial() -> Certificate.SerialNumber {
        var rng = SystemRandomNumberGenerator()
        var bytes = (0..<20).map { _ in UInt8.random(in: 0...255, using: &rng) }
        bytes[0] = (bytes[0] & 0x7F) | 0x01
        return Certificate.SerialNumber(bytes: bytes)
    }

    static let crlDistributionPointsOID: ASN1ObjectIdentifier = [2, 5, 29, 31]

    /// Signs `template` for `publicKey`: by `issuer` (its certificate and key), or self-signed by `selfKey`.
    static func build(
        _ t: CertificateTemplate, publicKey: Certificate.PublicKey, issuer: (cert: Certificate, key: PKIKey)?, selfKey: PKIKey? = nil,
        signatureBits: Int64 = 0
    ) throws -> Certificate {
        guard let signer = issuer?.key ?? selfKey else { throw LogicalError.internalError("no signing key") }
        var exts = Certificate.Extensions()
        if t.isCA {
            try exts.append(
                Certificate.Extension(
                    BasicConstraints.isCertificateAuthority(maxPathLength: t.maxPathLength >= 0 ? t.maxPathLength : nil), critical: true))
        }
        var usage = KeyUsage()
        for u in t.keyUsage { try applyKeyUsage(u, to: &usage) }
        if t.isCA {
            usage.keyCertSign = true
            usage.cRLSign = true
        }
        if usage != KeyUsage() { try exts.append(Certificate.Extension(usage, critical: true)) }
        if !t.extKeyUsage.isEmpty { try exts.append(Certificate.Extension(try ExtendedKeyUsage(t.extKeyUsage), critical: false)) }
        let ski = SubjectKeyIdentifier(hash: publicKey)
        try exts.append(Certificate.Extension(ski, critical: false))
        if let issuer {
            if let issuerSKI = try? issuer.cert.extensions.subjectKeyIdentifier {
                try exts.append(Certificate.Extension(AuthorityKeyIdentifier(keyIdentifier: issuerSKI.keyIdentifier), critical: false))
            }
        } else {
            try exts.append(Certificate.Extension(AuthorityKeyIdentifier(keyIdentifier: ski.keyIdentifier), critical: false))
        }
        var sans: [GeneralName] = t.dnsNames.map { .dnsName($0) } + t.emails.map { .rfc822Name($0) }
        sans += t.ips.map { .ipAddress(ASN1OctetString(contentBytes: ArraySlice($0))) }
        sans += t.uris.map { .uniformResourceIdentifier($0) }
        if !sans.isEmpty { try exts.append(Certificate.Extension(SubjectAlternativeNames(sans), critical: false)) }
        var access: [AuthorityInformationAccess.AccessDescription] = []
        access += t.urls.ocspServers.map { .init(method: .ocspServer, location: .uniformResourceIdentifier($0)) }
        access += t.urls.issuingCertificates.map { .init(method: .issuingCA, location: .uniformResourceIdentifier($0)) }
        if !access.isEmpty { try exts.append(Certificate.Extension(AuthorityInformationAccess(access), critical: false)) }
        if !t.urls.crlDistributionPoints.isEmpty {
            try exts.append(Certificate.Extension(oid: crlDistributionPointsOID, critical: false, value: try crlDistributionPoints(t.urls.crlDistributionPoints)))
        }
        for e in t.copiedExtensions where exts[oid: e.oid] == nil { try exts.append(e) }
        return try Certificate(
            version: .v3, serialNumber: t.serial, publicKey: publicKey, notValidBefore: t.notBefore, notValidAfter: t.notAfter,
            issuer: issuer?.cert.subject ?? t.subject, subject: t.subject, signatureAlgorithm: try signer.signatureAlgorithm(signatureBits: signatureBits),
            extensions: exts, issuerPrivateKey: signer.privateKey)
    }

    /// RFC 5280 CRLDistributionPoints with one full-name URI per point.
    static func crlDistributionPoints(_ urls: [String]) throws -> ArraySlice<UInt8> {
        var s = DER.Serializer()
        try s.appendConstructedNode(identifier: .sequence) { points in
            for url in urls {
                try points.appendConstructedNode(identifier: .sequence) { point in
                    // distributionPoint [0] { fullName [0] GeneralNames }
                    try point.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { dp in
                        try dp.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { names in
                            try names.serialize(GeneralName.uniformResourceIdentifier(url))
                        }
                    }
                }
            }
        }
        return s.serializedBytes[...]
    }

    static func applyKeyUsage(_ name: String, to usage: inout KeyUsage) throws {
        switch name.lowercased().replacingOccurrences(of: "_", with: "") {
        case "digitalsignature": usage.digitalSignature = true
        case "contentcommitment", "nonrepudiation": usage.nonRepudiation = true
        case "keyencipherment": usage.keyEncipherment = true
        case "dataencipherment": usage.dataEncipherment = true
        case "keyagreement": usage.keyAgreement = true
        case "certsign": usage.keyCertSign = true
        case "crlsign": usage.cRLSign = true
        case "encipheronly": usage.encipherOnly = true
        case "decipheronly": usage.decipherOnly = true
        default: throw LogicalError.invalidRequest("unrecognized key usage \(name)")
        }
    }

    static func extKeyUsage(_ name: String) throws -> ExtendedKeyUsage.Usage {
        switch name.lowercased() {
        case "serverauth": return .serverAuth
        case "clientauth": return .clientAuth
        case "codesigning": return .codeSigning
        case "emailprotection": return .emailProtection
        case "timestamping": return .timeStamping
        case "ocspsigning": return .ocspSigning
        case "any": return .any
        default: throw LogicalError.invalidRequest("unrecognized extended key usage \(name)")
        }
    }

    static func oid(_ text: String) throws -> ASN1ObjectIdentifier {
        let parts = text.split(separator: ".").map { UInt($0) }
        guard parts.count >= 2, parts.allSatisfy({ $0 != nil }) else { throw LogicalError.invalidRequest("invalid OID \(text)") }
        return try ASN1ObjectIdentifier(elements: parts.compactMap { $0 })
    }

    /// The subject of a certificate from a request's or role's fields.
    static func subject(
        commonName: String, organization: [String] = [], ou: [String] = [], country: [String] = [], locality: [String] = [],
        province: [String] = [], street: [String] = [], postalCode: [String] = [], serialNumber: String = ""
    ) throws -> DistinguishedName {
        var rdns: [RelativeDistinguishedName] = []
        func add(_ oid: ASN1ObjectIdentifier, _ values: [String], printable: Bool = false) throws {
            for v in values where !v.isEmpty {
                let attr = printable
                    ? try RelativeDistinguishedName.Attribute(type: oid, printableString: v)
                    : RelativeDistinguishedName.Attribute(type: oid, utf8String: v)
                rdns.append(RelativeDistinguishedName(attr))
            }
        }
        try add(.RDNAttributeType.countryName, country, printable: true)
        try add(.RDNAttributeType.organizationName, organization)
        try add(.RDNAttributeType.organizationalUnitName, ou)
        try add(.RDNAttributeType.localityName, locality)
        try add(.RDNAttributeType.stateOrProvinceName, province)
        try add(.RDNAttributeType.streetAddress, street)
        try add([2, 5, 4, 17], postalCode)
        try add([2, 5, 4, 5], serialNumber.isEmpty ? [] : [serialNumber], printable: true)
        try add(.RDNAttributeType.commonName, commonName.isEmpty ? [] : [commonName])
        return DistinguishedName(rdns)
    }

    /// The common name of a distinguished name, or "".
    static func commonName(_ dn: DistinguishedName) -> String {
        for rdn in dn {
            for a in rdn where a.type == .RDNAttributeType.commonName { return String(describing: a.value) }
        }
        return ""
    }

    /// An IP address in text form as bytes (4 or 16), or nil.
    static func ipBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
