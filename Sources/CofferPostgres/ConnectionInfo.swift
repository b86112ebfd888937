import Foundation

/// Where and how to connect to PostgreSQL: a parsed libpq connection string (a `postgres://` / `postgresql://` URL or a
/// libpq `key=value` string), shared by the database secrets engine and the PostgreSQL storage backend.
///
/// Its `description` never shows the password.
///
/// ```swift
/// let info = try ConnectionInfo.parse("postgresql://coffer:pw@db:5432/coffer?sslmode=verify-full&sslrootcert=/ca.pem")
/// ```
public struct ConnectionInfo: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// libpq's `sslmode`.
    public enum SSLMode: String, Sendable, Equatable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var host = "localhost"
    public var port = 5432
    public var user = ""
    public var password = ""
    public var database: String?
    public var sslMode = SSLMode.prefer
    public var sslRootCert: String?
    public var sslCert: String?
    public var sslKey: String?
    /// Seconds; nil: the caller's default.
    public var connectTimeout: Int?
    /// libpq's `application_name`, shown in `pg_stat_activity`.
    public var applicationName: String?

    public init() {}

    /// A connection string that could not be parsed. The message never holds the password.
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Everything but the password (shown as `[redacted]` when set).
    public var description: String {
        var s = "postgresql://\(user)\(password.isEmpty ? "" : ":[redacted]")@\(host):\(port)/\(database ?? "")?sslmode=\(sslMode.rawValue)"
        if let sslRootCert { s += "&sslrootcert=\(sslRootCert)" }
        if let connectTimeout { s += "&connect_timeout=\(connectTimeout)" }
        return s
    }

    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }

    /// Parses a `postgres://` / `postgresql://` URL or a libpq `key=value` string.
    public static func parse(_ text: String) throws(ParseError) -> ConnectionInfo {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") ? try parseURL(text) : try parseDSN(text)
    }

    /// Fills the placeholders (percent-encoded unless `disableEscaping`) and parses the result.
    public static func make(url template: String, username: String, password: String, disableEscaping: Bool) throws(ParseError) -> ConnectionInfo {
        let isURL = template.hasPrefix("postgres://") || template.hasPrefix("postgresql://")
        func fill(_ v: String) -> String { isURL && !disableEscaping ? percentEncode(v) : v }
        let filled = template.replacingOccurrences(of: "{{username}}", with: fill(username))
            .replacingOccurrences(of: "{{password}}", with: fill(password))
        var info = try parse(filled)
        // The config's own username/password fill what the URL leaves out.
        if info.user.isEmpty { info.user = username }
        if info.password.isEmpty { info.password = password }
        return info
    }

    /// Every byte but the unreserved ones percent-encoded.
    public static func percentEncode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            let c = Character(Unicode.Scalar(b))
            if b < 0x80, c.isLetter || c.isNumber || c == "-" || c == "." || c == "_" || c == "~" {
                out.append(c)
            } else {
                out += String(format: "%%%02X", b)
            }
        }
        return out
    }

    static func percentDecode(_ s: Substring) throws(ParseError) -> String {
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "%") {
                guard it.count >= 2, let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) else {
                    throw ParseError(message: "invalid URL escape in connection_url")
                }
                bytes.append(v)
                it = it.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func parseURL(_ url: String) throws(ParseError) -> ConnectionInfo {
        var info = ConnectionInfo()
        guard let schemeEnd = url.range(of: "://") else { throw ParseError(message: "invalid connection_url") }
        var rest = url[schemeEnd.upperBound...]
        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        var authority = rest
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            let db = try percentDecode(rest[rest.index(after: slash)...])
            if !db.isEmpty { info.database = db }
        }
        if let at = authority.lastIndex(of: "@") {
            let userinfo = authority[..<at]
            authority = authority[authority.index(after: at)...]
            if let colon = userinfo.firstIndex(of: ":") {
                info.user = try percentDecode(userinfo[..<colon])
                info.password = try percentDecode(userinfo[userinfo.index(after: colon)...])
            } else {
                info.user = try percentDecode(userinfo)
            }
        }
        try info.setHostPort(authority)
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = try percentDecode(kv[0])
            let value = kv.count > 1 ? try percentDecode(kv[1].replacingOccurrences(of: "+", with: " ")[...]) : ""
            try info.apply(key, value)
        }
        return info
    }

    mutating func setHostPort(_ authority: Substring) throws(ParseError) {
        var hostPart = authority
        if authority.hasPrefix("[") {
            guard let end = authority.firstIndex(of: "]") else { throw ParseError(message: "invalid connection_url: bad IPv6 host") }
            hostPart = authority[authority.index(after: authority.startIndex)..<end]
            let after = authority[authority.index(after: end)...]
            if after.hasPrefix(":") { try setPort(after.dropFirst()) }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            try setPort(authority[authority.index(after: colon)...])
        }
        if !hostPart.isEmpty { host = try Self.percentDecode(hostPart) }
    }

    mutating func setPort(_ s: Substring) throws(ParseError) {
        if s.isEmpty { return }
        guard s.count <= 5, let p = Int(s), (1...65535).contains(p) else {
            throw ParseError(message: "invalid connection_url: invalid port")
        }
        port = p
    }

    mutating func apply(_ key: String, _ value: String) throws(ParseError) {
        switch key {
        case "sslmode":
            guard let m = SSLMode(rawValue: value) else { throw ParseError(message: "sslmode is invalid") }
            sslMode = m
        case "sslrootcert": sslRootCert = value
        case "sslcert": sslCert = value
        case "sslkey": sslKey = value
        case "connect_timeout":
            guard value.count <= 9, let t = Int(value), t >= 0 else {
                throw ParseError(message: "invalid connect_timeout \"\(value)\"")
            }
            connectTimeout = t == 0 ? nil : t
        case "host": host = value
        case "port": try setPort(value[...])
        case "user": user = value
        case "password": password = value
        case "dbname", "database": database = value.isEmpty ? nil : value
        case "application_name": applicationName = value.isEmpty ? nil : value
        default: break  // other libpq parameters are accepted and ignored
        }
    }

    /// libpq's `key=value` form: values may be single-quoted with `\'` and `\\` escapes.
    public static func parseDSN(_ dsn: String) throws(ParseError) -> ConnectionInfo {
        var info = ConnectionInfo()
        let s = Array(dsn)
        var i = 0
        func skipSpace() { while i < s.count, s[i].isWhitespace { i += 1 } }
        while true {
            skipSpace()
            if i >= s.count { break }
            var key = ""
            while i < s.count, s[i] != "=", !s[i].isWhitespace {
                key.append(s[i])
                i += 1
            }
            skipSpace()
            guard i < s.count, s[i] == "=" else { throw ParseError(message: "invalid connection_url: missing \"=\" after a keyword") }
            i += 1
            skipSpace()
            var value = ""
            if i < s.count, s[i] == "'" {
                i += 1
                var closed = false
                while i < s.count {
                    if s[i] == "\\", i + 1 < s.count {
                        value.append(s[i + 1])
                        i += 2
                        continue
                    }
                    if s[i] == "'" {
                        closed = true
                        i += 1
                        break
                    }
                    value.append(s[i])
                    i += 1
                }
                if !closed { throw ParseError(message: "invalid connection_url: unterminated quoted string") }
            } else {
                while i < s.count, !s[i].isWhitespace {
                    if s[i] == "\\", i + 1 < s.count {
                        value.append(s[i + 1])
                        i += 2
                        continue
                    }
                    value.append(s[i])
                    i += 1
                }
            }
            try info.apply(key, value)
        }
        return info
    }
}
