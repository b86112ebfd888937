import Foundation

/// Just enough DER to take PKCS#8 private keys and SubjectPublicKeyInfo apart (key import); the keys inside are
/// handed to swift-crypto.
struct DERNode {
    var tag: UInt8
    /// The contents, without tag and length.
    var body: ArraySlice<UInt8>

    struct Malformed: Error {}

    /// Reads the TLVs that make up `bytes`; fails unless they fill it exactly.
    static func sequence(_ bytes: ArraySlice<UInt8>) throws(Malformed) -> [DERNode] {
        var out: [DERNode] = []
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let tag = bytes[i]
            i += 1
            guard i < bytes.endIndex else { throw Malformed() }
            var length = Int(bytes[i])
            i += 1
            if length & 0x80 != 0 {
                let n = length & 0x7F
                guard n >= 1, n <= 4, bytes.endIndex - i >= n else { throw Malformed() }
                length = 0
                for _ in 0..<n {
                    length = length << 8 | Int(bytes[i])
                    i += 1
                }
            }
            guard length <= bytes.endIndex - i else { throw Malformed() }
            out.append(DERNode(tag: tag, body: bytes[i..<i + length]))
            i += length
        }
        return out
    }

    /// The one TLV that makes up `bytes`.
    static func single(_ bytes: ArraySlice<UInt8>) throws(Malformed) -> DERNode {
        let nodes = try sequence(bytes)
        guard nodes.count == 1 else { throw Malformed() }
        return nodes[0]
    }

    func children() throws(Malformed) -> [DERNode] { try DERNode.sequence(body) }

    /// Dotted form of an OBJECT IDENTIFIER's contents.
    var oid: String {
        var parts: [String] = []
        var value = 0
        for b in body {
            value = value << 7 | Int(b & 0x7F)
            if b & 0x80 == 0 {
                if parts.isEmpty {
                    let first = min(value / 40, 2)
                    parts.append(String(first))
                    parts.append(String(value - first * 40))
                } else {
                    parts.append(String(value))
                }
                value = 0
            }
        }
        return parts.joined(separator: ".")
    }
}

/// The parts of a PKCS#8 PrivateKeyInfo or a SubjectPublicKeyInfo that key import needs.
struct KeyInfo {
    /// The algorithm OID, and the parameters OID (an EC curve) when there is one.
    var algorithm: String
    var parameter: String?
    /// PKCS#8: the privateKey OCTET STRING's contents. SPKI: the BIT STRING's bits (unused-bits byte removed).
    var key: ArraySlice<UInt8>

    static func algorithm(_ node: DERNode) throws(DERNode.Malformed) -> (String, String?) {
        let parts = try node.children()
        guard node.tag == 0x30, let oid = parts.first, oid.tag == 0x06 else { throw DERNode.Malformed() }
        let parameter = parts.count > 1 && parts[1].tag == 0x06 ? parts[1].oid : nil
        return (oid.oid, parameter)
    }

    /// PrivateKeyInfo ::= SEQUENCE { version INTEGER, algorithm AlgorithmIdentifier, privateKey OCTET STRING, ... }
    static func pkcs8(_ der: [UInt8]) throws(DERNode.Malformed) -> KeyInfo {
        let top = try DERNode.single(der[...])
        let parts = try top.children()
        guard top.tag == 0x30, parts.count >= 3, parts[0].tag == 0x02, parts[2].tag == 0x04 else { throw DERNode.Malformed() }
        let (alg, param) = try algorithm(parts[1])
        return KeyInfo(algorithm: alg, parameter: param, key: parts[2].body)
    }

    /// SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
    static func spki(_ der: [UInt8]) throws(DERNode.Malformed) -> KeyInfo {
        let top = try DERNode.single(der[...])
        let parts = try top.children()
        guard top.tag == 0x30, parts.count == 2, parts[1].tag == 0x03, parts[1].body.first == 0 else { throw DERNode.Malformed() }
        let (alg, param) = try algorithm(parts[0])
        return KeyInfo(algorithm: alg, parameter: param, key: parts[1].body.dropFirst())
    }
}

enum PEM {
    /// The DER of the first PEM block in `text` and its label, or nil when there is none.
    static func decode(_ text: String) -> (label: String, der: [UInt8])? {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let start = lines.firstIndex(where: { $0.hasPrefix("-----BEGIN ") && $0.hasSuffix("-----") }) else { return nil }
        let label = String(lines[start].dropFirst("-----BEGIN ".count).dropLast(5))
        guard let end = lines[(start + 1)...].firstIndex(of: "-----END \(label)-----") else { return nil }
        let body = lines[(start + 1)..<end].joined()
        guard let der = try? GoBase64.decode(body) else { return nil }
        return (label, der)
    }
}
