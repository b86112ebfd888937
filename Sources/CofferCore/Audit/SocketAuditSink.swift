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
