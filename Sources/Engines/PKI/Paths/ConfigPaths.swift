import CofferSDK
import Foundation
import SwiftASN1
import X509

/// `config/urls`, `config/crl`, `config/issuers`, `config/keys`, the issuer and key listings and updates, issuer
/// revocation and deletion, `tidy` and `tidy-status`.
extension PKIEngine {
    // MARK: config/urls, config/crl

    func readURLs(_ r: PathRequest) async throws -> LogicalResponse? {
        LogicalResponse(data: try await urls(r.storage).json)
    }

    func writeURLs(_ r: PathRequest) async throws -> LogicalResponse? {
        var u = try await urls(r.storage)
        let f = r.fields
        if let v = try f.stringsIfSet("issuing_certificates") { u.issuingCertificates = v }
        if let v = try f.stringsIfSet("crl_distribution_points") { u.crlDistributionPoints = v }
        if let v = try f.stringsIfSet("ocsp_servers") { u.ocspServers = v }
        if let v = try f.stringsIfSet("delta_crl_distribution_points") { u.deltaCRLDistributionPoints = v }
        if let v = try f.boolIfSet("enable_templating") { u.enableTemplating = v }
        for url in u.issuingCertificates + u.crlDistributionPoints + u.ocspServers + u.deltaCRLDistributionPoints where !u.enableTemplating {
            guard let parsed = URL(string: url), parsed.scheme != nil, parsed.host != nil else {
                throw LogicalError.invalidRequest("invalid URL found in Authority Information Access (AIA) parameter issuing_certificates: \(url)")
            }
        }
        try await PKIStore.save(u, r.storage, PKIStore.urlsConfig)
        return LogicalResponse(data: u.json)
    }

    func readCRLConfig(_ r: PathRequest) async throws -> LogicalResponse? {
        LogicalResponse(data: (try await PKIStore.load(CRLConfig.self, r.storage, PKIStore.crlConfig) ?? CRLConfig()).json)
    }

    func writeCRLConfig(_ r: PathRequest) async throws -> LogicalResponse? {
        var c = try await PKIStore.load(CRLConfig.self, r.storage, PKIStore.crlConfig) ?? CRLConfig()
        let f = r.fields
        func duration(_ name: String) throws -> String? {
            guard let v = try f.stringIfSet(name) else { return nil }
            guard parseDurationSeconds(v) != nil else {
                throw LogicalError.invalidRequest("given \(name) could not be decoded: time: invalid duration \"\(v)\"")
            }
            return v
        }
        if let v = try duration("expiry") { c.expiry = v }
        if let v = try f.boolIfSet("disable") { c.disable = v }
        if let v = try f.boolIfSet("ocsp_disable") { c.ocspDisable = v }
        if let v = try duration("ocsp_expiry") { c.ocspExpiry = v }
        if let v = try f.boolIfSet("auto_rebuild") { c.autoRebuild = v }
        if let v = try duration("auto_rebuild_grace_period") { c.autoRebuildGracePeriod = v }
        if let v = try f.boolIfSet("enable_delta") { c.enableDelta = v }
        if let v = try duration("delta_rebuild_interval") { c.deltaRebuildInterval = v }
        if let v = try f.boolIfSet("allow_expired_cert_revocation") { c.allowExpiredCertRevocation = v }
        if c.enableDelta, !c.autoRebuild {
            throw LogicalError.invalidRequest("Delta CRLs cannot be enabled when auto rebuilding is disabled as the complete CRL is always regenerated!")
        }
        try await PKIStore.save(c, r.storage, PKIStore.crlConfig)
        // The CRLs follow the new settings at once.
        try await lock.withLock {
            for id in try await issuerIDs(r.storage) {
                if let e = try await PKIStore.load(IssuerEntry.self, r.storage, PKIStore.issuer(id)), !e.keyID.isEmpty { _ = try await rebuildCRL(r.storage, e) }
            }
        }
        return LogicalResponse(data: c.json)
    }

    // MARK: config/issuers, config/keys

    func readDefaults(_ r: PathRequest) async throws -> LogicalResponse? {
        let issuers = r.pattern == "config/issuers"
        let d = try await defaults(r.storage, issuers: issuers)
        var data: [String: JSONValue] = ["default": .string(d.defaultID)]
        if issuers { data["default_follows_latest_issuer"] = .bool(d.followsLatest) }
        return LogicalResponse(data: data)
    }

    func writeDefaults(_ r: PathRequest) async throws -> LogicalResponse? {
        let issuers = r.pattern == "config/issuers"
        return try await lock.withLock {
            var d = try await defaults(r.storage, issuers: issuers)
            if let ref = try r.fields.stringIfSet("default"), !ref.isEmpty {
                d.defaultID = issuers ? try await resolveIssuer(r.storage, ref).id : try await resolveKey(r.storage, ref).id
            }
            if issuers, let v = try r.fields.boolIfSet("default_follows_latest_issuer") { d.followsLatest = v }
            try await PKIStore.save(d, r.storage, issuers ? PKIStore.issuersConfig : PKIStore.keysConfig)
            var data: [String: JSONValue] = ["default": .string(d.defaultID)]
            if issuers { data["default_follows_latest_issuer"] = .bool(d.followsLatest) }
            return LogicalResponse(data: data)
        }
    }

    // MARK: Issuers

    func listIssuers(_ r: PathRequest) async throws -> LogicalResponse? {
        let def = try await defaults(r.storage, issuers: true).defaultID
        var keys: [JSONValue] = []
        var info: [String: JSONValue] = [:]
        for id in try await issuerIDs(r.storage).sorted() {
            guard let e = try await PKIStore.load(IssuerEntry.self, r.storage, PKIStore.issuer(id)) else { continue }
            keys.append(.string(id))
            info[id] = ["issuer_name": .string(e.name), "is_default": .bool(id == def), "key_id": .string(e.keyID), "serial_number": .string(e.serial)]
        }
        return LogicalResponse(data: ["keys": .array(keys), "key_info": .object(info)])
    }

    func issuerJSON(_ e: IssuerEntry) -> [String: JSONValue] {
        let sigAlg: String
        if let c = try? PKIFormat.parseCertificate(e.certificate) {
            let (kind, bits) = PKIKey.describe(c.publicKey)
            sigAlg = kind == .rsa ? "SHA256WithRSA" : kind == .ed25519 ? "PureEd25519" : bits == 384 ? "ECDSAWithSHA384" : bits == 521 ? "ECDSAWithSHA512" : "ECDSAWithSHA256"
        } else {
            sigAlg = ""
        }
        var data: [String: JSONValue] = [
            "issuer_id": .string(e.id), "issuer_name": .string(e.name), "key_id": .string(e.keyID), "certificate": .string(e.certificate),
            "ca_chain": .array(fullChain(e).map { .string($0) }), "manual_chain": e.manualChain.map { .array($0.map { .string($0) }) } ?? .null,
            "leaf_not_after_behavior": .string(e.leafNotAfterBehavior), "usage": .string(e.usage), "revoked": .bool(e.revoked),
            "revocation_signature_algorithm": .string(sigAlg), "issuing_certificates": .array(e.issuingCertificates.map { .string($0) }),
            "crl_distribution_points": .array(e.crlDistributionPoints.map { .string($0) }), "ocsp_servers": .array(e.ocspServers.map { .string($0) }),
            "delta_crl_distribution_points": [],
        ]
        if e.revoked {
            data["revocation_time"] = .int(e.revocationTime)
            data["revocation_time_rfc3339"] = .string(formatVaultTime(Date(timeIntervalSince1970: TimeInterval(e.revocationTime))))
        }
        return data
    }

    /// `issuer/:ref` and `issuer/:ref/(json|pem|der)`.
    func readIssuer(_ r: PathRequest) async throws -> LogicalResponse? {
        let e = try await resolveIssuer(r.storage, try r.fields.string("issuer_ref"))
        switch r.pattern {
        case "issuer/{issuer_ref}/pem":
            return Self.raw(fullChain(e).joined(), contentType: "application/pem-certificate-chain")
        case "issuer/{issuer_ref}/der":
            return Self.rawBinary(try PEMDocument(pemString: e.certificate).derBytes, contentType: "application/pkix-cert")
        case "issuer/{issuer_ref}/json":
            return LogicalResponse(data: ["certificate": .string(e.certificate), "ca_chain": .array(fullChain(e).map { .string($0) }), "issuer_id": .string(e.id), "issuer_name": .string(e.name)])
        default:
            return LogicalResponse(data: issuerJSON(e))
        }
    }

    static let usages: Set<String> = ["read-only", "issuing-certificates", "crl-signing", "ocsp-signing"]

    /// `issuer/:ref` update (POST replaces the given fields; PATCH the same).
    func updateIssuer(_ r: PathRequest) async throws -> LogicalResponse? {
        try await lock.withLock {
            var e = try await resolveIssuer(r.storage, try r.fields.string("issuer_ref"))
            let f = r.fields
            if let name = try f.stringIfSet("issuer_name"), name != e.name {
                if !name.isEmpty {
                    guard name != "default", name.range(of: "^[a-zA-Z0-9_-]+$", options: .regularExpression) != nil else {
                        throw LogicalError.invalidRequest("issuer name contained invalid characters")
                    }
                    for id in try await issuerIDs(r.storage) where id != e.id {
                        if let other = try await PKIStore.load(IssuerEntry.self, r.storage, PKIStore.issuer(id)), other.name == name {
                            throw LogicalError.invalidRequest("issuer name already in use")
                        }
                    }
                }
                e.name = name
            }
            if let b = try f.stringIfSet("leaf_not_after_behavior") {
                guard ["err", "truncate", "permit"].contains(b) else { throw LogicalError.invalidRequest("Unknown value for field `leaf_not_after_behavior`. Possible values are `err`, `truncate`, and `permit`.") }
                e.leafNotAfterBehavior = b
            }
            if let u = try f.stringsIfSet("usage") {
                for x in u where !Self.usages.contains(x) { throw LogicalError.invalidRequest("unknown usage: \(x)") }
                e.usage = u.sorted().joined(separator: ",")
            }
            if let v = try f.stringsIfSet("issuing_certificates") { e.issuingCertificates = v }
            if let v = try f.stringsIfSet("crl_distribution_points") { e.crlDistributionPoints = v }
            if let v = try f.stringsIfSet("ocsp_servers") { e.ocspServers = v }
            if let chain = try f.stringsIfSet("manual_chain") {
                if chain.isEmpty || chain == ["self"] {
                    e.manualChain = nil
                } else {
                    var pems: [String] = []
                    for ref in chain where ref != "self" { pems.append(try await resolveIssuer(r.storage, ref).certificate) }
                    e.manualChain = pems
                }
            }
            try await PKIStore.save(e, r.storage, PKIStore.issuer(e.id))
            return LogicalResponse(data: issuerJSON(e))
        }
    }

    func deleteIssuer(_ r: PathRequest) async throws -> LogicalResponse? {
        try await lock.withLock {
            let e = try await resolveIssuer(r.storage, try r.fields.string("issuer_ref"))
            try await r.storage.delete(PKIStore.issuer(e.id))
            try await r.storage.delete(PKIStore.crl(e.id))
            var d = try await defaults(r.storage, issuers: true)
            if d.defaultID == e.id {
                d.defaultID = ""
                try await PKIStore.save(d, r.storage, PKIStore.issuersConfig)
            }
        }
        return nil
    }

    /// `issuer/:ref/revoke`: the issuer is marked revoked (it issues nothing more) and lands on the CRLs of the
    /// issuers above it that this mount holds.
    func revokeIssuer(_ r: PathRequest) async throws -> LogicalResponse? {
        try await lock.withLock {
            var e = try await resolveIssuer(r.storage, try r.fields.string("issuer_ref"))
            if !e.revoked {
                e.revoked = true
                e.revocationTime = PKIFormat.unix(Date())
                e.usage = e.usage.split(separator: ",").filter { $0 != "issuing-certificates" }.joined(separator: ",")
                try await PKIStore.save(e, r.storage, PKIStore.issuer(e.id))
                let cert = try PKIFormat.parseCertificate(e.certificate)
                if cert.issuer != cert.subject {
                    for id in try await issuerIDs(r.storage) where id != e.id {
                        guard let parent = try await PKIStore.load(IssuerEntry.self, r.storage, PKIStore.issuer(id)),
                            let pc = try? PKIFormat.parseCertificate(parent.certificate), pc.subject == cert.issuer,
                            pc.publicKey.isValidSignature(cert.signature, for: cert)
                        else { continue }
                        let rec = CertRecord(certificate: e.certificate, issuerID: parent.id, revocationTime: e.revocationTime)
                        try await PKIStore.save(rec, r.storage, PKIStore.revoked(e.serial))
                        if !parent.keyID.isEmpty { try await crlsAfterRevocation(r.storage, parent) }
                    }
                }
            }
            return LogicalResponse(data: issuerJSON(e))
        }
    }

    // MARK: Keys

    func listKeys(_ r: PathRequest) async throws -> LogicalResponse? {
        let def = try await defaults(r.storage, issuers: false).defaultID
        var keys: [JSONValue] = []
        var info: [String: JSONValue] = [:]
        for id in try await keyIDs(r.storage).sorted() {
            guard let e = try await PKIStore.load(KeyEntry.self, r.storage, PKIStore.key(id)) else { continue }
            keys.append(.string(id))
            info[id] = ["key_name": .string(e.name), "is_default": .bool(id == def)]
        }
        return LogicalResponse(data: ["keys": .array(keys), "key_info": .object(info)])
    }

    func readKey(_ r: PathRequest) async throws -> LogicalResponse? {
        let e = try await resolveKey(r.storage, try r.fields.string("key_ref"))
        let key = try PKIKey.parse(pem: e.pem)
        let ski = SubjectKeyIdentifier(hash: key.publicKey)
        return LogicalResponse(data: [
            "key_id": .string(e.id), "key_name": .string(e.name), "key_type": .string(e.type),
            "subject_key_id": .string(PKIFormat.hexColon(ski.keyIdentifier)),
        ])
    }

    func updateKey(_ r: PathRequest) async throws -> LogicalResponse? {
        try await lock.withLock {
            var e = try await resolveKey(r.storage, try r.fields.string("key_ref"))
            if let name = try r.fields.stringIfSet("key_name") { e.name = name }
            try await PKIStore.save(e, r.storage, PKIStore.key(e.id))
            return LogicalResponse(data: ["key_id": .string(e.id), "key_name": .string(e.name), "key_type": .string(e.type)])
        }
    }

    func deleteKey(_ r: PathRequest) async throws -> LogicalResponse? {
        try await lock.withLock {
            let e = try await resolveKey(r.storage, try r.fields.string("key_ref"))
            for id in try await issuerIDs(r.storage) {
                if let i = try await PKIStore.load(IssuerEntry.self, r.storage, PKIStore.issuer(id)), i.keyID == e.id {
                    throw LogicalError.invalidRequest("unable to delete key: key is in use by issuer \(id)")
                }
            }
            try await r.storage.delete(PKIStore.key(e.id))
            var d = try await defaults(r.storage, issuers: false)
            if d.defaultID == e.id {
                d.defaultID = ""
                try await PKIStore.save(d, r.storage, PKIStore.keysConfig)
            }
        }
        return nil
    }

    // MARK: Tidy

    static let tidyFields: [Field] = [
        .bool("tidy_cert_store"), .bool("tidy_revoked_certs"), .bool("tidy_revoked_cert_issuer_associations"), .bool("tidy_expired_issuers"),
        .bool("tidy_move_legacy_ca_bundle"), .bool("tidy_acme"), .bool("tidy_invalid_certs"), .duration("safety_buffer", default: 259_200),
        .duration("issuer_safety_buffer", default: 31_536_000), .duration("acme_account_safety_buffer", default: 2_592_000),
        .string("pause_duration", default: "0s"),
    ]

    /// `tidy`: removes certificates (and revocation entries) that expired more than `safety_buffer` ago. Runs before
    /// answering (it is bounded by the store), then answers 202 as OpenBao does.
    func tidy(_ r: PathRequest) async throws -> LogicalResponse? {
        let f = r.fields
        let started = Date()
        let buffer = TimeInterval(try f.int("safety_buffer"))
        let cutoff = started.addingTimeInterval(-buffer)
        var certDeleted = 0
        var revokedDeleted = 0
        let tidyCerts = try f.bool("tidy_cert_store")
        let tidyRevoked = try f.bool("tidy_revoked_certs")
        if tidyCerts || tidyRevoked {
            try await lock.withLock {
                if tidyCerts {
                    for key in try await r.storage.list(prefix: "certs/") where !key.hasSuffix("/") {
                        guard let rec = try await PKIStore.load(CertRecord.self, r.storage, "certs/" + key),
                            let c = try? PKIFormat.parseCertificate(rec.certificate), c.notValidAfter < cutoff
                        else { continue }
                        try await r.storage.delete("certs/" + key)
                        certDeleted += 1
                    }
                }
                if tidyRevoked {
                    for key in try await r.storage.list(prefix: "revoked/") where !key.hasSuffix("/") {
                        guard let rec = try await PKIStore.load(CertRecord.self, r.storage, "revoked/" + key),
                            let c = try? PKIFormat.parseCertificate(rec.certificate), c.notValidAfter < cutoff
                        else { continue }
                        try await r.storage.delete("revoked/" + key)
                        revokedDeleted += 1
                    }
                }
            }
        }
        var acmeCounts = ACMETidyCounts()
        if try f.bool("tidy_acme") {
            acmeCounts = try await tidyACME(r.storage, buffer: TimeInterval(try f.int("acme_account_safety_buffer")))
        }
        var status: [String: JSONValue] = [:]
        for field in Self.tidyFields { status[field.name] = try f.get(field.name) }
        status["revoked_safety_buffer"] = status["safety_buffer"]
        status["state"] = "Finished"
        status["error"] = .null
        status["message"] = .null
        status["time_started"] = .string(formatVaultTime(started))
        status["time_finished"] = .string(formatVaultTime(Date()))
        status["cert_store_deleted_count"] = .int(Int64(certDeleted))
        status["revoked_cert_deleted_count"] = .int(Int64(revokedDeleted))
        status["missing_issuer_cert_count"] = 0
        status["current_cert_store_count"] = .null
        status["current_revoked_cert_count"] = .null
        status["acme_account_deleted_count"] = .int(Int64(acmeCounts.accountsDeleted))
        status["acme_account_revoked_count"] = 0
        status["acme_orders_deleted_count"] = .int(Int64(acmeCounts.ordersDeleted))
        status["total_acme_account_count"] = .int(Int64(acmeCounts.accountsLeft))
        status["page_size"] = 1000
        try await r.storage.putJSON(PKIStore.tidyStatus, .object(status))
        return LogicalResponse(
            data: nil,
            warnings: ["Tidy operation successfully started. Any information from the operation will be printed to OpenBao's server logs."],
            httpStatus: 202)
    }

    func tidyStatus(_ r: PathRequest) async throws -> LogicalResponse? {
        if let s = try await r.storage.getJSON(PKIStore.tidyStatus)?.objectValue { return LogicalResponse(data: s) }
        var status: [String: JSONValue] = ["state": "Inactive", "error": .null, "message": .null, "time_started": .null, "time_finished": .null]
        for field in Self.tidyFields { status[field.name] = field.zeroValue }
        status["cert_store_deleted_count"] = 0
        status["revoked_cert_deleted_count"] = 0
        return LogicalResponse(data: status)
    }
}
