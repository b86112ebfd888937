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

    package static func mac(key: SymmetricKey, previous: [UInt8], seq: UInt64, entry: some Collection<UInt8>) -> [UInt8] {
        var h = HMAC<SHA256>(key: key)
        h.update(data: previous)
        withUnsafeBytes(of: seq.bigEndian) { h.update(data: Array($0)) }
        h.update(data: Array(entry))
        return Array(h.finalize())
    }

    /// Appends the chain member to an entry's serialized object.
    package static func seal(entry: [UInt8], key: SymmetricKey, previous: [UInt8], seq: UInt64) -> (line: [UInt8], mac: [UInt8]) {
        let mac = mac(key: key, previous: previous, seq: seq, entry: entry)
        var line = entry
        line.removeLast()  // the object's closing brace
        line.append(contentsOf: Array(",\"chain\":{\"seq\":\(seq),\"hmac\":\"\(hexEncoded(mac))\"}}".utf8))
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
        /// What went wrong, for callers that act on it.
        public enum Kind: Sendable, Equatable {
            /// The line cannot be read as a chained audit line (no chain, not JSON, no prefix).
            case malformed
            /// The file does not start at a checkpoint: lines before it were removed.
            case start
            /// Sequence numbers are missing: lines were deleted.
            case missing
            /// Lines are all there but in another order.
            case reordered
            /// A sequence number appears twice.
            case repeated
            /// The line's HMAC does not match: it was changed (or the key is not the device's).
            case edited
            /// The file ends before the sequence number the device reports as its latest.
            case truncated
            /// The line with the device's latest sequence number is not the one the device wrote.
            case diverged
        }

        /// One-based line number of the first line that does not verify (for ``Kind/truncated``, the last line).
        public var line: Int
        public var kind: Kind
        public var reason: String
        /// How the line is named in ``description``: `line N`, or a file and line when several files are checked.
        public var location: String

        public init(line: Int, kind: Kind, reason: String, location: String? = nil) {
            self.line = line
            self.kind = kind
            self.reason = reason
            self.location = location ?? "line \(line)"
        }

        public var description: String { "\(location): \(reason)" }
    }

    public struct Summary: Equatable, Sendable {
        public var lines: Int
        public var firstSeq: UInt64
        public var lastSeq: UInt64
        public var checkpoints: Int
        /// The HMAC of the last line.
        public var lastHMAC: [UInt8] = []
    }

    /// What the device itself reports as its latest line (`seq` and `hmac` of `sys/audit-chain/:path`), against which
    /// the end of a file is checked: without it, lines cut off at the end cannot be told from a file that simply ends.
    public struct Reference: Equatable, Sendable {
        public var seq: UInt64
        public var hmac: [UInt8]?

        public init(seq: UInt64, hmac: [UInt8]?) {
            self.seq = seq
            self.hmac = hmac
        }
    }

    /// One line, split and parsed, before its chain is checked.
    private struct ParsedLine {
        var number: Int
        var seq: UInt64
        var entry: [UInt8]
        var mac: [UInt8]
        var isCheckpoint: Bool
        var statedPrevious: [UInt8]?
    }

    /// Verifies a file's lines. `prefix` is the device's `prefix` option, stripped from each line. The first line
    /// must be a checkpoint (the start of a chain, or of a reopened file); the lines of several files given in order
    /// verify as one chain.
    ///
    /// The first line that does not verify is reported: a deleted line as missing sequence numbers, moved lines as a
    /// reorder naming where the due line is (and whether the moved lines are intact), a repeated line, an edited line.
    /// With a `reference` (the device's latest sequence number and HMAC), a file that ends before it is reported as
    /// truncated; without one, truncation at the end cannot be seen.
    ///
    /// - Parameters:
    ///   - lines: the file's lines, without their newlines.
    ///   - key: the device's chain key.
    ///   - prefix: the device's `prefix` option.
    ///   - reference: the device's latest line, if known.
    ///   - name: how a line number is written in messages (`line 4` by default).
    public static func verify(
        lines: [[UInt8]], key: SymmetricKey, prefix: String = "", reference: Reference? = nil,
        name: (Int) -> String = { "line \($0)" }
    ) throws(Failure) -> Summary {
        func failure(_ line: Int, _ kind: Failure.Kind, _ reason: String) -> Failure {
            Failure(line: line, kind: kind, reason: reason, location: name(line))
        }
        // Parse every line first, so a broken sequence can be told apart: lines missing, or moved elsewhere.
        var parsed: [Result<ParsedLine, Failure>] = []
        let prefixBytes = Array(prefix.utf8)
        for (index, raw) in lines.enumerated() {
            let n = index + 1
            var line = raw
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            if line.isEmpty { continue }
            if !prefixBytes.isEmpty {
                guard line.starts(with: prefixBytes) else {
                    parsed.append(.failure(failure(n, .malformed, "line does not start with the device prefix")))
                    continue
                }
                line.removeFirst(prefixBytes.count)
            }
            guard let (entry, seq, mac) = split(line: line) else {
                parsed.append(.failure(failure(n, .malformed, "no hash chain on this line")))
                continue
            }
            // An entry holds request and response data (each up to JSONValue.maxDepth deep) a few levels down.
            guard let json = try? JSONValue.parse(entry, maxDepth: 2 * JSONValue.maxDepth) else {
                parsed.append(.failure(failure(n, .malformed, "line is not a JSON object")))
                continue
            }
            let isCheckpoint = json["type"]?.stringValue == "checkpoint"
            let stated = isCheckpoint ? unhex(json["previous_hmac"]?.stringValue ?? "") : nil
            parsed.append(.success(ParsedLine(number: n, seq: seq, entry: entry, mac: mac, isCheckpoint: isCheckpoint, statedPrevious: stated)))
        }
        // Where each sequence number occurs (positions in `parsed`).
        var positions: [UInt64: [Int]] = [:]
        for (k, item) in parsed.enumerated() {
            if case .success(let p) = item { positions[p.seq, default: []].append(k) }
        }

        var previous: [UInt8]? = nil
        var expected: UInt64 = 0
        var summary = Summary(lines: 0, firstSeq: 0, lastSeq: 0, checkpoints: 0)
        var lastLine = 0
        var seen: [UInt64: (line: Int, mac: [UInt8])] = [:]
        for (k, item) in parsed.enumerated() {
            let p: ParsedLine
            switch item {
            case .failure(let f): throw f
            case .success(let line): p = line
            }
            let n = p.number
            if previous == nil {
                guard p.isCheckpoint else {
                    throw failure(n, .start, "the file does not start with a checkpoint: lines before it were removed")
                }
                guard let prev = p.statedPrevious, prev.count == 32 else {
                    throw failure(n, .malformed, "checkpoint without a previous HMAC")
                }
                previous = prev
                expected = p.seq
                summary.firstSeq = p.seq
            }
            if p.seq > expected {
                if let m = positions[expected]?.first(where: { $0 > k }), case .success(let due) = parsed[m] {
                    let intact = Self.runVerifies(parsed[k...m], from: expected, previous: previous!, key: key)
                    let note = intact ? "; each of the lines verifies in sequence order, so only their order was changed" : ""
                    if p.seq == expected + UInt64(m - k) {
                        throw failure(
                            n, .reordered,
                            "lines out of order: \(name(n)) and \(name(due.number)) are swapped (\(name(n)) holds sequence \(p.seq), "
                                + "\(name(due.number)) holds sequence \(expected), which is due here)\(note)")
                    }
                    throw failure(
                        n, .reordered,
                        "lines out of order: this line holds sequence \(p.seq), but sequence \(expected), due here, is at \(name(due.number))\(note)")
                }
                let absent = (expected..<p.seq).filter { positions[$0] == nil }.count
                let later = p.seq - expected - UInt64(absent)
                let moved = later > 0 ? " (and \(later) more of the numbers in between appear later in the file, out of order)" : ""
                throw failure(n, .missing, "sequence \(p.seq) where \(expected) was due: \(absent) line(s) missing before this one\(moved)")
            }
            if p.seq < expected {
                if let earlier = seen[p.seq] {
                    if constantTimeEqual(earlier.mac, p.mac) {
                        throw failure(n, .repeated, "this line repeats \(name(earlier.line)) (sequence \(p.seq))")
                    }
                    throw failure(n, .repeated, "sequence \(p.seq) where \(expected) was due: the number was already used by \(name(earlier.line))")
                }
                throw failure(n, .reordered, "sequence \(p.seq) where \(expected) was due: the line belongs before the lines above it")
            }
            if p.isCheckpoint, let stated = p.statedPrevious, stated != previous! {
                throw failure(n, .edited, "checkpoint does not continue the chain before it")
            }
            let want = Self.mac(key: key, previous: previous!, seq: p.seq, entry: p.entry)
            guard constantTimeEqual(want, p.mac) else { throw failure(n, .edited, "HMAC does not match: the line was changed") }
            if let reference, reference.seq == p.seq, let h = reference.hmac, !constantTimeEqual(h, p.mac) {
                throw failure(
                    n, .diverged,
                    "this line holds sequence \(p.seq), but not the line the device wrote under that number (its HMAC differs from the device's)")
            }
            if p.isCheckpoint { summary.checkpoints += 1 }
            previous = p.mac
            expected = p.seq + 1
            seen[p.seq] = (n, p.mac)
            summary.lines += 1
            summary.lastSeq = p.seq
            summary.lastHMAC = p.mac
            lastLine = n
        }
        if summary.lines == 0 { throw failure(1, .malformed, "no audit lines in the file") }
        if let reference, summary.lastSeq < reference.seq {
            let count = reference.seq - summary.lastSeq
            throw failure(
                lastLine, .truncated,
                "the file ends here at sequence \(summary.lastSeq), but the device has written up to sequence \(reference.seq): "
                    + "\(count) line(s) missing at the end (cut off, or written to a later file after a rotation)")
        }
        return summary
    }

    /// Whether the lines of `run`, put in sequence order, are consecutive from `from` and each verifies.
    private static func runVerifies(
        _ run: ArraySlice<Result<ParsedLine, Failure>>, from: UInt64, previous: [UInt8], key: SymmetricKey
    ) -> Bool {
        var lines: [ParsedLine] = []
        for item in run {
            guard case .success(let p) = item else { return false }
            lines.append(p)
        }
        lines.sort { $0.seq < $1.seq }
        var prev = previous
        for (i, p) in lines.enumerated() {
            guard p.seq == from + UInt64(i) else { return false }
            let want = mac(key: key, previous: prev, seq: p.seq, entry: p.entry)
            guard constantTimeEqual(want, p.mac) else { return false }
            prev = p.mac
        }
        return true
    }

    package static func unhex(_ s: String) -> [UInt8]? {
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
