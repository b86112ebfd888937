import CofferSDK
import Foundation
import SwiftASN1

/// Whether a role lets a certificate carry the names asked for, with OpenBao's rules and error texts:
/// `allow_any_name`, `allow_localhost`, `allowed_domains` with `allow_bare_domains`, `allow_subdomains`,
/// `allow_glob_domains` and `allow_wildcard_certificates`, `enforce_hostnames`, `allow_ip_sans`, `allowed_uri_sans`.
struct RoleNamePolicy {
    let allowAny: Bool
    let allowLocalhost: Bool
    let allowBare: Bool
    let allowSubdomains: Bool
    let allowGlobs: Bool
    let allowWildcards: Bool
    let enforceHostnames: Bool
    let allowIPs: Bool
    let domains: [String]
    let uriPatterns: [String]
    let cnValidations: [String]

    init(role: [String: JSONValue]) {
        func b(_ k: String, _ d: Bool) -> Bool { role[k]?.boolValue ?? d }
        allowAny = b("allow_any_name", false)
        allowLocalhost = b("allow_localhost", true)
        allowBare = b("allow_bare_domains", false)
        allowSubdomains = b("allow_subdomains", false)
        allowGlobs = b("allow_glob_domains", false)
        allowWildcards = b("allow_wildcard_certificates", true)
        enforceHostnames = b("enforce_hostnames", true)
        allowIPs = b("allow_ip_sans", true)
        domains = PKIEngine.strings(role["allowed_domains"])
        uriPatterns = PKIEngine.strings(role["allowed_uri_sans"])
        cnValidations = PKIEngine.strings(role["cn_validations"])
    }

    func check(commonName cn: String, dns: [String], emails: [String], ips: [[UInt8]], uris: [String]) throws {
        if !cn.isEmpty {
            if !cnValidations.contains("disabled") {
                let asEmail = cnValidations.contains("email") && cn.contains("@") && Self.isEmail(cn)
                let asHost = cnValidations.contains("hostname") && !cn.contains("@") && (!enforceHostnames || Self.isHostname(cn, wildcard: allowWildcards))
                if !asEmail && !asHost, enforceHostnames || cnValidations.contains("email") && cn.contains("@") {
                    throw LogicalError.invalidRequest("common name \(cn) not allowed by this role")
                }
            }
            guard allowed(cn) else { throw LogicalError.invalidRequest("common name \(cn) not allowed by this role") }
        }
        for n in dns + emails where !allowed(n) {
            throw LogicalError.invalidRequest("subject alternate name \(n) not allowed by this role")
        }
        if !ips.isEmpty, !allowIPs {
            throw LogicalError.invalidRequest("IP Subject Alternative Names are not allowed in this role, but was provided some")
        }
        for u in uris where !uriPatterns.contains(where: { Self.glob($0, matches: u) }) {
            throw LogicalError.invalidRequest("URI Subject Alternative Names are not allowed in this role, but were provided \(u)")
        }
    }

    /// Whether one name (host or email) is allowed.
    func allowed(_ name: String) -> Bool {
        var host = name
        if let at = name.lastIndex(of: "@") {
            // An email: its domain part is checked as a host.
            host = String(name[name.index(after: at)...])
        }
        if enforceHostnames, !Self.isHostname(host, wildcard: allowWildcards) { return false }
        if allowAny { return true }
        let lower = host.lowercased()
        if allowLocalhost, lower == "localhost" || lower == "localdomain" || lower.hasSuffix(".localhost") { return true }
        let isWildcard = lower.hasPrefix("*.")
        if isWildcard, !allowWildcards { return false }
        let bare = isWildcard ? String(lower.dropFirst(2)) : lower
        for d in domains {
            let domain = d.lowercased()
            if domain.isEmpty { continue }
            if allowBare, lower == domain { return true }
            if allowSubdomains {
                if lower.hasSuffix("." + domain), !lower.dropLast(domain.count + 1).isEmpty { return true }
                if isWildcard, bare == domain || bare.hasSuffix("." + domain) { return true }
            }
            if allowGlobs, domain.contains("*"), Self.glob(domain, matches: lower) { return true }
            if isWildcard, allowBare, bare == domain { return true }
        }
        return false
    }

    /// A DNS hostname (letters, digits, hyphens, dot-separated labels of at most 63), with a leading `*.` when
    /// wildcards are allowed.
    static func isHostname(_ name: String, wildcard: Bool) -> Bool {
        var n = Substring(name)
        if wildcard, n.hasPrefix("*.") { n = n.dropFirst(2) }
        if n.hasSuffix(".") { n = n.dropLast() }
        guard !n.isEmpty, n.utf8.count <= 253 else { return false }
        for label in n.split(separator: ".", omittingEmptySubsequences: false) {
            guard !label.isEmpty, label.utf8.count <= 63, label.first != "-", label.last != "-",
                label.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") })
            else { return false }
        }
        return true
    }

    static func isEmail(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && isHostname(String(parts[1]), wildcard: false)
    }

    /// `*` matches any run of characters (as OpenBao's glob for domains and URI SANs).
    static func glob(_ pattern: String, matches text: String) -> Bool {
        let p = Array(pattern.utf8)
        let t = Array(text.utf8)
        var pi = 0
        var ti = 0
        var star = -1
        var mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == UInt8(ascii: "*") {
                star = pi
                mark = ti
                pi += 1
            } else if pi < p.count, p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}
