import CofferAuditChain
import CofferSDK
import Crypto
import Dispatch
import Foundation
import Synchronization

/// A live audit device: its sink, salt, options and hash-chain state.
final class AuditDevice: Sendable {
    let entry: AuditTableEntry
    let sink: any AuditSink
    let saltKey: SymmetricKey
    let chainKey: SymmetricKey
    let hmacAccessor: Bool
    let logRaw: Bool
    let prefix: [UInt8]
    let elideListResponses: Bool
    /// Lines are written in chain order; the lock also covers the write itself (and, for a file shared with other
    /// writers, the file's own lock, taken inside it).
    let chain: Mutex<(seq: UInt64, previous: [UInt8])>
    let queue: DispatchQueue
    let pending = Atomic<Int>(0)
    static let maxPending = 4096

    /// The caller writes the first checkpoint (`checkpoint(reason:now:)`).
    init(entry: AuditTableEntry, sink: any AuditSink, resume: (seq: UInt64, previous: [UInt8])?) {
        self.entry = entry
        self.sink = sink
        saltKey = SymmetricKey(data: entry.salt)
        chainKey = SymmetricKey(data: entry.chainKey)
        hmacAccessor = Self.flag(entry.options["hmac_accessor"], default: true)
        logRaw = Self.flag(entry.options["log_raw"], default: false)
        elideListResponses = Self.flag(entry.options["elide_list_responses"], default: false)
        prefix = Array((entry.options["prefix"] ?? "").utf8)
        chain = Mutex(resume ?? (0, AuditChain.zero))
        queue = DispatchQueue(label: "coffer.audit.\(entry.path)")
    }

    static func flag(_ s: String?, default d: Bool) -> Bool {
        guard let s else { return d }
        switch s.lowercased() {
        case "true", "1", "t", "yes": return true
        case "false", "0", "f", "no": return false
        default: return d
        }
    }

    /// `hmac-sha256:` and the hex HMAC of `value` under this device's salt, as `sys/audit-hash` returns it.
    func hash(_ value: String) -> String {
        "hmac-sha256:" + hexEncoded(HMAC<SHA256>.authenticationCode(for: Data(value.utf8), using: saltKey))
    }

    /// Writes a checkpoint line: the start of a chain, or of a target opened anew.
    func checkpoint(reason: String, now: Date) throws {
        let time = formatVaultTime(now)
        try chain.withLock { state in
            // Built once the previous HMAC is certain: another writer of a shared file may have moved the chain on.
            try append(state: &state) { previous in
                let entry: JSONValue = [
                    "type": "checkpoint", "time": .string(time), "device": .string(self.entry.path),
                    "reason": .string(reason), "previous_hmac": .string(hexEncoded(previous)),
                ]
                return Array(entry.serialized().utf8)
            }
        }
    }

    /// Seals the entry `entryBytes` makes (given the previous HMAC) as the chain's next line and writes it. When the
    /// sink reports that another writer appended to the target since this device's last line, the chain continues
    /// from that writer's last line instead of this device's own state, so a shared file stays one chain; a last
    /// line that is not a chained line (not an audit line) leaves the device's state as it is.
    private func append(
        state: inout (seq: UInt64, previous: [UInt8]), _ entryBytes: (_ previous: [UInt8]) throws -> [UInt8]
    ) throws {
        var written: (seq: UInt64, previous: [UInt8])? = nil
        try sink.appendChained { resumeFrom in
            var base = state
            if let last = resumeFrom, let resumed = resumePoint(last) { base = resumed }
            let (seq, overflow) = base.seq.addingReportingOverflow(1)
            if overflow { throw AuditSinkError("audit chain sequence exhausted") }
            let (line, mac) = AuditChain.seal(entry: try entryBytes(base.previous), key: chainKey, previous: base.previous, seq: seq)
            var out = prefix
            out.reserveCapacity(prefix.count + line.count + 1)
            out.append(contentsOf: line)
            out.append(UInt8(ascii: "\n"))
            written = (seq, mac)
            return out
        }
        // The chain advances only once the line is out.
        if let written { state = written }
    }

    /// The chain position (sequence number and HMAC) of a line found at the target, with the device's prefix
    /// stripped as `Core.stripPrefix` does; nil when it is not a chained line.
    private func resumePoint(_ line: [UInt8]) -> (seq: UInt64, previous: [UInt8])? {
        let bare = line.starts(with: prefix) ? Array(line.dropFirst(prefix.count)) : line
        guard let (_, seq, mac) = AuditChain.split(line: bare) else { return nil }
        return (seq, mac)
    }

    /// Formats and writes one record now, on the caller's thread.
    func record(_ r: AuditRecord) throws {
        let bytes = Array(r.render(for: self).serialized().utf8)
        try chain.withLock { try append(state: &$0) { _ in bytes } }
    }

    /// Formats and writes one record on the device's own queue; `done` gets whether it was written.
    func enqueue(_ r: AuditRecord, done: @escaping @Sendable (Bool) -> Void) {
        if pending.add(1, ordering: .relaxed).newValue > Self.maxPending {
            pending.subtract(1, ordering: .relaxed)
            done(false)
            return
        }
        queue.async {
            let ok = (try? self.record(r)) != nil
            self.pending.subtract(1, ordering: .relaxed)
            done(ok)
        }
    }

    func reopen(now: Date) throws {
        try sink.reopen()
        try checkpoint(reason: "reopen", now: now)
    }

    var chainState: (seq: UInt64, previous: [UInt8]) { chain.withLock { $0 } }

    /// Opens a device's sink from its options. Errors name what could not be opened.
    static func makeSink(type: String, options: [String: String]) throws -> any AuditSink {
        switch type {
        case "file":
            guard let path = options["file_path"] ?? options["path"], !path.isEmpty else {
                throw LogicalError.invalidRequest("file_path is required")
            }
            var mode: mode_t? = nil
            if let m = options["mode"] {
                guard let v = mode_t(m, radix: 8) else { throw LogicalError.invalidRequest("invalid mode \"\(m)\"") }
                mode = v
            }
            return try FileAuditSink(path: path, mode: mode)
        case "socket":
            let address = options["address"] ?? ""
            guard !address.isEmpty else { throw LogicalError.invalidRequest("address is required") }
            var timeout: Int64 = 2
            if let w = options["write_timeout"] {
                guard case .success(let v) = GoDuration.parseSeconds(w) else { throw LogicalError.invalidRequest("invalid write_timeout \"\(w)\"") }
                timeout = v
            }
            return try SocketAuditSink(address: address, socketType: options["socket_type"] ?? "tcp", writeTimeout: TimeInterval(max(timeout, 1)))
        case "syslog":
            return try SyslogAuditSink(facility: options["facility"] ?? "AUTH", tag: options["tag"] ?? "coffer")
        default:
            throw LogicalError.invalidRequest("unknown backend type: \"\(type)\"")
        }
    }
}
