/// An IPv4 or IPv6 CIDR block (`10.0.0.0/8`, `::1/128`, or a bare address meaning a single host).
public struct CIDRBlock: Sendable, Hashable, CustomStringConvertible {
    public let address: [UInt8]
    public let prefixLength: Int
    public let description: String

    public init?(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        let parts = t.split(separator: "/", maxSplits: 1).map(String.init)
        guard let first = parts.first, let addr = Self.parseAddress(first) else { return nil }
        let maxBits = addr.count * 8
        var bits = maxBits
        if parts.count == 2 {
            guard let b = Int(parts[1]), b >= 0, b <= maxBits else { return nil }
            bits = b
        }
        self.address = addr
        self.prefixLength = bits
        self.description = t
    }

    /// Whether an address (textual, v4 or v6) lies inside the block.
    public func contains(_ ip: String) -> Bool {
        guard var candidate = Self.parseAddress(ip) else { return false }
        if candidate.count == 16 && address.count == 4 && candidate.prefix(12) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] {
            candidate = Array(candidate.suffix(4))  // IPv4-mapped IPv6
        }
        guard candidate.count == address.count else { return false }
        var remaining = prefixLength
        for i in 0..<address.count where remaining > 0 {
            let bits = min(8, remaining)
            let mask: UInt8 = bits == 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if candidate[i] & mask != address[i] & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// Parses a dotted IPv4 or a colon-hex IPv6 address into its bytes. As Go's `net.ParseIP`, an IPv4 octet is
    /// decimal digits only, without a leading zero (`010.0.0.1` is refused).
    public static func parseAddress(_ s: String) -> [UInt8]? {
        if s.contains(":") { return parseIPv6(s) }
        let octets = s.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var out: [UInt8] = []
        for o in octets {
            guard !o.isEmpty, o.count <= 3, o.allSatisfy({ $0.isASCII && $0.isNumber }), o.count == 1 || o.first != "0",
                let v = UInt8(o)
            else { return nil }
            out.append(v)
        }
        return out
    }

    static func parseIPv6(_ s: String) -> [UInt8]? {
        var text = s
        if let pct = text.firstIndex(of: "%") { text = String(text[..<pct]) }
        var tail: [UInt8] = []
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            guard let v4 = parseAddress(String(text[text.index(after: lastColon)...])) else { return nil }
            tail = v4
            text = String(text[...lastColon]) + "0:0"
        }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            for g in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard !g.isEmpty, g.count <= 4, g.allSatisfy({ $0.isASCII && $0.isHexDigit }), let v = UInt16(g, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let rest = groups(halves[1]), head.count + rest.count < 8 else { return nil }
            all += Array(repeating: 0, count: 8 - head.count - rest.count) + rest
        }
        guard all.count == 8 else { return nil }
        var bytes = all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        if !tail.isEmpty { bytes.replaceSubrange(12..<16, with: tail) }
        return bytes
    }
}

import Foundation

extension CIDRBlock {
    /// An address as Go prints it: dotted IPv4 (IPv4-mapped IPv6 too), IPv6 in RFC 5952 form (the longest run of at
    /// least two zero groups as `::`, lowercase hex).
    public static func format(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        guard bytes.count == 16 else { return "" }
        let groups = stride(from: 0, to: 16, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
        if groups[0..<5].allSatisfy({ $0 == 0 }) && groups[5] == 0xFFFF {
            return bytes[12..<16].map(String.init).joined(separator: ".")
        }
        var bestStart = -1
        var bestLength = 0
        var i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i > bestLength {
                    bestStart = i
                    bestLength = j - i
                }
                i = j
            } else {
                i += 1
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestLength >= 2 else { return hex.joined(separator: ":") }
        return hex[0..<bestStart].joined(separator: ":") + "::" + hex[(bestStart + bestLength)...].joined(separator: ":")
    }
}
