import CofferSDK
import Foundation
import SwiftASN1
import X509

/// A certificate with the values the `cert` method matches and reports, read once: the subject's common name and
/// organisational units, the SANs, the serial in decimal, the key identifiers, and its extensions as strings.
struct ClientCertificate: Sendable {
    let certificate: Certificate
    /// The DER the certificate was parsed from (compared byte for byte with a role's non-CA certificate).
    let der: [UInt8]

    init(der: [UInt8]) throws {
        self.certificate = try Certificate(derEncoded: der)
        self.der = der
    }

    /// The last CN of the subject, as Go's `pkix.Name.CommonName` reads it ("" without one).
    var commonName: String { Self.attributes(certificate.subject, .RDNAttributeType.commonName).last ?? "" }

    var organizationalUnits: [String] { Self.attributes(certificate.subject, .RDNAttributeType.organizationalUnitName) }

    static func attributes(_ name: DistinguishedName, _ type: ASN1ObjectIdentifier) -> [String] {
        name.flatMap { rdn in rdn.filter { $0.type == type }.compactMap { String($0.value) } }
    }

    var subjectAlternativeNames: [GeneralName] { (try? certificate.extensions.subjectAlternativeNames).map { Array($0) } ?? [] }

    var dnsNames: [String] {
        subjectAlternativeNames.compactMap { if case .dnsName(let n) = $0 { return n } else { return nil } }
    }

    var emailAddresses: [String] {
        subjectAlternativeNames.compactMap { if case .rfc822Name(let n) = $0 { return n } else { return nil } }
    }

    var uris: [String] {
        subjectAlternativeNames.compactMap { if case .uniformResourceIdentifier(let n) = $0 { return n } else { return nil } }
    }

    /// Go's `IsCA`: a basic-constraints extension that says CA.
    var isCA: Bool {
        if case .some(.isCertificateAuthority) = try? certificate.extensions.basicConstraints { return true }
        return false
    }

    /// The extended key usages, or nil when the certificate has none (any use is then allowed).
    var extendedKeyUsages: [ExtendedKeyUsage.Usage]? {
        guard let eku = try? certificate.extensions.extendedKeyUsage else { return nil }
        return Array(eku)
    }

    /// Whether the certificate may authenticate a TLS client: no extended key usage, or one naming client
    /// authentication or any use.
    var allowsClientAuth: Bool { Self.allowsClientAuth(certificate) }

    static func allowsClientAuth(_ certificate: Certificate) -> Bool {
        guard let eku = try? certificate.extensions.extendedKeyUsage else { return true }
        return eku.contains(.clientAuth) || eku.contains(.any)
    }

    var subjectKeyID: [UInt8] { (try? certificate.extensions.subjectKeyIdentifier).map { Array($0.keyIdentifier) } ?? [] }

    var authorityKeyID: [UInt8] { (try? certificate.extensions.authorityKeyIdentifier)?.keyIdentifier.map { Array($0) } ?? [] }

    /// The serial number as Go's `big.Int.String()` prints it: decimal, with a sign when the DER integer is negative.
    var serialNumber: String { Self.serialNumber(certificate) }

    static func serialNumber(_ certificate: Certificate) -> String { decimal(twosComplement: Array(certificate.serialNumber.bytes)) }

    /// Each extension's value read as an ASN.1 string, by dotted OID ("" when the value is not a string), as OpenBao
    /// matches `required_extensions` and fills `allowed_metadata_extensions`.
    var extensionStrings: [(oid: String, value: String)] {
        certificate.extensions.map { ext in (ext.oid.description, Self.asn1String(ext.value) ?? "") }
    }

    /// The text of a DER-encoded ASN.1 string (UTF8String, PrintableString, IA5String, NumericString, T61String or
    /// BMPString), or nil for anything else.
    static func asn1String(_ bytes: ArraySlice<UInt8>) -> String? {
        guard let node = try? DER.parse(bytes), case .primitive(let content) = node.content else { return nil }
        switch node.identifier {
        case .utf8String, .printableString, .ia5String, .numericString:
            return String(decoding: content, as: UTF8.self)
        case .teletexString:
            return String(content.map { Character(Unicode.Scalar($0)) })
        case .bmpString:
            guard content.count % 2 == 0 else { return nil }
            let units = stride(from: content.startIndex, to: content.endIndex, by: 2).map { UInt16(content[$0]) << 8 | UInt16(content[$0 + 1]) }
            return String(decoding: units, as: UTF16.self)
        default:
            return nil
        }
    }

    /// Lower-case hex bytes joined by colons (`certutil.GetHexFormatted(b, ":")`).
    static func hexFormatted(_ bytes: [UInt8]) -> String {
        bytes.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined(separator: ":")
    }

    /// A big-endian two's complement integer in decimal.
    static func decimal(twosComplement bytes: [UInt8]) -> String {
        guard let first = bytes.first else { return "0" }
        var magnitude = bytes
        let negative = first & 0x80 != 0
        if negative {
            // Negate: invert and add one.
            magnitude = magnitude.map { ~$0 }
            var i = magnitude.count - 1
            while i >= 0 {
                let (sum, overflow) = magnitude[i].addingReportingOverflow(1)
                magnitude[i] = sum
                if !overflow { break }
                i -= 1
            }
        }
        var digits: [UInt8] = []
        var number = Array(magnitude.drop { $0 == 0 })
        while !number.isEmpty {
            // Divide by ten, keeping the remainder.
            var remainder = 0
            var quotient: [UInt8] = []
            quotient.reserveCapacity(number.count)
            for byte in number {
                let value = remainder << 8 | Int(byte)
                let q = value / 10
                remainder = value % 10
                if !quotient.isEmpty || q != 0 { quotient.append(UInt8(q)) }
            }
            digits.append(UInt8(remainder))
            number = quotient
        }
        if digits.isEmpty { return "0" }
        return (negative ? "-" : "") + String(digits.reversed().map { Character(Unicode.Scalar($0 + 48)) })
    }
}

/// PEM blocks as Go's `pem.Decode` finds them, and the certificates among them as OpenBao's `parsePEM` keeps them.
enum PEMBlocks {
    struct Block {
        var type: String
        var hasHeaders: Bool
        var der: [UInt8]
    }

    /// Every well-formed `-----BEGIN T-----` … `-----END T-----` block of the text, in order; text between blocks
    /// and blocks whose body is not base64 are skipped.
    static func parse(_ text: String) -> [Block] {
        var blocks: [Block] = []
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        var i = 0
        while i < lines.count {
            let line = lines[i]
            i += 1
            guard line.hasPrefix("-----BEGIN "), line.hasSuffix("-----"), line.count > 16 else { continue }
            let type = String(line.dropFirst(11).dropLast(5))
            var body = ""
            var headers = false
            var ended = false
            while i < lines.count {
                let l = lines[i]
                i += 1
                if l == "-----END \(type)-----" {
                    ended = true
                    break
                }
                if l.contains(":") {
                    headers = true
                } else {
                    body += l
                }
            }
            guard ended, let der = Data(base64Encoded: body) else { continue }
            blocks.append(Block(type: type, hasHeaders: headers, der: [UInt8](der)))
        }
        return blocks
    }

    /// The certificates of a PEM text (`CERTIFICATE` or `TRUSTED CERTIFICATE` blocks without headers that parse).
    static func certificates(_ text: String) -> [ClientCertificate] {
        parse(text).filter { ($0.type == "CERTIFICATE" || $0.type == "TRUSTED CERTIFICATE") && !$0.hasHeaders }
            .compactMap { try? ClientCertificate(der: $0.der) }
    }
}
