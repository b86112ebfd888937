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
