import CofferSDK

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An IP network: address bytes (4 or 16) and prefix length.
struct IPNetwork: Equatable {
    var bytes: [UInt8]
    var prefix: Int

    /// Parses an IPv4 or IPv6 address literal.
    static func parseAddress(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if text.withCString({ inet_pton(AF_INET, $0, &v4) }) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if text.withCString({ inet_pton(AF_INET6, $0, &v6) }) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    /// Strict CIDR notation (`10.0.0.0/8`), as Go's `net.ParseCIDR`.
    static func parseCIDR(_ text: String) -> IPNetwork? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let bytes = parseAddress(String(parts[0])), !parts[1].isEmpty,
            parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let prefix = Int(parts[1]), prefix <= bytes.count * 8
        else { return nil }
        return IPNetwork(bytes: bytes, prefix: prefix)
    }

    /// An address or a CIDR block (a bare address is a single-host block).
    static func parseAddressOrCIDR(_ text: String) -> IPNetwork? {
        if text.contains("/") { return parseCIDR(text) }
        guard let bytes = parseAddress(text) else { return nil }
        return IPNetwork(bytes: bytes, prefix: bytes.count * 8)
    }

    func contains(address: [UInt8]) -> Bool {
        let addr = Self.mapped(address, to: bytes.count)
        guard let addr else { return false }
        return Self.prefixMatches(bytes, addr, prefix)
    }

    /// Whether `other` lies entirely within this block.
    func contains(network other: IPNetwork) -> Bool {
        guard let addr = Self.mapped(other.bytes, to: bytes.count) else { return false }
        let otherPrefix = other.bytes.count == bytes.count ? other.prefix : other.prefix - (other.bytes.count - bytes.count) * 8
        return otherPrefix >= prefix && Self.prefixMatches(bytes, addr, prefix)
    }

    /// IPv4 addresses compared with IPv6 blocks (and back) through the IPv4-mapped form.
    private static func mapped(_ addr: [UInt8], to count: Int) -> [UInt8]? {
        if addr.count == count { return addr }
        if addr.count == 4, count == 16 { return [UInt8](repeating: 0, count: 10) + [0xff, 0xff] + addr }
        if addr.count == 16, count == 4, addr[0..<10].allSatisfy({ $0 == 0 }), addr[10] == 0xff, addr[11] == 0xff {
            return Array(addr[12...])
        }
        return nil
    }

    private static func prefixMatches(_ a: [UInt8], _ b: [UInt8], _ prefix: Int) -> Bool {
        var remaining = prefix
        for i in 0..<a.count {
            if remaining <= 0 { return true }
            let bits = min(8, remaining)
            let mask: UInt8 = bits == 8 ? 0xff : UInt8(0xff << (8 - bits) & 0xff)
            if a[i] & mask != b[i] & mask { return false }
            remaining -= bits
        }
        return true
    }
}

/// Whether `remote` (an IP, possibly with a port or brackets) is inside one of `blocks`.
func remoteAddress(_ remote: String?, isIn blocks: [String]) -> Bool {
    guard var host = remote, !host.isEmpty else { return false }
    if host.hasPrefix("["), let end = host.firstIndex(of: "]") {
        host = String(host[host.index(after: host.startIndex)..<end])
    } else if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
        host = String(host[..<colon])
    }
    guard let addr = IPNetwork.parseAddress(host) else { return false }
    return blocks.contains { IPNetwork.parseAddressOrCIDR($0)?.contains(address: addr) ?? false }
}

/// Every block of `subset` lies in some block of `superset`.
func cidrBlocks(_ subset: [String], areWithin superset: [String]) -> Bool {
    let sup = superset.compactMap { IPNetwork.parseAddressOrCIDR($0) }
    for text in subset {
        guard let net = IPNetwork.parseAddressOrCIDR(text) else { return false }
        if !sup.contains(where: { $0.contains(network: net) }) { return false }
    }
    return true
}

/// `token_bound_cidrs` as OpenBao's sockaddr parsing accepts and prints them: a single-host block prints as
/// the bare address.
func parseTokenBoundCIDRs(_ list: [String]) throws(LogicalError) -> [String] {
    var out: [String] = []
    for item in list {
        guard let net = IPNetwork.parseAddressOrCIDR(item) else {
            throw LogicalError.invalidRequest(
                "error parsing address \"\(item)\": Unable to convert \"\(item)\" to an IPv4 or IPv6 address, or a UNIX Socket")
        }
        if net.prefix == net.bytes.count * 8, let slash = item.firstIndex(of: "/") {
            out.append(String(item[..<slash]))
        } else {
            out.append(item)
        }
    }
    return out
}

/// Validates strict CIDR blocks; returns the first invalid one.
func firstInvalidCIDR(_ list: [String]) -> String? {
    list.first { IPNetwork.parseCIDR($0) == nil }
}
