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
///
/// Several writers may share one file (the nodes of a cluster, each writing the requests it serves, on one host or a
/// shared volume): each line is appended under an exclusive `flock` on the file, and a writer that finds the file
/// grown since its own last line continues the chain from the line found last, so the file stays one chain.
final class FileAuditSink: AuditSink {
    let path: String
    let mode: mode_t?
    /// The open file, and its size just after this sink's last line while that is known (nil after an open or a
    /// failed write): the next line finds another writer's lines only when the size differs.
    private struct Target {
        var fd: Int32 = -1
        var end: off_t? = nil
    }
    private let target = Mutex(Target())
    /// Set once the device is disabled: a response still due is written by opening the file for that line only.
    private let retired = Atomic<Bool>(false)

    init(path: String, mode: mode_t?) throws {
        self.path = path
        self.mode = mode
        if path != "stdout" && path != "discard" { try target.withLock { $0.fd = try Self.open(path, mode: mode) } }
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
        // Opened for reading too, to find another writer's last line; a file this process may only write to is
        // still written (its last line is then read through the path, see `readLastLine`).
        var fd = Glibc.open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, mode ?? 0o600)
        if fd < 0 && errno == EACCES { fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, mode ?? 0o600) }
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
        try appendChained { _ in line }
    }

    func appendChained(_ build: (_ resumeFrom: [UInt8]?) throws -> [UInt8]) throws {
        switch path {
        case "discard": _ = try build(nil)
        case "stdout": try writeAll(1, build(nil), what: "stdout")
        default:
            try target.withLock { t in
                if retired.load(ordering: .relaxed) {
                    let once = try Self.open(path, mode: mode)
                    defer { Glibc.close(once) }
                    _ = try append(once, end: nil, build)
                    return
                }
                // A device that failed to open (at start, or after a reopen) tries again on each write.
                if t.fd < 0 {
                    t.fd = try Self.open(path, mode: mode)
                    t.end = nil
                }
                // Unknown until this line is out: a failed write leaves the file's end in doubt.
                let end = t.end
                t.end = nil
                t.end = try append(t.fd, end: end, build)
            }
        }
    }

    /// Appends the line `build` makes under an exclusive lock on the file open at `fd`, handing `build` the file's
    /// last line when its size is not `end` (this sink's last known end). Returns the file's size after the line.
    private func append(_ fd: Int32, end: off_t?, _ build: (_ resumeFrom: [UInt8]?) throws -> [UInt8]) throws -> off_t {
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            throw AuditSinkError.errno("lock \(path)")
        }
        defer { while flock(fd, LOCK_UN) != 0 && errno == EINTR {} }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw AuditSinkError.errno("stat \(path)") }
        // The common case, one writer: the file ends where this sink's last line did, nothing to read.
        let last = st.st_size == end ? nil : readLastLine(fd, st)
        try writeAll(fd, build(last), what: path)
        // Measured rather than added up, so that it stays right when something appended without the lock.
        guard fstat(fd, &st) == 0 else { throw AuditSinkError.errno("stat \(path)") }
        return st.st_size
    }

    /// The last line of the (locked) file open at `fd`, whose status is `st`. A descriptor opened without read
    /// access reads through the path, provided the path still names the same file (not one rotated in since).
    private func readLastLine(_ fd: Int32, _ st: stat) -> [UInt8]? {
        guard st.st_size > 0 else { return nil }
        if fcntl(fd, F_GETFL) & O_ACCMODE == O_RDWR { return Self.lastLine(of: fd, size: Int(st.st_size)) }
        let rfd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard rfd >= 0 else { return nil }
        defer { Glibc.close(rfd) }
        var same = stat()
        guard fstat(rfd, &same) == 0, same.st_dev == st.st_dev, same.st_ino == st.st_ino else { return nil }
        return Self.lastLine(of: rfd, size: Int(st.st_size))
    }

    func reopen() throws {
        guard path != "stdout" && path != "discard" else { return }
        try target.withLock { t in
            if t.fd >= 0 { Glibc.close(t.fd) }
            t.fd = -1
            t.end = nil
            t.fd = try Self.open(path, mode: mode)
        }
    }

    func close() {
        target.withLock { t in
            retired.store(true, ordering: .relaxed)
            if t.fd >= 0 { Glibc.close(t.fd) }
            t.fd = -1
            t.end = nil
        }
    }

    func lastLine() -> [UInt8]? {
        guard path != "stdout" && path != "discard" else { return nil }
        let rfd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard rfd >= 0 else { return nil }
        defer { Glibc.close(rfd) }
        let size = lseek(rfd, 0, SEEK_END)
        guard size > 0 else { return nil }
        return Self.lastLine(of: rfd, size: Int(size))
    }

    /// The last complete line of the first `size` bytes of the file open (readable) at `fd`, without its newline.
    private static func lastLine(of fd: Int32, size: Int) -> [UInt8]? {
        guard size > 0 else { return nil }
        // Lines are a few KiB; read back in growing windows until a whole last line is in view.
        var window = min(size, 64 * 1024)
        while true {
            var buf = [UInt8](repeating: 0, count: window)
            let got = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, window, off_t(size - window)) }
            guard got == window else { return nil }
            var end = buf.count
            while end > 0 && buf[end - 1] == UInt8(ascii: "\n") { end -= 1 }
            if let nl = buf[..<end].lastIndex(of: UInt8(ascii: "\n")) { return Array(buf[(nl + 1)..<end]) }
            if window == size { return end > 0 ? Array(buf[..<end]) : nil }
            window = min(size, window * 4)
            if window > 64 * 1024 * 1024 { return nil }
        }
    }
}
