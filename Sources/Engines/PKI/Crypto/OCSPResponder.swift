import CofferSDK
import Crypto
import Foundation
import SwiftASN1
import X509

/// RFC 6960 OCSP: requests parsed and responses encoded with SwiftASN1, signed by the issuer's key through
/// swift-certificates. (swift-certificates has OCSP types, but only for its verifier, not public.)
enum OCSPResponder {
    static let basicResponseOID: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 48, 1, 1]
    static let nonceOID: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 48, 1, 2]
    static let sha1OID: ASN1ObjectIdentifier = [1, 3, 14, 3, 2, 26]
    static let sha256OID: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 1]

    /// One certificate asked about: the CertID as it came (echoed back) and its parts.
    struct CertID {
        var der: [UInt8]
        var hashAlgorithm: ASN1ObjectIdentifier
        var issuerNameHash: [UInt8]
        var issuerKeyHash: [UInt8]
        var serial: [UInt8]
    }

    struct Request {
        var certIDs: [CertID]
        /// The nonce extension as it came (echoed in the response), if any.
        var nonceExtension: [UInt8]?
    }

    enum Status {
        case good
        case revoked(Date)
        case unknown
    }

    enum ResponseStatus: Int {
        case successful = 0, malformedRequest = 1, internalError = 2, tryLater = 3, unauthorized = 6
    }

    struct Malformed: Error {}

    /// Parses an OCSPRequest (unsigned requests; a signature, when present, is ignored as OpenBao ignores it).
    static func parse(_ der: [UInt8]) throws -> Request {
        guard der.count < 64 * 1024, let root = try? DER.parse(der), case .constructed(let top) = root.content,
            let tbs = Array(top).first, case .constructed(let tbsItems) = tbs.content
        else { throw Malformed() }
        var certIDs: [CertID] = []
        var nonce: [UInt8]? = nil
        for item in tbsItems {
            if item.identifier == .sequence, case .constructed(let requests) = item.content {
                for req in requests {
                    guard case .constructed(let reqItems) = req.content, let certID = Array(reqItems).first else { throw Malformed() }
                    certIDs.append(try parseCertID(certID))
                }
            } else if item.identifier == ASN1Identifier(tagWithNumber: 2, tagClass: .contextSpecific),
                case .constructed(let explicit) = item.content, let exts = Array(explicit).first, case .constructed(let list) = exts.content
            {
                for ext in list {
                    guard let e = try? Certificate.Extension(derEncoded: ext) else { continue }
                    if e.oid == nonceOID {
                        var s = DER.Serializer()
                        try s.serialize(e)
                        nonce = s.serializedBytes
                    }
                }
            }
        }
        guard !certIDs.isEmpty else { throw Malformed() }
        return Request(certIDs: certIDs, nonceExtension: nonce)
    }

    static func parseCertID(_ node: ASN1Node) throws -> CertID {
        guard case .constructed(let items) = node.content else { throw Malformed() }
        let parts = Array(items)
        guard parts.count == 4, case .constructed(let alg) = parts[0].content, let oidNode = Array(alg).first,
            let oid = try? ASN1ObjectIdentifier(derEncoded: oidNode), let nameHash = try? ASN1OctetString(derEncoded: parts[1]),
            let keyHash = try? ASN1OctetString(derEncoded: parts[2]), parts[3].identifier == .integer, case .primitive(let serial) = parts[3].content
        else { throw Malformed() }
        var s = DER.Serializer()
        s.serialize(node)
        return CertID(
            der: s.serializedBytes, hashAlgorithm: oid, issuerNameHash: Array(nameHash.bytes), issuerKeyHash: Array(keyHash.bytes),
            serial: Array(serial))
    }

    /// The hashes a CertID names an issuer by, for `algorithm` (SHA-1 or SHA-256).
    static func issuerHashes(_ issuer: Certificate, algorithm: ASN1ObjectIdentifier) throws -> (name: [UInt8], key: [UInt8])? {
        var s = DER.Serializer()
        try s.serialize(issuer.subject)
        let name = s.serializedBytes
        let key = try subjectPublicKeyBits(issuer.publicKey)
        switch algorithm {
        case sha1OID: return (Array(Insecure.SHA1.hash(data: name)), Array(Insecure.SHA1.hash(data: key)))
        case sha256OID: return (Array(SHA256.hash(data: name)), Array(SHA256.hash(data: key)))
        default: return nil
        }
    }

    /// The subjectPublicKey BIT STRING's bytes of a public key (what an OCSP key hash covers); swift-certificates'
    /// `subjectPublicKeyInfoBytes` is exactly that, despite its name.
    static func subjectPublicKeyBits(_ key: Certificate.PublicKey) throws -> [UInt8] {
        Array(key.subjectPublicKeyInfoBytes)
    }

    /// An OCSPResponse with only a status (no body): malformed, unauthorized, ...
    static func statusOnly(_ status: ResponseStatus) -> [UInt8] {
        var s = DER.Serializer()
        try? s.appendConstructedNode(identifier: .sequence) { c in
            c.appendPrimitiveNode(identifier: .enumerated) { $0.append(UInt8(status.rawValue)) }
        }
        return s.serializedBytes
    }

    /// A successful response for `certIDs` (each with its status), signed by `signer`.
    static func response(
        _ answers: [(CertID, Status)], signer: (cert: Certificate, key: PKIKey), nonceExtension: [UInt8]?, now: Date, nextUpdate: Date
    ) throws -> [UInt8] {
        let algorithm = try signer.key.signatureAlgorithm()
        let keyHash = Array(Insecure.SHA1.hash(data: try subjectPublicKeyBits(signer.cert.publicKey)))
        var data = DER.Serializer()
        try data.appendConstructedNode(identifier: .sequence) { rd in
            // responderID byKey [2] KeyHash
            try rd.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 2, tagClass: .contextSpecific)) { id in
                try id.serialize(ASN1OctetString(contentBytes: keyHash[...]))
            }
            try rd.serialize(try generalized(now))
            try rd.appendConstructedNode(identifier: .sequence) { list in
                for (certID, status) in answers {
                    try list.appendConstructedNode(identifier: .sequence) { single in
                        single.serializeRawBytes(certID.der)
                        switch status {
                        case .good:
                            single.appendPrimitiveNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { _ in }
                        case .revoked(let when):
                            try single.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific)) { info in
                                try info.serialize(try generalized(when))
                            }
                        case .unknown:
                            single.appendPrimitiveNode(identifier: ASN1Identifier(tagWithNumber: 2, tagClass: .contextSpecific)) { _ in }
                        }
                        try single.serialize(try generalized(now))
                        try single.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { next in
                            try next.serialize(try generalized(nextUpdate))
                        }
                    }
                }
            }
            if let nonceExtension {
                try rd.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific)) { explicit in
                    try explicit.appendConstructedNode(identifier: .sequence) { $0.serializeRawBytes(nonceExtension) }
                }
            }
        }
        let tbs = data.serializedBytes
        let signature = try signer.key.privateKey.sign(bytes: tbs, signatureAlgorithm: algorithm)
        var basic = DER.Serializer()
        try basic.appendConstructedNode(identifier: .sequence) { b in
            b.serializeRawBytes(tbs)
            try CRLBuilder.serializeAlgorithm(algorithm, into: &b)
            try b.serialize(ASN1BitString(bytes: signature.rawRepresentation[...]))
            try b.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { certs in
                try certs.appendConstructedNode(identifier: .sequence) { try $0.serialize(signer.cert) }
            }
        }
        var out = DER.Serializer()
        try out.appendConstructedNode(identifier: .sequence) { c in
            c.appendPrimitiveNode(identifier: .enumerated) { $0.append(0) }
            try c.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { explicit in
                try explicit.appendConstructedNode(identifier: .sequence) { rb in
                    try rb.serialize(basicResponseOID)
                    try rb.serialize(ASN1OctetString(contentBytes: basic.serializedBytes[...]))
                }
            }
        }
        return out.serializedBytes
    }

    static func generalized(_ date: Date) throws -> GeneralizedTime {
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC") ?? .current, from: date)
        return try GeneralizedTime(
            year: c.year ?? 1970, month: c.month ?? 1, day: c.day ?? 1, hours: c.hour ?? 0, minutes: c.minute ?? 0, seconds: c.second ?? 0,
            fractionalSeconds: 0)
    }
}

extension PKIEngine {
    static let ocspContentType = "application/ocsp-response"

    /// `ocsp` (POST, the DER request as the body) and `ocsp/<base64 request>` (GET): the status of certificates this
    /// mount issued, signed by their issuer.
    func ocsp(_ r: PathRequest) async throws -> LogicalResponse? {
        let der: [UInt8]
        if r.operation == .read {
            let text = try r.fields.string("req").removingPercentEncoding ?? ""
            guard let d = Data(base64Encoded: text) ?? Data(base64Encoded: Self.padded(text)) else {
                return Self.rawBinary(OCSPResponder.statusOnly(.malformedRequest), contentType: Self.ocspContentType)
            }
            der = Array(d)
        } else {
            guard let b64 = r.data["http_request_body_base64"]?.stringValue, let d = Data(base64Encoded: b64) else {
                return Self.rawBinary(OCSPResponder.statusOnly(.malformedRequest), contentType: Self.ocspContentType)
            }
            der = Array(d)
        }
        let cfg = try await PKIStore.load(CRLConfig.self, r.storage, PKIStore.crlConfig) ?? CRLConfig()
        if cfg.ocspDisable { return Self.rawBinary(OCSPResponder.statusOnly(.unauthorized), contentType: Self.ocspContentType) }
        guard let request = try? OCSPResponder.parse(der) else {
            return Self.rawBinary(OCSPResponder.statusOnly(.malformedRequest), contentType: Self.ocspContentType)
        }
        // The issuer named by the first CertID answers for all of them (OpenBao answers one issuer per request).
        var match: IssuerEntry? = nil
        for id in try await issuerIDs(r.storage) {
            guard let e = try await PKIStore.load(IssuerEntry.self, r.storage, PKIStore.issuer(id)), !e.keyID.isEmpty,
                e.usage.contains("ocsp-signing"), let c = try? PKIFormat.parseCertificate(e.certificate)
            else { continue }
            let hashes = try OCSPResponder.issuerHashes(c, algorithm: request.certIDs[0].hashAlgorithm)
            guard let hashes, hashes.name == request.certIDs[0].issuerNameHash, hashes.key == request.certIDs[0].issuerKeyHash else { continue }
            match = e
            break
        }
        guard let issuer = match else {
            return Self.rawBinary(OCSPResponder.statusOnly(.unauthorized), contentType: Self.ocspContentType)
        }
        let signer: (cert: Certificate, key: PKIKey)
        do {
            signer = try await self.signer(r.storage, issuer)
        } catch {
            return Self.rawBinary(OCSPResponder.statusOnly(.internalError), contentType: Self.ocspContentType)
        }
        var answers: [(OCSPResponder.CertID, OCSPResponder.Status)] = []
        for certID in request.certIDs {
            let serial = PKIFormat.hexColon(certID.serial)
            var status = OCSPResponder.Status.unknown
            if let rec = try await PKIStore.load(CertRecord.self, r.storage, PKIStore.revoked(serial)), rec.issuerID == issuer.id {
                status = .revoked(Date(timeIntervalSince1970: TimeInterval(rec.revocationTime)))
            } else if let rec = try await PKIStore.load(CertRecord.self, r.storage, PKIStore.cert(serial)), rec.issuerID == issuer.id {
                status = .good
            }
            answers.append((certID, status))
        }
        let now = Date()
        let expiry = TimeInterval(parseDurationSeconds(cfg.ocspExpiry) ?? 43_200)
        let body = try OCSPResponder.response(answers, signer: signer, nonceExtension: request.nonceExtension, now: now, nextUpdate: now.addingTimeInterval(expiry))
        return Self.rawBinary(body, contentType: Self.ocspContentType)
    }

    static func padded(_ s: String) -> String {
        let t = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        return t + String(repeating: "=", count: (4 - t.count % 4) % 4)
    }
}
