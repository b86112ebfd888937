import CofferSDK
import Crypto
import Foundation

/// The tamper-evident hash chain carried by every audit line.
///
/// A line is the entry's JSON object with one member appended at the end, `"chain":{"seq":N,"hmac":"…"}`, where
/// `hmac = HMAC-SHA256(chainKey, previousHMAC ‖ bigEndian64(N) ‖ entry)` and `entry` is the exact bytes of the
/// object without that member. The first line has an all-zero previous HMAC. A device writes a `checkpoint` entry
/// when its chain starts and whenever it opens its target anew (a restart, a reopen after logrotate): the
/// checkpoint names the previous HMAC inside the authenticated entry, so a rotated file verifies from its own
/// first line. Deleting, reordering or editing a line breaks the sequence or the HMAC of the line at that place.
public enum AuditChain {
    public static let zero = [UInt8](repeating: 0, count: 32)

    static func mac(key: SymmetricKey, previous: [UInt8], seq: UInt64, entry: some Collection<UInt8>) -> [UInt8] {
        var h = HMAC<SHA256>(key: key)
        h.update(data: previous)
        withUnsafeBytes(of: seq.bigEndian) { h.update(data: Array($0)) }
        h.update(data: Array(entry))
        return Array(h.finalize())
    }

    /// Appends the chain member to an entry's serialized object.
    static func seal(entry: [UInt8], key: SymmetricKey, previous: [UInt8], seq: UInt64) -> (line: [UInt8], mac: [UInt8]) {
        let mac = mac(key: key, previous: previous, seq: seq, entry: entry)
        var line = entry
        line.removeLast()  // the object's closing brace
        line.append(contentsOf: Array(",\"chain\":{\"seq\":\(seq),\"hmac\":\"\(hex(mac))\"}}".utf8))
        return (line, mac)
    }

    /// Splits a line into the authenticated entry bytes and its chain member, or nil when it has none.
    public static func split(line: [UInt8]) -> (entry: [UInt8], seq: UInt64, mac: [UInt8])? {
        let marker = Array(",\"chain\":{\"seq\":".utf8)
        guard line.count > marker.count + 10, line.last == UInt8(ascii: "}") else { return nil }
        // The chain member is the last one; search from the right.
        var i = line.count - marker.count
        while i >= 0 {
            if line[i] == marker[0], Array(line[i..<(i + marker.count)]) == marker { break }
            i -= 1
        }
        guard i > 0 else { return nil }
        let tail = String(decoding: line[(i + marker.count)...], as: UTF8.self)
        // tail: N,"hmac":"hex"}}
        guard let comma = tail.firstIndex(of: ","), let seq = UInt64(tail[..<comma]) else { return nil }
        let rest = tail[tail.index(after: comma)...]
        let prefix = "\"hmac\":\""
        guard rest.hasPrefix(prefix), rest.hasSuffix("\"}}") else { return nil }
        let hexText = rest.dropFirst(prefix.count).dropLast(3)
        guard let mac = unhex(String(hexText)), mac.count == 32 else { return nil }
        var entry = Array(line[..<i])
        entry.append(UInt8(ascii: "}"))
        return (entry, seq, mac)
    }

    public struct Failure: Error, CustomStringConvertible, Equatable {
        /// One-based line number of the first line that does not verify.
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    public struct Summary: Equatable, Sendable {
        public var lines: Int
        public var firstSeq: UInt64
        public var lastSeq: UInt64
        public var checkpoints: Int
    }

    /// Verifies a file's lines. `prefix` is the device's `prefix` option, stripped from each line. The first line
    /// must be a checkpoint (the start of a chain, or of a reopened file) unless `previous` and `nextSeq` continue a
    /// chain checked before.
    public static func verify(lines: [[UInt8]], key: SymmetricKey, prefix: String = "") throws(Failure) -> Summary {
        var previous: [UInt8]? = nil
        var expected: UInt64 = 0
        var summary = Summary(lines: 0, firstSeq: 0, lastSeq: 0, checkpoints: 0)
        let prefixBytes = Array(prefix.utf8)
        for (index, raw) in lines.enumerated() {
            let n = index + 1
            var line = raw
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            if line.isEmpty { continue }
            if !prefixBytes.isEmpty {
                guard line.starts(with: prefixBytes) else { throw Failure(line: n, reason: "line does not start with the device prefix") }
                line.removeFirst(prefixBytes.count)
            }
            guard let (entry, seq, mac) = split(line: line) else { throw Failure(line: n, reason: "no hash chain on this line") }
            // An entry holds request and response data (each up to JSONValue.maxDepth deep) a few levels down.
            guard let parsed = try? JSONValue.parse(entry, maxDepth: 2 * JSONValue.maxDepth) else {
                throw Failure(line: n, reason: "line is not a JSON object")
            }
            let isCheckpoint = parsed["type"]?.stringValue == "checkpoint"
            if previous == nil {
                guard isCheckpoint else {
                    throw Failure(line: n, reason: "the file does not start with a checkpoint: lines before it were removed")
                }
                guard let prev = unhex(parsed["previous_hmac"]?.stringValue ?? ""), prev.count == 32 else {
                    throw Failure(line: n, reason: "checkpoint without a previous HMAC")
                }
                previous = prev
                expected = seq
                summary.firstSeq = seq
            }
            if seq != expected {
                if seq > expected {
                    throw Failure(line: n, reason: "sequence \(seq) where \(expected) was due: \(seq - expected) line(s) missing before this one")
                }
                throw Failure(line: n, reason: "sequence \(seq) where \(expected) was due: line repeated or out of order")
            }
            if isCheckpoint, let stated = unhex(parsed["previous_hmac"]?.stringValue ?? ""), stated != previous! {
                throw Failure(line: n, reason: "checkpoint does not continue the chain before it")
            }
            let want = Self.mac(key: key, previous: previous!, seq: seq, entry: entry)
            guard constantTimeEqual(want, mac) else { throw Failure(line: n, reason: "HMAC does not match: the line was changed") }
            if isCheckpoint { summary.checkpoints += 1 }
            previous = mac
            expected = seq + 1
            summary.lines += 1
            summary.lastSeq = seq
        }
        if summary.lines == 0 { throw Failure(line: 1, reason: "no audit lines in the file") }
        return summary
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func unhex(_ s: String) -> [UInt8]? {
        let u = Array(s.utf8)
        guard u.count % 2 == 0 else { return nil }
        func v(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(u.count / 2)
        var i = 0
        while i < u.count {
            guard let hi = v(u[i]), let lo = v(u[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
