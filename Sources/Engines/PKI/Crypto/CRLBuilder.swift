import CofferSDK
import Foundation
import SwiftASN1
import X509

/// RFC 5280 certificate revocation lists (version 2), encoded with SwiftASN1 and signed by the issuer's key through
/// swift-certificates.
enum CRLBuilder {
    struct Entry: Sendable {
        var serial: [UInt8]
        var revoked: Date
    }

    /// `deltaBase`: the number of the complete CRL a delta CRL extends (its Delta CRL Indicator, RFC 5280 5.2.4).
    static func build(
        issuer: Certificate, key: PKIKey, entries: [Entry], number: Int64, thisUpdate: Date, nextUpdate: Date, deltaBase: Int64? = nil
    ) throws -> [UInt8] {
        let algorithm = try key.signatureAlgorithm()
        var tbs = DER.Serializer()
        try tbs.appendConstructedNode(identifier: .sequence) { c in
            try c.serialize(1)  // v2
            try serializeAlgorithm(algorithm, into: &c)
            try c.serialize(issuer.subject)
            try serializeTime(thisUpdate, into: &c)
            try serializeTime(nextUpdate, into: &c)
            if !entries.isEmpty {
                try c.appendConstructedNode(identifier: .sequence) { list in
                    for e in entries {
                        try list.appendConstructedNode(identifier: .sequence) { item in
                            serializeInteger(e.serial, into: &item)
                            try serializeTime(e.revoked, into: &item)
                        }
                    }
                }
            }
            try c.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { explicit in
                try explicit.appendConstructedNode(identifier: .sequence) { exts in
                    if let ski = try? issuer.extensions.subjectKeyIdentifier {
                        try exts.serialize(Certificate.Extension(AuthorityKeyIdentifier(keyIdentifier: ski.keyIdentifier), critical: false))
                    }
                    var number8 = DER.Serializer()
                    try number8.serialize(number)
                    try exts.serialize(Certificate.Extension(oid: [2, 5, 29, 20], critical: false, value: number8.serializedBytes[...]))
                    if let deltaBase {
                        var base = DER.Serializer()
                        try base.serialize(deltaBase)
                        try exts.serialize(Certificate.Extension(oid: [2, 5, 29, 27], critical: true, value: base.serializedBytes[...]))
                    }
                }
            }
        }
        let tbsBytes = tbs.serializedBytes
        let signature = try key.privateKey.sign(bytes: tbsBytes, signatureAlgorithm: algorithm)
        var out = DER.Serializer()
        try out.appendConstructedNode(identifier: .sequence) { c in
            c.serializeRawBytes(tbsBytes)
            try serializeAlgorithm(algorithm, into: &c)
            try c.serialize(ASN1BitString(bytes: signature.rawRepresentation[...]))
        }
        return out.serializedBytes
    }

    /// The serials (as bytes) of a CRL, to check what it lists; nil when it does not parse.
    static func serials(in der: [UInt8]) -> [[UInt8]]? {
        guard let root = try? DER.parse(der), case .constructed(let top) = root.content,
            let tbsNode = top.first(where: { _ in true }), case .constructed(let tbs) = tbsNode.content
        else { return nil }
        for node in tbs where node.identifier == .sequence {
            // The revoked list is the only SEQUENCE of SEQUENCEs whose items start with an INTEGER.
            guard case .constructed(let items) = node.content else { continue }
            var out: [[UInt8]] = []
            var isList = true
            for item in items {
                guard case .constructed(let fields) = item.content, let first = fields.first(where: { _ in true }),
                    first.identifier == .integer, case .primitive(let bytes) = first.content
                else {
                    isList = false
                    break
                }
                out.append(Array(bytes))
            }
            if isList, !out.isEmpty { return out }
        }
        return []
    }

    static func serializeInteger(_ bytes: [UInt8], into c: inout DER.Serializer) {
        c.appendPrimitiveNode(identifier: .integer) { $0.append(contentsOf: bytes) }
    }

    /// UTCTime before 2050, GeneralizedTime from then on (RFC 5280 4.1.2.5).
    static func serializeTime(_ date: Date, into c: inout DER.Serializer) throws {
        let comps = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        let (y, mo, d, h, mi, s) = (comps.year ?? 1970, comps.month ?? 1, comps.day ?? 1, comps.hour ?? 0, comps.minute ?? 0, comps.second ?? 0)
        if y < 2050 {
            try c.serialize(try UTCTime(year: y, month: mo, day: d, hours: h, minutes: mi, seconds: s))
        } else {
            try c.serialize(try GeneralizedTime(year: y, month: mo, day: d, hours: h, minutes: mi, seconds: s, fractionalSeconds: 0))
        }
    }

    /// The AlgorithmIdentifier of a signature algorithm (RSA ones with NULL parameters, RFC 4055; ECDSA and Ed25519
    /// without, RFC 5758 and 8410).
    static func serializeAlgorithm(_ a: Certificate.SignatureAlgorithm, into c: inout DER.Serializer) throws {
        let (oid, null): (ASN1ObjectIdentifier, Bool)
        switch a {
        case .sha256WithRSAEncryption: (oid, null) = ([1, 2, 840, 113549, 1, 1, 11], true)
        case .sha384WithRSAEncryption: (oid, null) = ([1, 2, 840, 113549, 1, 1, 12], true)
        case .sha512WithRSAEncryption: (oid, null) = ([1, 2, 840, 113549, 1, 1, 13], true)
        case .ecdsaWithSHA256: (oid, null) = ([1, 2, 840, 10045, 4, 3, 2], false)
        case .ecdsaWithSHA384: (oid, null) = ([1, 2, 840, 10045, 4, 3, 3], false)
        case .ecdsaWithSHA512: (oid, null) = ([1, 2, 840, 10045, 4, 3, 4], false)
        case .ed25519: (oid, null) = ([1, 3, 101, 112], false)
        default: throw LogicalError.internalError("unsupported signature algorithm")
        }
        try c.appendConstructedNode(identifier: .sequence) { alg in
            try alg.serialize(oid)
            if null { try alg.serialize(ASN1Null()) }
        }
    }
}
