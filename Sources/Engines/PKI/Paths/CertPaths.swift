import CofferSDK
import Foundation
import SwiftASN1
import X509

/// Reading certificates and CAs, revocation and CRLs: `cert/:serial`, `certs`, `certs/revoked`, `ca(/pem)`,
/// `ca_chain`, `cert/ca_chain`, `revoke`, `crl(/pem)`, `crl/rotate`, `issuer/:ref/crl(/pem|/der)`, `issuer/:ref/revoke`.
extension PKIEngine {
    // MARK: Raw responses

    static func raw(_ body: String, contentType: String) -> LogicalResponse {
        LogicalResponse(data: ["http_status_code": 200, "http_raw_body": .string(body), "http_content_type": .string(contentType)])
    }

    /// A binary body (DER), carried base64 inside the engine and decoded by the HTTP layer.
    static func rawBinary(_ bytes: [UInt8], contentType: String) -> LogicalResponse {
        LogicalResponse(data: [
            "http_status_code": 200, "http_raw_body_base64": .string(Data(bytes).base64EncodedString()),
            "http_content_type": .string(contentType),
        ])
    }

    // MARK: CA

    /// `ca`, `ca/pem`, `ca_chain`, `cert/ca_chain` and `cert/ca` read the default issuer; `issuer/:ref/(pem|der|json)`.
    func readCA(_ r: PathRequest) async throws -> LogicalResponse? {
        let issuer: IssuerEntry
        do {
            issuer = try await resolveIssuer(r.storage, "default")
        } catch {
            // No CA yet: no content, as OpenBao answers.
            switch r.pattern {
            case "cert/ca", "cert/ca_chain": throw error
            default: return nil
            }
        }
        switch r.pattern {
        case "ca":
            return Self.rawBinary(try PEMDocument(pemString: issuer.certificate).derBytes, contentType: "application/pkix-cert")
        case "ca/pem":
            return Self.raw(issuer.certificate, contentType: "application/pem-certificate-chain")
        case "ca_chain":
            return Self.raw(fullChain(issuer).joined(), contentType: "application/pkix-cert")
        case "cert/ca_chain":
            return LogicalResponse(data: [
                "certificate": .string(issuer.certificate), "ca_chain": .string(fullChain(issuer).joined()),
                "revocation_time": 0, "revocation_time_rfc3339": "",
            ])
        default:
            return LogicalResponse(data: ["certificate": .string(issuer.certificate), "revocation_time": 0, "revocation_time_rfc3339": ""])
        }
    }

    // MARK: Certificates

    func listCerts(_ r: PathRequest) async throws -> LogicalResponse? {
        let prefix = r.pattern.hasPrefix("certs/revoked") ? "revoked/" : "certs/"
        var keys = try await r.storage.list(prefix: prefix).filter { !$0.hasSuffix("/") }.map { $0.replacingOccurrences(of: "-", with: ":") }
        if prefix == "certs/" {
            // CA certificates of this mount are listed too, as OpenBao lists them.
            for id in try await issuerIDs(r.storage) {
                if let e = try await PKIStore.load(IssuerEntry.self, r.storage, PKIStore.issuer(id)), !e.serial.isEmpty, !keys.contains(e.serial) {
                    keys.append(e.serial)
                }
            }
        }
        return LogicalResponse(data: ["keys": .array(keys.sorted().map { .string($0) })])
    }

    /// `cert/:serial` (also `ca`, `ca_chain`, `crl` as serials) and `cert/:serial/raw(/pem)`.
    func readCert(_ r: PathRequest) async throws -> LogicalResponse? {
        let given = try r.fields.string("serial")
        switch given {
        case "ca", "ca_chain":
            var copy = r
            copy.pattern = given == "ca" ? "cert/ca" : "cert/ca_chain"
            return try await readCA(copy)
        case "crl", "delta-crl":
            let issuer = try await resolveIssuer(r.storage, "default")
            let der = given == "crl" ? try await currentCRL(r.storage, issuer) : try await currentDeltaCRL(r.storage, issuer)
            return LogicalResponse(data: [
                "certificate": .string(PEMDocument(type: "X509 CRL", derBytes: der).pemString), "revocation_time": 0,
                "revocation_time_rfc3339": "",
            ])
        default:
            break
        }
        let serial = PKIFormat.normalizeSerial(given)
        guard let pem = try await certificatePEM(r.storage, serial) else { throw LogicalError.notFound }
        let revoked = try await PKIStore.load(CertRecord.self, r.storage, PKIStore.revoked(serial))
        if r.pattern.hasSuffix("/raw") {
            return Self.rawBinary(try PEMDocument(pemString: pem.pem).derBytes, contentType: "application/pkix-cert")
        }
        if r.pattern.hasSuffix("/raw/pem") { return Self.raw(pem.pem, contentType: "application/pem-certificate-chain") }
        let t = revoked?.revocationTime ?? 0
        var data: [String: JSONValue] = [
            "certificate": .string(pem.pem), "revocation_time": .int(t),
            "revocation_time_rfc3339": .string(t > 0 ? formatVaultTime(Date(timeIntervalSince1970: TimeInterval(t))) : ""),
        ]
        if !pem.issuerID.isEmpty { data["issuer_id"] = .string(pem.issuerID) }
        return LogicalResponse(data: data)
    }

    /// An issued certificate or a CA certificate of this mount, by `aa:bb` serial.
    func certificatePEM(_ storage: any LogicalStorage, _ serial: String) async throws -> (pem: String, issuerID: String)? {
        if let c = try await PKIStore.load(CertRecord.self, storage, PKIStore.cert(serial)) { return (c.certificate, c.issuerID) }
        for id in try await issuerIDs(storage) {
            if let e = try await PKIStore.load(IssuerEntry.self, storage, PKIStore.issuer(id)), e.serial == serial { return (e.certificate, e.id) }
        }
        return nil
    }

    // MARK: Revocation

    /// `revoke`: by `serial_number` or `certificate`.
    func revoke(_ r: PathRequest) async throws -> LogicalResponse? {
        let f = r.fields
        var serial = try f.string("serial_number")
        let certText = try f.string("certificate")
        if serial.isEmpty == certText.isEmpty {
            throw LogicalError.invalidRequest("must provide either the certificate or the serial to revoke; not both")
        }
        if !certText.isEmpty {
            let c = try PKIFormat.parseCertificate(certText)
            serial = PKIFormat.serial(c.serialNumber)
            if let stored = try await certificatePEM(r.storage, serial), stored.pem != (try PKIFormat.pem(c)) {
                throw LogicalError.invalidRequest("certificate with same serial but unequal value found in storage")
            }
        }
        return try await revokeSerial(r.storage, PKIFormat.normalizeSerial(serial), leaseRevocation: false)
    }

    func revokeSerial(_ storage: any LogicalStorage, _ serial: String, leaseRevocation: Bool) async throws -> LogicalResponse? {
        try await lock.withLock {
            for id in try await issuerIDs(storage) {
                if let e = try await PKIStore.load(IssuerEntry.self, storage, PKIStore.issuer(id)), e.serial == serial {
                    throw LogicalError.invalidRequest("adding issuer (id: \(e.id)) to its own CRL is not allowed")
                }
            }
            if let existing = try await PKIStore.load(CertRecord.self, storage, PKIStore.revoked(serial)) {
                return LogicalResponse(data: Self.revocationData(existing.revocationTime))
            }
            guard var record = try await PKIStore.load(CertRecord.self, storage, PKIStore.cert(serial)) else {
                if leaseRevocation { return nil }
                throw LogicalError.invalidRequest("certificate with serial \(serial) not found.")
            }
            let cert = try PKIFormat.parseCertificate(record.certificate)
            let now = Date()
            if cert.notValidAfter < now {
                let cfg = try await PKIStore.load(CRLConfig.self, storage, PKIStore.crlConfig) ?? CRLConfig()
                if !cfg.allowExpiredCertRevocation {
                    return LogicalResponse(data: nil, warnings: ["certificate with serial \(serial) has expired; it was not added to the CRL"])
                }
            }
            record.revocationTime = PKIFormat.unix(now)
            try await PKIStore.save(record, storage, PKIStore.revoked(serial))
            try await PKIStore.save(record, storage, PKIStore.cert(serial))
            if let issuer = try? await PKIStore.load(IssuerEntry.self, storage, PKIStore.issuer(record.issuerID)) {
                try await crlsAfterRevocation(storage, issuer)
            }
            return LogicalResponse(data: Self.revocationData(record.revocationTime))
        }
    }

    static func revocationData(_ t: Int64) -> [String: JSONValue] {
        [
            "revocation_time": .int(t), "revocation_time_rfc3339": .string(formatVaultTime(Date(timeIntervalSince1970: TimeInterval(t)))),
            "state": "revoked",
        ]
    }

    /// A lease of a certificate issued with `generate_lease` ended: the certificate is revoked.
    func revokeLeased(_ r: LogicalRequest) async throws {
        guard let serial = r.secret?.internalData["serial_number"]?.stringValue else {
            throw LogicalError.invalidRequest("could not find serial in internal secret data")
        }
        _ = try await revokeSerial(r.storage, serial, leaseRevocation: true)
    }

    // MARK: CRL

    /// The issuer's current complete CRL: built when missing, when past its next update, and (with `auto_rebuild`)
    /// once inside `auto_rebuild_grace_period` of it.
    func currentCRL(_ storage: any LogicalStorage, _ issuer: IssuerEntry) async throws -> [UInt8] {
        if let rec = try await PKIStore.load(CRLRecord.self, storage, PKIStore.crl(issuer.id)),
            !Self.crlDue(rec, try await crlConfig(storage))
        {
            return Array(rec.der)
        }
        return try await lock.withLock { try await rebuildCRL(storage, issuer) }
    }

    /// The issuer's delta CRL (revocations since its complete CRL), built when missing.
    func currentDeltaCRL(_ storage: any LogicalStorage, _ issuer: IssuerEntry) async throws -> [UInt8] {
        guard try await crlConfig(storage).enableDelta else { throw LogicalError.invalidRequest("delta CRLs are not enabled (config/crl enable_delta)") }
        if let rec = try await PKIStore.load(CRLRecord.self, storage, PKIStore.deltaCRL(issuer.id)) { return Array(rec.der) }
        return try await lock.withLock { try await rebuildDeltaCRL(storage, issuer) }
    }

    func crlConfig(_ storage: any LogicalStorage) async throws -> CRLConfig {
        try await PKIStore.load(CRLConfig.self, storage, PKIStore.crlConfig) ?? CRLConfig()
    }

    /// Whether a complete CRL must be built again now.
    static func crlDue(_ rec: CRLRecord, _ cfg: CRLConfig) -> Bool {
        let expiry = TimeInterval(parseDurationSeconds(cfg.expiry) ?? 259_200)
        let grace = cfg.autoRebuild ? TimeInterval(parseDurationSeconds(cfg.autoRebuildGracePeriod) ?? 43_200) : 60
        return Date().timeIntervalSince1970 >= rec.thisUpdate + expiry - min(grace, expiry / 2)
    }

    /// The issuer's revoked certificates.
    func revokedEntries(_ storage: any LogicalStorage, _ issuer: IssuerEntry) async throws -> [CRLBuilder.Entry] {
        var entries: [CRLBuilder.Entry] = []
        for key in try await storage.list(prefix: "revoked/") where !key.hasSuffix("/") {
            guard let rec = try await PKIStore.load(CertRecord.self, storage, "revoked/" + key), rec.issuerID == issuer.id,
                let c = try? PKIFormat.parseCertificate(rec.certificate)
            else { continue }
            entries.append(.init(serial: Array(c.serialNumber.bytes), revoked: Date(timeIntervalSince1970: TimeInterval(rec.revocationTime))))
        }
        return entries.sorted { $0.serial.lexicographicallyPrecedes($1.serial) }
    }

    /// The next number of the issuer's CRL sequence (complete and delta CRLs share it, RFC 5280 5.2.3).
    func nextCRLNumber(_ storage: any LogicalStorage, _ issuer: IssuerEntry) async throws -> Int64 {
        let full = try await PKIStore.load(CRLRecord.self, storage, PKIStore.crl(issuer.id))?.number ?? 0
        let delta = try await PKIStore.load(CRLRecord.self, storage, PKIStore.deltaCRL(issuer.id))?.number ?? 0
        return max(full, delta) + 1
    }

    /// Builds and stores the issuer's complete CRL: every revoked certificate it issued (none when `disable`), and a
    /// fresh, empty delta CRL on top of it when deltas are enabled. Call with the lock held.
    func rebuildCRL(_ storage: any LogicalStorage, _ issuer: IssuerEntry) async throws -> [UInt8] {
        let signer = try await signer(storage, issuer)
        let cfg = try await crlConfig(storage)
        let entries = cfg.disable ? [] : try await revokedEntries(storage, issuer)
        let number = try await nextCRLNumber(storage, issuer)
        let now = Date()
        let expiry = TimeInterval(parseDurationSeconds(cfg.expiry) ?? 259_200)
        let der = try CRLBuilder.build(
            issuer: signer.cert, key: signer.key, entries: entries, number: number, thisUpdate: now, nextUpdate: now.addingTimeInterval(expiry))
        try await PKIStore.save(CRLRecord(number: number, der: Data(der), thisUpdate: now.timeIntervalSince1970), storage, PKIStore.crl(issuer.id))
        if cfg.enableDelta { _ = try await rebuildDeltaCRL(storage, issuer) } else { try await storage.delete(PKIStore.deltaCRL(issuer.id)) }
        return der
    }

    /// Builds and stores the issuer's delta CRL: the revocations since its complete CRL, with the Delta CRL Indicator
    /// naming that CRL's number. Call with the lock held.
    func rebuildDeltaCRL(_ storage: any LogicalStorage, _ issuer: IssuerEntry) async throws -> [UInt8] {
        guard let base = try await PKIStore.load(CRLRecord.self, storage, PKIStore.crl(issuer.id)) else {
            _ = try await rebuildCRL(storage, issuer)
            return Array(try await PKIStore.load(CRLRecord.self, storage, PKIStore.deltaCRL(issuer.id))?.der ?? Data())
        }
        let signer = try await signer(storage, issuer)
        let cfg = try await crlConfig(storage)
        // What the complete CRL does not list yet.
        let inBase = Set(CRLBuilder.serials(in: Array(base.der)) ?? [])
        let entries = cfg.disable ? [] : try await revokedEntries(storage, issuer).filter { !inBase.contains($0.serial) }
        let number = try await nextCRLNumber(storage, issuer)
        let now = Date()
        let interval = TimeInterval(parseDurationSeconds(cfg.deltaRebuildInterval) ?? 900)
        let der = try CRLBuilder.build(
            issuer: signer.cert, key: signer.key, entries: entries, number: number, thisUpdate: now,
            nextUpdate: now.addingTimeInterval(max(interval, 60)), deltaBase: base.number)
        try await PKIStore.save(CRLRecord(number: number, der: Data(der), thisUpdate: now.timeIntervalSince1970), storage, PKIStore.deltaCRL(issuer.id))
        return der
    }

    /// After a revocation (lock held): the complete CRL at once, or with `auto_rebuild` only the delta CRL (the
    /// complete one is rebuilt on schedule by ``periodic(storage:)``).
    func crlsAfterRevocation(_ storage: any LogicalStorage, _ issuer: IssuerEntry) async throws {
        let cfg = try await crlConfig(storage)
        if cfg.autoRebuild {
            if cfg.enableDelta { _ = try await rebuildDeltaCRL(storage, issuer) }
        } else {
            _ = try await rebuildCRL(storage, issuer)
        }
    }

    /// Scheduled work: with `auto_rebuild`, each issuer's complete CRL is rebuilt within its grace period.
    func periodic(storage: any LogicalStorage) async throws {
        let cfg = try await crlConfig(storage)
        guard cfg.autoRebuild else { return }
        try await lock.withLock {
            for id in try await issuerIDs(storage) {
                guard let e = try await PKIStore.load(IssuerEntry.self, storage, PKIStore.issuer(id)), !e.keyID.isEmpty else { continue }
                if let rec = try await PKIStore.load(CRLRecord.self, storage, PKIStore.crl(id)), !Self.crlDue(rec, cfg) { continue }
                _ = try await rebuildCRL(storage, e)
            }
        }
    }

    /// `crl`, `crl/pem`, `crl/delta(/pem)`, `issuer/:ref/crl(/pem|/der)`, `issuer/:ref/crl/delta(/pem|/der)`.
    func readCRL(_ r: PathRequest) async throws -> LogicalResponse? {
        let ref = r.pattern.hasPrefix("issuer/") ? try r.fields.string("issuer_ref") : "default"
        let issuer: IssuerEntry
        do {
            issuer = try await resolveIssuer(r.storage, ref)
        } catch {
            if r.pattern.hasPrefix("issuer/") { throw error }
            return nil
        }
        let der = r.pattern.contains("/delta") ? try await currentDeltaCRL(r.storage, issuer) : try await currentCRL(r.storage, issuer)
        if r.pattern.hasSuffix("/pem") {
            return Self.raw(PEMDocument(type: "X509 CRL", derBytes: der).pemString, contentType: "application/x-pem-file")
        }
        if r.pattern.hasPrefix("issuer/"), !r.pattern.hasSuffix("/der") {
            return LogicalResponse(data: ["crl": .string(PEMDocument(type: "X509 CRL", derBytes: der).pemString)])
        }
        return Self.rawBinary(der, contentType: "application/pkix-crl")
    }

    func rotateDeltaCRL(_ r: PathRequest) async throws -> LogicalResponse? {
        guard try await crlConfig(r.storage).enableDelta else { return LogicalResponse(data: ["success": true], warnings: ["delta CRLs are not enabled"]) }
        try await lock.withLock {
            for id in try await issuerIDs(r.storage) {
                guard let e = try await PKIStore.load(IssuerEntry.self, r.storage, PKIStore.issuer(id)), !e.keyID.isEmpty else { continue }
                _ = try await rebuildDeltaCRL(r.storage, e)
            }
        }
        return LogicalResponse(data: ["success": true])
    }

    func rotateCRL(_ r: PathRequest) async throws -> LogicalResponse? {
        try await lock.withLock {
            for id in try await issuerIDs(r.storage) {
                guard let e = try await PKIStore.load(IssuerEntry.self, r.storage, PKIStore.issuer(id)), !e.keyID.isEmpty else { continue }
                _ = try await rebuildCRL(r.storage, e)
            }
        }
        return LogicalResponse(data: ["success": true])
    }
}
