import Crypto
import Foundation
import SwiftASN1
import X509

/// The embedded default serves HTTPS from its first start: when no certificate exists yet, a self-signed P-256
/// certificate for `localhost`, `127.0.0.1` and `::1` is generated into the data folder (key file mode 0600).
///
/// It is a leaf (CA:FALSE), which clients trust when given it as their CA file: Go's `crypto/x509` (`bao`) and
/// Coffer's client accept a pool certificate that is the presented certificate itself; OpenSSL (curl, Python) accepts
/// a self-signed certificate found in its trust store.
enum SelfSignedCertificate {
    /// The names the certificate is valid for.
    static let subjectAlternativeNames: [GeneralName] = [
        .dnsName("localhost"),
        .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
        .ipAddress(ASN1OctetString(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
    ]

    static func ensure(certPath: String, keyPath: String, now: Date = Date()) throws -> Bool {
        let fm = FileManager.default
        if fm.fileExists(atPath: certPath) && fm.fileExists(atPath: keyPath) { return false }
        let dir = (certPath as NSString).deletingLastPathComponent
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("localhost") }
        let cert = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(365 * 86400), issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(subjectAlternativeNames)
            },
            issuerPrivateKey: .init(key))
        let certPEM = try cert.serializeAsPEM().pemString + "\n"
        guard fm.createFile(atPath: keyPath, contents: Data(key.pemRepresentation.utf8), attributes: [.posixPermissions: 0o600]),
            fm.createFile(atPath: certPath, contents: Data(certPEM.utf8), attributes: [.posixPermissions: 0o644])
        else {
            throw CofferServer.StartupError(description: "cannot write a TLS certificate to \(dir)")
        }
        return true
    }
}
