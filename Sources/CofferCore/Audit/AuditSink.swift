import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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
    /// Writes one line of the hash chain. `build` makes the line; it gets nil, or the last line already at the target
    /// (as written, with any prefix) when another writer may have appended since this sink's own last line, so that
    /// the chain continues from that line and the target stays one chain. A target that other processes can share
    /// (a file) serializes the whole call with them; the default builds from the caller's own state and writes.
    func appendChained(_ build: (_ resumeFrom: [UInt8]?) throws -> [UInt8]) throws
}

extension AuditSink {
    func appendChained(_ build: (_ resumeFrom: [UInt8]?) throws -> [UInt8]) throws { try write(build(nil)) }
}

/// Writes every byte of `bytes` to `fd`, retrying short writes and EINTR.
func writeAll(_ fd: Int32, _ bytes: [UInt8], what: String) throws {
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
