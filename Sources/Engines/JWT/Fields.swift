import CofferSDK
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Field decoding with the error texts of OpenBao's framework for the field types the jwt plugin uses.
extension LogicalRequest {
    func has(_ key: String) -> Bool { data[key] != nil }

    /// TypeString.
    func jwtString(_ key: String) throws -> String? {
        guard let v = data[key] else { return nil }
        switch v {
        case .null: return ""
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return GoFormat.float(d)
        case .bool(let b): return b ? "1" : "0"
        default:
            throw LogicalError.invalidRequest(
                "error converting input for field \(GoFormat.quote(key)): '' expected type 'string', got unconvertible type '\(goTypeName(v))'")
        }
    }

    /// TypeCommaStringSlice.
    func jwtStringList(_ key: String) throws -> [String]? {
        guard let v = data[key] else { return nil }
        switch v {
        case .null: return []
        case .string(let s):
            if s.isEmpty { return [] }
            return s.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                .filter { !$0.isEmpty }
        case .array(let a):
            var out: [String] = []
            var bad: [String] = []
            for (i, e) in a.enumerated() {
                switch e {
                case .string(let s): out.append(s.trimmingCharacters(in: .whitespacesAndNewlines))
                case .int(let i): out.append(String(i))
                case .double(let d): out.append(GoFormat.float(d))
                case .bool(let b): out.append(b ? "1" : "0")
                case .null: continue
                case .array, .object:
                    // The jwt plugin's mapstructure names every element it cannot convert.
                    bad.append("* '[\(i)]' expected type 'string', got unconvertible type '\(goTypeName(e))', value: '\(GoFormat.value(e))'")
                }
            }
            if !bad.isEmpty {
                throw LogicalError.invalidRequest(
                    "error converting input for field \(GoFormat.quote(key)): \(bad.count) error(s) decoding:\n\n" + bad.joined(separator: "\n"))
            }
            return out.filter { !$0.isEmpty }
        case .int(let i): return [String(i)]
        case .double(let d): return [GoFormat.float(d)]
        case .bool(let b): return [b ? "1" : "0"]
        case .object:
            throw LogicalError.invalidRequest(
                "error converting input for field \(GoFormat.quote(key)): '' source data must be an array or slice, got map")
        }
    }

    /// TypeBool.
    func jwtBool(_ key: String) throws -> Bool? {
        guard let v = data[key] else { return nil }
        switch v {
        case .null: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s):
            switch s {
            case "1", "t", "T", "TRUE", "true", "True": return true
            case "0", "f", "F", "FALSE", "false", "False", "": return false
            default:
                throw LogicalError.invalidRequest(
                    "error converting input for field \(GoFormat.quote(key)): cannot parse '' as bool: strconv.ParseBool: parsing \(GoFormat.quote(s)): invalid syntax"
                )
            }
        default:
            throw LogicalError.invalidRequest(
                "error converting input for field \(GoFormat.quote(key)): '' expected type 'bool', got unconvertible type '\(goTypeName(v))'")
        }
    }

    /// TypeInt: out of range or a fraction is an error with OpenBao's text, never a trap.
    func jwtInt(_ key: String) throws -> Int64? {
        guard let v = data[key] else { return nil }
        switch v {
        case .string(let s) where s.isEmpty: return 0
        case .bool(let b): return b ? 1 : 0
        default:
            switch FieldDecoding.int(v) {
            case .success(let i): return i
            case .failure(let e):
                throw LogicalError.invalidRequest("error converting input for field \(GoFormat.quote(key)): \(e.message)")
            }
        }
    }

    /// TypeDurationSecond / TypeSignedDurationSecond (`parseutil.ParseDurationSecond`): past ~292 years is an
    /// overflow error, as in OpenBao.
    func jwtDuration(_ key: String) throws -> Int64? {
        guard let v = data[key] else { return nil }
        switch v {
        case .array, .object, .bool:
            throw LogicalError.invalidRequest(
                "error converting input for field \(GoFormat.quote(key)): '' expected type 'int64', got unconvertible type '\(goTypeName(v))'")
        default:
            switch GoDuration.parseDurationSecond(v) {
            case .success(let d): return d
            case .failure(let e):
                throw LogicalError.invalidRequest("error converting input for field \(GoFormat.quote(key)): \(e.message)")
            }
        }
    }

    /// TypeKVPairs: an object of strings or a list of `k=v`.
    func jwtKVPairs(_ key: String) throws -> [String: String]? {
        guard let v = data[key] else { return nil }
        switch v {
        case .null: return [:]
        case .object(let o):
            var out: [String: String] = [:]
            for (k, val) in o {
                switch val {
                case .string(let s): out[k] = s
                case .int(let i): out[k] = String(i)
                case .double(let d): out[k] = GoFormat.float(d)
                case .bool(let b): out[k] = b ? "1" : "0"
                default:
                    throw LogicalError.invalidRequest(
                        "error converting input for field \(GoFormat.quote(key)): '[\(k)]' expected type 'string', got unconvertible type '\(goTypeName(val))'"
                    )
                }
            }
            return out
        default:
            guard let list = try jwtStringList(key) else { return [:] }
            var out: [String: String] = [:]
            for item in list {
                let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw LogicalError.invalidRequest(
                        "error converting input for field \(GoFormat.quote(key)): input \(GoFormat.quote(item)) does not contain '=' to separate key and value"
                    )
                }
                out[String(parts[0])] = String(parts[1])
            }
            return out
        }
    }

    /// TypeMap.
    func jwtMap(_ key: String) throws -> [String: JSONValue]? {
        guard let v = data[key] else { return nil }
        switch v {
        case .null: return [:]
        case .object(let o): return o
        default:
            throw LogicalError.invalidRequest(
                "error converting input for field \(GoFormat.quote(key)): '' expected type 'map[string]interface {}', got unconvertible type '\(goTypeName(v))'"
            )
        }
    }
}

func goTypeName(_ v: JSONValue) -> String {
    switch v {
    case .null: return "<nil>"
    case .bool: return "bool"
    case .int, .double: return "json.Number"
    case .string: return "string"
    case .array: return "[]interface {}"
    case .object: return "map[string]interface {}"
    }
}

/// `parseutil.ParseAddrs`: CIDRs or single addresses, shown back as go-sockaddr prints them
/// (a full-length prefix is dropped).
func parseAddrs(_ list: [String]) throws -> [String] {
    var out: [String] = []
    for item in list {
        guard let norm = normalizeAddr(item) else {
            throw LogicalError.invalidRequest(
                "error parsing address \(GoFormat.quote(item)): Unable to convert \(GoFormat.quote(item)) to an IPv4 or IPv6 address, or a UNIX Socket"
            )
        }
        out.append(norm)
    }
    return out
}

private func normalizeAddr(_ s: String) -> String? {
    let parts = s.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
    let host = String(parts[0])
    var v4 = in_addr()
    var v6 = in6_addr()
    let isV4 = inet_pton(AF_INET, host, &v4) == 1
    let isV6 = !isV4 && inet_pton(AF_INET6, host, &v6) == 1
    guard isV4 || isV6 else { return nil }
    let maxBits = isV4 ? 32 : 128
    if parts.count == 1 { return host }
    guard let bits = Int(parts[1]), bits >= 0, bits <= maxBits else { return nil }
    if bits == maxBits { return host }
    // Mask the address to the network as go-sockaddr does.
    var bytes: [UInt8] = isV4 ? withUnsafeBytes(of: &v4) { Array($0) } : withUnsafeBytes(of: &v6) { Array($0) }
    for i in 0..<bytes.count {
        let keep = max(0, min(8, bits - i * 8))
        bytes[i] &= keep == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
    }
    var buf = [CChar](repeating: 0, count: 64)
    let ok: Bool = bytes.withUnsafeBytes { raw in
        inet_ntop(isV4 ? AF_INET : AF_INET6, raw.baseAddress, &buf, socklen_t(buf.count)) != nil
    }
    guard ok else { return nil }
    let end = buf.firstIndex(of: 0) ?? buf.count
    let text = String(decoding: buf[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return "\(text)/\(bits)"
}

/// Whether `addr` (an IP, possibly `host:port`) lies in one of `cidrs`.
func remoteAddrAllowed(_ addr: String?, _ cidrs: [String]) -> Bool {
    guard let addr else { return false }
    var host = addr
    if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
        host = String(host[host.index(after: host.startIndex)..<close])
    } else if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
        host = String(host[..<colon])
    }
    guard let ip = ipBytes(host) else { return false }
    for c in cidrs {
        let parts = c.split(separator: "/", maxSplits: 1)
        guard let net = ipBytes(String(parts[0])), net.count == ip.count else { continue }
        let bits = parts.count == 2 ? (Int(parts[1]) ?? net.count * 8) : net.count * 8
        var match = true
        for i in 0..<net.count {
            let keep = max(0, min(8, bits - i * 8))
            let mask: UInt8 = keep == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
            if ip[i] & mask != net[i] & mask {
                match = false
                break
            }
        }
        if match { return true }
    }
    return false
}

private func ipBytes(_ s: String) -> [UInt8]? {
    var v4 = in_addr()
    if inet_pton(AF_INET, s, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
    var v6 = in6_addr()
    if inet_pton(AF_INET6, s, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
    return nil
}
