import CofferSDK
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The `syslog` device: one message per line through the local syslog daemon.
final class SyslogAuditSink: AuditSink, @unchecked Sendable {
    let facility: Int32
    let tag: String
    /// Written once in init, read by syslog only.
    private let tagStorage: UnsafeMutablePointer<CChar>

    static let facilities: [String: Int32] = [
        "KERN": LOG_KERN, "USER": LOG_USER, "MAIL": LOG_MAIL, "DAEMON": LOG_DAEMON, "AUTH": LOG_AUTH, "SYSLOG": LOG_SYSLOG,
        "LPR": LOG_LPR, "NEWS": LOG_NEWS, "UUCP": LOG_UUCP, "CRON": LOG_CRON, "AUTHPRIV": LOG_AUTHPRIV, "FTP": LOG_FTP,
        "LOCAL0": LOG_LOCAL0, "LOCAL1": LOG_LOCAL1, "LOCAL2": LOG_LOCAL2, "LOCAL3": LOG_LOCAL3, "LOCAL4": LOG_LOCAL4,
        "LOCAL5": LOG_LOCAL5, "LOCAL6": LOG_LOCAL6, "LOCAL7": LOG_LOCAL7,
    ]

    init(facility: String, tag: String) throws {
        guard let f = Self.facilities[facility.uppercased()] else { throw AuditSinkError("unknown syslog facility \"\(facility)\"") }
        self.facility = f
        self.tag = tag
        // openlog keeps the pointer, so the tag lives as long as the device.
        tagStorage = strdup(tag)
        openlog(tagStorage, LOG_PID | LOG_NDELAY, f)
    }

    deinit { free(tagStorage) }

    var mayBlock: Bool { true }

    func write(_ line: [UInt8]) throws {
        var text = line
        if text.last == UInt8(ascii: "\n") { text.removeLast() }
        let message = String(decoding: text, as: UTF8.self)
        withVaList([message]) { vsyslog(facility | LOG_INFO, "%s", $0) }
    }

    func reopen() throws {}
    func close() {}
    func lastLine() -> [UInt8]? { nil }
}
