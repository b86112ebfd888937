import CofferSDK
import SwiftASN1

/// The revoked serial numbers of a CRL (RFC 5280 §5.1), read from its DER or PEM.
///
/// swift-certificates has no CRL type, so this reads just what the `cert` method needs, as OpenBao does: the
/// `userCertificate` of each entry of `revokedCertificates`. The CRL's signature, issuer and dates are not checked
/// (OpenBao ignores them too: an administrator hands in a CRL they trust, and deletes it when it goes stale).
///
/// ```
/// CertificateList ::= SEQUENCE { tbsCertList TBSCertList, signatureAlgorithm, signatureValue }
/// TBSCertList ::= SEQUENCE { version INTEGER OPTIONAL, signature, issuer Name, thisUpdate Time,
///     nextUpdate Time OPTIONAL, revokedCertificates SEQUENCE OF SEQUENCE {
///         userCertificate INTEGER, revocationDate Time, crlEntryExtensions Extensions OPTIONAL } OPTIONAL,
///     crlExtensions [0] EXPLICIT Extensions OPTIONAL }
/// ```
struct RevocationList {
    /// Decimal, as ``ClientCertificate/serialNumber`` prints a certificate's.
    var revokedSerials: [String]

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    /// A PEM `X509 CRL` block when the text has one, else the bytes as DER.
    init(pemOrDER text: String) throws {
        if let block = PEMBlocks.parse(text).first(where: { $0.type == "X509 CRL" }) {
            try self.init(der: block.der)
        } else {
            try self.init(der: Array(text.utf8))
        }
    }

    init(der: [UInt8]) throws {
        let root: ASN1Node
        do {
            root = try DER.parse(der)
        } catch {
            throw ParseError(description: "not a DER-encoded CRL")
        }
        var serials: [String] = []
        do {
            try DER.sequence(root, identifier: .sequence) { list in
                guard let tbs = list.next() else { throw ParseError(description: "the CRL has no tbsCertList") }
                // The signature algorithm and value are not needed.
                while list.next() != nil {}
                try DER.sequence(tbs, identifier: .sequence) { fields in
                    var sawIssuer = false
                    while let node = fields.next() {
                        // The first SEQUENCE after the issuer (a SEQUENCE too) that follows it is the revoked list; the
                        // version is an INTEGER, the signature algorithm a SEQUENCE before the issuer.
                        guard node.identifier == .sequence else { continue }
                        if !sawIssuer {
                            // The algorithm identifier, then the issuer.
                            guard let issuer = fields.next(), issuer.identifier == .sequence else {
                                throw ParseError(description: "the CRL has no issuer")
                            }
                            sawIssuer = true
                            continue
                        }
                        try DER.sequence(node, identifier: .sequence) { entries in
                            while let entry = entries.next() {
                                try DER.sequence(entry, identifier: .sequence) { e in
                                    // The INTEGER's own bytes, two's complement, as Go's big.Int reads them.
                                    guard let serial = e.next(), serial.identifier == .integer, case .primitive(let bytes) = serial.content,
                                        !bytes.isEmpty
                                    else { throw ParseError(description: "a revoked entry has no serial number") }
                                    serials.append(ClientCertificate.decimal(twosComplement: Array(bytes)))
                                    while e.next() != nil {}
                                }
                            }
                        }
                    }
                }
            }
        } catch let e as ParseError {
            throw e
        } catch {
            throw ParseError(description: "malformed CRL: \(error)")
        }
        revokedSerials = serials
    }
}
