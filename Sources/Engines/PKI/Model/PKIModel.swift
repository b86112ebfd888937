import CofferSDK
import Foundation
import SwiftASN1
import X509

/// Storage layout of a PKI mount (all inside the mount's barrier view):
/// `issuer/<id>`, `key/<id>`, `config/issuers`, `config/keys`, `config/urls`, `config/crl`, `role/<name>`,
/// `certs/<serial>` (issued certificates, serial in `aa-bb-…` form), `revoked/<serial>`, `crl/<issuer id>` (the last
/// CRL built and its number), `tidy/status`.
enum PKIStore {
    static func issuer(_ id: String) -> String { "issuer/" + id }
    static func key(_ id: String) -> String { "key/" + id }
    static func cert(_ serial: String) -> String { "certs/" + serial.replacingOccurrences(of: ":", with: "-") }
    static func revoked(_ serial: String) -> String { "revoked/" + serial.replacingOccurrences(of: ":", with: "-") }
    static func role(_ name: String) -> String { "role/" + name }
    static func crl(_ issuer: String) -> String { "crl/" + issuer }
    static func deltaCRL(_ issuer: String) -> String { "crl-delta/" + issuer }
    static let issuersConfig = "config/issuers"
    static let keysConfig = "config/keys"
    static let urlsConfig = "config/urls"
    static let crlConfig = "config/crl"
    static let tidyStatus = "tidy/status"

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()
    static let decoder = JSONDecoder()

    static func load<T: Decodable>(_ type: T.Type, _ storage: any LogicalStorage, _ key: String) async throws -> T? {
        guard let data = try await storage.get(key) else { return nil }
        do {
            return try decoder.decode(T.self, from: data)
        } catch {
            throw LogicalError.internalError("error decoding \(key)")
        }
    }

    static func save<T: Encodable>(_ value: T, _ storage: any LogicalStorage, _ key: String) async throws {
        try await storage.put(key, try encoder.encode(value))
    }
}

/// A CA certificate this mount can issue from (or only holds, without its key).
struct IssuerEntry: Codable, Sendable {
    var id: String
    var name: String = ""
    /// Empty when the mount holds only the certificate.
    var keyID: String = ""
    var certificate: String
    /// The certificates above this one, nearest first (each PEM), as built when it was stored.
    var caChain: [String] = []
    var manualChain: [String]? = nil
    var usage: String = "crl-signing,issuing-certificates,ocsp-signing,read-only"
    var leafNotAfterBehavior: String = "err"
    var issuingCertificates: [String] = []
    var crlDistributionPoints: [String] = []
    var ocspServers: [String] = []
    var revoked: Bool = false
    var revocationTime: Int64 = 0
    var serial: String = ""
    var notAfter: Double = 0

    enum CodingKeys: String, CodingKey {
        case id, name, certificate, usage, revoked, serial
        case keyID = "key_id", caChain = "ca_chain", manualChain = "manual_chain", leafNotAfterBehavior = "leaf_not_after_behavior"
        case issuingCertificates = "issuing_certificates", crlDistributionPoints = "crl_distribution_points"
        case ocspServers = "ocsp_servers", revocationTime = "revocation_time", notAfter = "not_after"
    }
}

struct KeyEntry: Codable, Sendable {
    var id: String
    var name: String = ""
    var type: String
    var bits: Int
    var pem: String
}

struct DefaultsConfig: Codable, Sendable {
    var defaultID: String = ""
    var followsLatest: Bool = false
    enum CodingKeys: String, CodingKey {
        case defaultID = "default", followsLatest = "default_follows_latest_issuer"
    }
}

/// An issued certificate as kept under `certs/`.
struct CertRecord: Codable, Sendable {
    var certificate: String
    var issuerID: String
    var revocationTime: Int64 = 0
    enum CodingKeys: String, CodingKey {
        case certificate, issuerID = "issuer_id", revocationTime = "revocation_time"
    }
}

struct URLsConfig: Codable, Sendable {
    var issuingCertificates: [String] = []
    var crlDistributionPoints: [String] = []
    var ocspServers: [String] = []
    var deltaCRLDistributionPoints: [String] = []
    var enableTemplating = false
    enum CodingKeys: String, CodingKey {
        case issuingCertificates = "issuing_certificates", crlDistributionPoints = "crl_distribution_points"
        case ocspServers = "ocsp_servers", deltaCRLDistributionPoints = "delta_crl_distribution_points"
        case enableTemplating = "enable_templating"
    }

    var isEmpty: Bool { issuingCertificates.isEmpty && crlDistributionPoints.isEmpty && ocspServers.isEmpty }

    var json: [String: JSONValue] {
        [
            "issuing_certificates": .array(issuingCertificates.map { .string($0) }),
            "crl_distribution_points": .array(crlDistributionPoints.map { .string($0) }),
            "ocsp_servers": .array(ocspServers.map { .string($0) }),
            "delta_crl_distribution_points": .array(deltaCRLDistributionPoints.map { .string($0) }),
            "enable_templating": .bool(enableTemplating),
        ]
    }
}

struct CRLConfig: Codable, Sendable {
    var expiry = "72h"
    var disable = false
    var ocspDisable = false
    var ocspExpiry = "12h"
    var autoRebuild = false
    var autoRebuildGracePeriod = "12h"
    var enableDelta = false
    var deltaRebuildInterval = "15m"
    var allowExpiredCertRevocation = false
    enum CodingKeys: String, CodingKey {
        case expiry, disable
        case ocspDisable = "ocsp_disable", ocspExpiry = "ocsp_expiry", autoRebuild = "auto_rebuild"
        case autoRebuildGracePeriod = "auto_rebuild_grace_period", enableDelta = "enable_delta"
        case deltaRebuildInterval = "delta_rebuild_interval", allowExpiredCertRevocation = "allow_expired_cert_revocation"
    }

    var json: [String: JSONValue] {
        [
            "expiry": .string(expiry), "disable": .bool(disable), "ocsp_disable": .bool(ocspDisable), "ocsp_expiry": .string(ocspExpiry),
            "auto_rebuild": .bool(autoRebuild), "auto_rebuild_grace_period": .string(autoRebuildGracePeriod), "enable_delta": .bool(enableDelta),
            "delta_rebuild_interval": .string(deltaRebuildInterval), "allow_expired_cert_revocation": .bool(allowExpiredCertRevocation),
        ]
    }
}

/// The last CRL built for an issuer.
struct CRLRecord: Codable, Sendable {
    var number: Int64
    var der: Data
    var thisUpdate: Double
}

enum PKIFormat {
    /// `aa:bb:…` (lowercase), as OpenBao writes serial numbers.
    static func serial(_ s: Certificate.SerialNumber) -> String {
        s.bytes.map { String(format: "%02x", $0) }.joined(separator: ":")
    }

    /// A serial as the user wrote it (`aa:bb`, `aa-bb`, `AABB`) in the `aa:bb` form.
    static func normalizeSerial(_ s: String) -> String {
        let hex = s.lowercased().filter { $0 != ":" && $0 != "-" }
        guard hex.count % 2 == 0, hex.allSatisfy(\.isHexDigit) else { return s.lowercased().replacingOccurrences(of: "-", with: ":") }
        var out: [String] = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            out.append(String(hex[i..<j]))
            i = j
        }
        return out.joined(separator: ":")
    }

    static func pem(_ cert: Certificate) throws -> String {
        try cert.serializeAsPEM().pemString
    }

    static func parseCertificate(_ pem: String) throws -> Certificate {
        do {
            return try Certificate(pemEncoded: pem)
        } catch {
            throw LogicalError.invalidRequest("error parsing certificate: unable to decode PEM")
        }
    }

    /// Every certificate in a PEM bundle, in order.
    static func certificates(inBundle text: String) throws -> [Certificate] {
        try PEMDocument.parseMultiple(pemString: text).filter { $0.discriminator == "CERTIFICATE" }.map { try Certificate(derEncoded: $0.derBytes) }
    }

    static func unix(_ d: Date) -> Int64 { Int64(d.timeIntervalSince1970.rounded(.down)) }

    static func hexColon(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined(separator: ":") }
}
