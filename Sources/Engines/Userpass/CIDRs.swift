import CofferSDK
import Foundation

/// Validation and canonical text of `token_bound_cidrs` / `bound_cidrs` entries, as OpenBao stores them: a block
/// covering a single host is printed as the bare address (`127.0.0.1/32` reads back as `127.0.0.1`), IPv6 in its
/// RFC 5952 form, and host bits are kept (`10.0.0.1/8` stays).
enum CIDRs {
    static func canonicalize(_ items: [String]) throws -> [String] {
        try items.map { item in
            let text = item.trimmingCharacters(in: .whitespaces)
            guard let block = CIDRBlock(text) else {
                throw LogicalError.invalidRequest(
                    "error parsing address \"\(text)\": Unable to convert \"\(text)\" to an IPv4 or IPv6 address, or a UNIX Socket")
            }
            let address = format(block.address)
            return block.prefixLength == block.address.count * 8 ? address : "\(address)/\(block.prefixLength)"
        }
    }

    static func format(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        let groups = stride(from: 0, to: 16, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
        // IPv4-mapped addresses print as dotted quads, as Go does.
        if groups[0..<5].allSatisfy({ $0 == 0 }) && groups[5] == 0xFFFF {
            return bytes[12..<16].map(String.init).joined(separator: ".")
        }
        // The longest run (of at least two) of zero groups becomes "::".
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
        let head = hex[0..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }

    /// Whether `remoteAddress` lies inside one of `cidrs`.
    static func allows(_ remoteAddress: String?, _ cidrs: [String]) -> Bool {
        guard let remoteAddress else { return false }
        return cidrs.contains { CIDRBlock($0)?.contains(remoteAddress) ?? false }
    }
}
