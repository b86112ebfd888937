import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an audit device could not record a line. The text names the device's target, never the line.
struct AuditSinkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
    static func errno(_ what: String, _ code: Int32 = currentErrno()) -> AuditSinkError {
        AuditSinkError("\(what): \(String(cString: strerror(code)).lowercased())")
    }
}

func currentErrno() -> Int32 { errno }

/// Where one audit device's lines go. `write` is called with the device's chain lock held, so one line at a time.
protocol AuditSink: AnyObject, Sendable {
    func write(_ line: [UInt8]) throws
    /// Closes and opens the target again (file devices on SIGHUP, after logrotate moved the file).
    func reopen() throws
    func close()
    /// The last complete line already at the target, for continuing the hash chain after a restart.
    func lastLine() -> [UInt8]?
    /// True when a write can wait on something outside this process (a socket, syslog): such devices are written
    /// from their own queue so that a slow one never holds up a request that another device already recorded.
    var mayBlock: Bool { get }
}

/// Writes every byte of `bytes` to `fd`, retrying short writes and EINTR.
private func writeAll(_ fd: Int32, _ bytes: [UInt8], what: String) throws {
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { buf in
            #if canImport(Glibc) || canImport(Musl)
            Glibc.write(fd, buf.baseAddress! + offset, bytes.count - offset)
            #else
            Darwin.write(fd, buf.baseAddress! + offset, bytes.count - offset)
            #endif
        }
        if n < 0 {
            if errno == EINTR { continue }
            throw AuditSinkError.errno("write \(what)")
        }
        offset += n
    }
}

/// The `file` device: appends to a file (created with `mode`), or writes to standard output, or discards.
final class FileAuditSink: AuditSink {
    let path: String
    let mode: mode_t?
    private let fd = Mutex<Int32>(-1)
    /// Set once the device is disabled: a response still due is written by opening the file for that line only.
    private let retired = Atomic<Bool>(false)

    init(path: String, mode: mode_t?) throws {
        self.path = path
        self.mode = mode
        if path != "stdout" && path != "discard" { try fd.withLock { $0 = try Self.open(path, mode: mode) } }
    }

    private static func open(_ path: String, mode: mode_t?) throws -> Int32 {
        // As Vault does, the file's directory is created (0700) when missing.
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty, !FileManager.default.fileExists(atPath: dir) {
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw AuditSinkError("mkdir \(dir): \((error as NSError).localizedDescription.lowercased())")
            }
        }
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, mode ?? 0o600)
        if fd < 0 { throw AuditSinkError.errno("open \(path)") }
        if let mode, mode != 0, fchmod(fd, mode) != 0 {
            let code = errno
            Glibc.close(fd)
            throw AuditSinkError.errno("chmod \(path)", code)
        }
        return fd
    }

    var mayBlock: Bool { false }

    func write(_ line: [UInt8]) throws {
        switch path {
        case "discard": return
        case "stdout": try writeAll(1, line, what: "stdout")
        default:
            try fd.withLock { fd in
                if retired.load(ordering: .relaxed) {
                    let once = try Self.open(path, mode: mode)
                    defer { Glibc.close(once) }
                    try writeAll(once, line, what: path)
                    return
                }
                // A device that failed to open (at start, or after a reopen) tries again on each write.
                if fd < 0 { fd = try Self.open(path, mode: mode) }
                try writeAll(fd, line, what: path)
            }
        }
    }

    func reopen() throws {
        guard path != "stdout" && path != "discard" else { return }
        try fd.withLock { fd in
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
            fd = try Self.open(path, mode: mode)
        }
    }

    func close() {
        fd.withLock { fd in
            retired.store(true, ordering: .relaxed)
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }

    func lastLine() -> [UInt8]? {
        guard path != "stdout" && path != "discard" else { return nil }
        let rfd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard rfd >= 0 else { return nil }
        defer { Glibc.close(rfd) }
        let size = lseek(rfd, 0, SEEK_END)
        guard size > 0 else { return nil }
        // Lines are a few KiB; read back in growing windows until a whole last line is in view.
        var window = min(Int(size), 64 * 1024)
        while true {
            var buf = [UInt8](repeating: 0, count: window)
            let got = buf.withUnsafeMutableBytes { pread(rfd, $0.baseAddress!, window, off_t(Int(size) - window)) }
            guard got == window else { return nil }
            var end = buf.count
            while end > 0 && buf[end - 1] == UInt8(ascii: "\n") { end -= 1 }
            if let nl = buf[..<end].lastIndex(of: UInt8(ascii: "\n")) { return Array(buf[(nl + 1)..<end]) }
            if window == Int(size) { return end > 0 ? Array(buf[..<end]) : nil }
            window = min(Int(size), window * 4)
            if window > 64 * 1024 * 1024 { return nil }
        }
    }
}

/// The `socket` device: one line per write over TCP, UDP or a unix socket, reconnecting after an error.
final class SocketAuditSink: AuditSink {
    let address: String
    let socketType: String
    let writeTimeout: TimeInterval
    private let fd = Mutex<Int32>(-1)

    init(address: String, socketType: String, writeTimeout: TimeInterval) throws {
        guard ["tcp", "udp", "unix"].contains(socketType) else {
            throw AuditSinkError("unsupported socket_type \"\(socketType)\"; use tcp, udp or unix")
        }
        if socketType != "unix" {
            guard Self.splitHostPort(address) != nil else { throw AuditSinkError("address \"\(address)\" is not host:port") }
        }
        self.address = address
        self.socketType = socketType
        self.writeTimeout = writeTimeout
        // Connect now so that a wrong address is refused when the device is enabled.
        try fd.withLock { $0 = try connect() }
    }

    var mayBlock: Bool { true }

    static func splitHostPort(_ s: String) -> (String, UInt16)? {
        guard let colon = s.lastIndex(of: ":"), let port = UInt16(s[s.index(after: colon)...]) else { return nil }
        var host = String(s[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }

    private func connect() throws -> Int32 {
        let kind: Int32
        #if canImport(Glibc)
        kind = Int32(socketType == "udp" ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue)
        #else
        kind = socketType == "udp" ? SOCK_DGRAM : SOCK_STREAM
        #endif
        var sock: Int32 = -1
        if socketType == "unix" {
            sock = socket(AF_UNIX, kind, 0)
            guard sock >= 0 else { throw AuditSinkError.errno("socket") }
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(address.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
                Glibc.close(sock)
                throw AuditSinkError("unix socket path too long")
            }
            withUnsafeMutableBytes(of: &addr.sun_path) { p in for (i, b) in bytes.enumerated() { p[i] = b } }
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(sock, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            if rc != 0 {
                let code = errno
                Glibc.close(sock)
                throw AuditSinkError.errno("dial unix \(address)", code)
            }
        } else {
            guard let (host, port) = Self.splitHostPort(address) else { throw AuditSinkError("bad address") }
            var hints = addrinfo()
            hints.ai_socktype = kind
            var res: UnsafeMutablePointer<addrinfo>? = nil
            guard getaddrinfo(host, String(port), &hints, &res) == 0, let ai = res else {
                throw AuditSinkError("dial \(socketType) \(address): cannot resolve host")
            }
            defer { freeaddrinfo(res) }
            sock = socket(ai.pointee.ai_family, kind, 0)
            guard sock >= 0 else { throw AuditSinkError.errno("socket") }
            if Glibc.connect(sock, ai.pointee.ai_addr, ai.pointee.ai_addrlen) != 0 {
                let code = errno
                Glibc.close(sock)
                throw AuditSinkError.errno("dial \(socketType) \(address)", code)
            }
        }
        var tv = timeval(tv_sec: Int(writeTimeout), tv_usec: suseconds_t((writeTimeout - floor(writeTimeout)) * 1_000_000))
        setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        return sock
    }

    func write(_ line: [UInt8]) throws {
        try fd.withLock { fd in
            if fd < 0 { fd = try connect() }
            do {
                try sendAll(fd, line)
            } catch {
                // One reconnect: the collector may have restarted.
                Glibc.close(fd)
                fd = -1
                fd = try connect()
                try sendAll(fd, line)
            }
        }
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw AuditSinkError.errno("write \(socketType) \(address)")
            }
            offset += n
        }
    }

    func reopen() throws {
        try fd.withLock { fd in
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
            fd = try connect()
        }
    }

    func close() {
        fd.withLock { fd in
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }

    func lastLine() -> [UInt8]? { nil }
}

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
