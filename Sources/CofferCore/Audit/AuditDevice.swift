import CofferSDK
import Crypto
import Dispatch
import Foundation
import Synchronization

/// One row of the audit table, kept inside the barrier at `core/audit`: the device's salt (the HMAC key of
/// audited values) and its chain key never leave it, but for `sys/audit-chain` (sudo).
struct AuditTableEntry: Sendable, Equatable {
    var path: String
    var type: String
    var description: String
    var options: [String: String]
    var local: Bool
    var salt: [UInt8]
    var chainKey: [UInt8]

    func storageJSON() -> JSONValue {
        [
            "path": .string(path), "type": .string(type), "description": .string(description),
            "options": .object(options.mapValues { .string($0) }), "local": .bool(local),
            "salt": .string(Data(salt).base64EncodedString()), "chain_key": .string(Data(chainKey).base64EncodedString()),
        ]
    }

    init(path: String, type: String, description: String, options: [String: String], local: Bool, salt: [UInt8], chainKey: [UInt8]) {
        self.path = path
        self.type = type
        self.description = description
        self.options = options
        self.local = local
        self.salt = salt
        self.chainKey = chainKey
    }

    init(storage v: JSONValue) throws {
        guard let path = v["path"]?.stringValue, let type = v["type"]?.stringValue,
            let salt = v["salt"]?.stringValue.flatMap({ Data(base64Encoded: $0) }),
            let key = v["chain_key"]?.stringValue.flatMap({ Data(base64Encoded: $0) })
        else { throw LogicalError.internalError("corrupt audit table entry") }
        self.path = path
        self.type = type
        description = v["description"]?.stringValue ?? ""
        options = (v["options"]?.objectValue ?? [:]).compactMapValues { $0.stringValue }
        local = v["local"]?.boolValue ?? false
        self.salt = Array(salt)
        chainKey = Array(key)
    }

    func apiJSON() -> JSONValue {
        [
            "type": .string(type), "description": .string(description), "options": .object(options.mapValues { .string($0) }),
            "local": .bool(local), "path": .string(path),
        ]
    }
}

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
    /// Lines are written in chain order; the lock also covers the write itself.
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
        "hmac-sha256:" + AuditChain.hex(HMAC<SHA256>.authenticationCode(for: Data(value.utf8), using: saltKey))
    }

    /// Writes a checkpoint line: the start of a chain, or of a target opened anew.
    func checkpoint(reason: String, now: Date) throws {
        try chain.withLock { state in
            let entry: JSONValue = [
                "type": "checkpoint", "time": .string(formatVaultTime(now)), "device": .string(self.entry.path),
                "reason": .string(reason), "previous_hmac": .string(AuditChain.hex(state.previous)),
            ]
            try append(Array(entry.serialized().utf8), state: &state)
        }
    }

    private func append(_ entryBytes: [UInt8], state: inout (seq: UInt64, previous: [UInt8])) throws {
        let seq = state.seq + 1
        let (line, mac) = AuditChain.seal(entry: entryBytes, key: chainKey, previous: state.previous, seq: seq)
        var out = prefix
        out.reserveCapacity(prefix.count + line.count + 1)
        out.append(contentsOf: line)
        out.append(UInt8(ascii: "\n"))
        try sink.write(out)
        // The chain advances only once the line is out.
        state.seq = seq
        state.previous = mac
    }

    /// Formats and writes one record now, on the caller's thread.
    func record(_ r: AuditRecord) throws {
        let bytes = Array(r.render(for: self).serialized().utf8)
        try chain.withLock { try append(bytes, state: &$0) }
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

/// What an audit line says about one request or response, before a device hashes it with its own salt.
struct AuditRecord: Sendable {
    /// The token store's paths that carry a token or an accessor as a path segment
    /// (`auth/token/revoke-orphan/<token>`): the audit log records that segment hashed like any token, so no
    /// credential reaches a log in the clear, whatever form of the request was used.
    static let tokenInPath: Set<Substring> = ["lookup", "renew", "revoke", "revoke-orphan", "renew-self", "revoke-self"]
    static let accessorInPath: Set<Substring> = ["lookup-accessor", "renew-accessor", "revoke-accessor", "accessors"]

    static func hashingCredentials(
        in path: String, token: (String) -> String, accessor: (String) -> String
    ) -> String {
        guard path.hasPrefix("auth/token/") else { return path }
        let rest = path.dropFirst("auth/token/".count)
        guard let slash = rest.firstIndex(of: "/") else { return path }
        let head = rest[..<slash]
        let value = String(rest[rest.index(after: slash)...])
        guard !value.isEmpty else { return path }
        if tokenInPath.contains(head) { return "auth/token/" + head + "/" + token(value) }
        if accessorInPath.contains(head) { return "auth/token/" + head + "/" + accessor(value) }
        return path
    }

    enum Kind: String, Sendable { case request, response }
    var kind: Kind
    var time: Date
    var request: CoreRequest
    var operation: CofferSDK.Operation
    var token: TokenEntry?
    var mount: (point: String, type: String, accessor: String)?
    var nonHMACRequestKeys: Set<String> = []
    var nonHMACResponseKeys: Set<String> = []
    var response: CoreResponse? = nil
    var error: String? = nil

    func render(for device: AuditDevice) -> JSONValue {
        let raw = device.logRaw
        func h(_ s: String) -> JSONValue { .string(raw ? s : device.hash(s)) }
        func hAccessor(_ s: String) -> JSONValue { .string(raw || !device.hmacAccessor ? s : device.hash(s)) }
        func tree(_ v: JSONValue, skip: Set<String>) -> JSONValue {
            if raw { return v }
            switch v {
            case .string(let s): return .string(device.hash(s))
            case .array(let a): return .array(a.map { tree($0, skip: []) })
            case .object(let o):
                var out: [String: JSONValue] = [:]
                for (k, x) in o { out[k] = skip.contains(k) ? x : tree(x, skip: []) }
                return .object(out)
            default: return v
            }
        }

        var auth: [String: JSONValue] = [:]
        if let t = token {
            if let client = request.token { auth["client_token"] = h(client) }
            auth["accessor"] = hAccessor(t.accessor)
            auth["display_name"] = .string(t.displayName)
            auth["policies"] = .array(t.policies.map { .string($0) })
            auth["token_policies"] = .array(t.policies.map { .string($0) })
            if let meta = t.meta, !meta.isEmpty { auth["metadata"] = .object(meta.mapValues { .string($0) }) }
            if !t.entityID.isEmpty { auth["entity_id"] = .string(t.entityID) }
            auth["token_type"] = .string(t.type.isEmpty ? "service" : t.type)
            auth["token_ttl"] = .int(t.creationTTL)
            auth["token_issue_time"] = .string(formatVaultTime(Date(timeIntervalSince1970: t.creationTime.timeIntervalSince1970.rounded(.down))))
            if t.numUses > 0 { auth["num_uses"] = .int(Int64(t.numUses)) }
        } else {
            auth["token_type"] = "default"
        }

        var req: [String: JSONValue] = [
            "id": .string(request.id), "operation": .string(operation.rawValue), "namespace": ["id": "root"],
            "path": .string(raw ? request.path : Self.hashingCredentials(in: request.path, token: { device.hash($0) },
                accessor: { device.hmacAccessor ? device.hash($0) : $0 })),
        ]
        if let m = mount {
            req["mount_point"] = .string(m.point)
            req["mount_type"] = .string(m.type)
            if !m.accessor.isEmpty { req["mount_accessor"] = .string(m.accessor) }
        }
        if let client = request.token, !client.isEmpty { req["client_token"] = h(client) }
        if let t = token { req["client_token_accessor"] = hAccessor(t.accessor) }
        if !request.data.isEmpty { req["data"] = tree(.object(request.data), skip: nonHMACRequestKeys) }
        if let ip = request.remoteAddress { req["remote_address"] = .string(ip) }
        if let w = request.wrapTTL, w > 0 { req["wrap_ttl"] = .int(w) }

        var out: [String: JSONValue] = [
            "type": .string(kind.rawValue), "time": .string(formatVaultTime(time)), "auth": .object(auth), "request": .object(req),
        ]
        if kind == .response {
            var resp: [String: JSONValue] = [:]
            if let m = mount {
                resp["mount_point"] = .string(m.point)
                resp["mount_type"] = .string(m.type)
                if !m.accessor.isEmpty { resp["mount_accessor"] = .string(m.accessor) }
            }
            if let r = response {
                if var data = r.data {
                    if device.elideListResponses, operation == .list, let keys = data["keys"]?.arrayValue {
                        data["keys"] = .int(Int64(keys.count))
                    }
                    resp["data"] = tree(.object(data), skip: nonHMACResponseKeys)
                }
                if let a = r.auth?.objectValue {
                    var ra = a
                    if let c = a["client_token"]?.stringValue { ra["client_token"] = h(c) }
                    if let c = a["accessor"]?.stringValue { ra["accessor"] = hAccessor(c) }
                    resp["auth"] = .object(ra)
                }
                if let w = r.wrapInfo?.objectValue {
                    var rw = w
                    if let c = w["token"]?.stringValue { rw["token"] = h(c) }
                    if let c = w["accessor"]?.stringValue { rw["accessor"] = hAccessor(c) }
                    resp["wrap_info"] = .object(rw)
                }
                if !r.warnings.isEmpty { resp["warnings"] = .array(r.warnings.map { .string($0) }) }
                if r.httpStatus != nil && r.httpStatus != 200 && r.httpStatus != 204 { resp["status"] = .int(Int64(r.httpStatus!)) }
            }
            if let e = error { resp["data"] = ["error": h(e)] }
            out["response"] = .object(resp)
        }
        if let e = error { out["error"] = .string(e) }
        return .object(out)
    }
}

/// The set of enabled devices. A request is allowed on only once at least one device recorded it (fail closed).
final class AuditBroker: Sendable {
    private let devices = Mutex<[AuditDevice]>([])
    /// Called once per device that failed to record a line: (device type, request or response).
    /// Called when a device fails to record (for the metrics). Held through a class: a closure kept directly in a
    /// `Mutex` gains two reabstraction thunks on every `withLock` access, so each audited request made the next
    /// call slower.
    private let onFailure = Mutex<FailureHook?>(nil)
    private final class FailureHook: Sendable {
        let run: @Sendable (String, AuditRecord.Kind) -> Void
        init(_ run: @escaping @Sendable (String, AuditRecord.Kind) -> Void) { self.run = run }
    }

    func setOnFailure(_ hook: @escaping @Sendable (String, AuditRecord.Kind) -> Void) {
        let boxed = FailureHook(hook)
        onFailure.withLock { $0 = boxed }
    }

    var isEnabled: Bool { devices.withLock { !$0.isEmpty } }
    var all: [AuditDevice] { devices.withLock { $0 } }

    func set(_ list: [AuditDevice]) {
        let old = devices.withLock { d -> [AuditDevice] in
            let old = d
            d = list
            return old
        }
        for o in old where !list.contains(where: { $0 === o }) { o.sink.close() }
    }

    func device(_ path: String) -> AuditDevice? { devices.withLock { $0.first { $0.entry.path == path } } }

    /// Records `r` on every device of `list` (the devices enabled when the request arrived, so that a request and
    /// its response go to the same devices). True when at least one wrote it, or when the list is empty.
    func log(_ r: AuditRecord, to list: [AuditDevice]) async -> Bool {
        if list.isEmpty { return true }
        let failure = onFailure.withLock { $0 }?.run
        // One local device: write inline, the fast path.
        if list.count == 1, !list[0].sink.mayBlock {
            do {
                try list[0].record(r)
                return true
            } catch {
                failure?(list[0].entry.type, r.kind)
                return false
            }
        }
        // Otherwise every device on its own queue; answer as soon as one has the line, or all failed.
        return await withCheckedContinuation { (cont: CheckedContinuation<Bool, Never>) in
            let state = Mutex((remaining: list.count, resumed: false))
            for d in list {
                d.enqueue(r) { ok in
                    if !ok { failure?(d.entry.type, r.kind) }
                    let answer = state.withLock { s -> Bool? in
                        s.remaining -= 1
                        if s.resumed { return nil }
                        if ok || s.remaining == 0 {
                            s.resumed = true
                            return ok
                        }
                        return nil
                    }
                    if let answer { cont.resume(returning: answer) }
                }
            }
        }
    }

    func reopenAll(now: Date) -> [String: String] {
        var errors: [String: String] = [:]
        for d in all {
            do { try d.reopen(now: now) } catch { errors[d.entry.path] = "\(error)" }
        }
        return errors
    }
}
