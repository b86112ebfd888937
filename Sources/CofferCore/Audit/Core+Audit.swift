import CofferAuditChain
import CofferSDK
import Crypto
import Foundation
import Logging
import Synchronization

extension Core {
    static let auditTablePath = "core/audit"
    static let auditChainPrefix = "core/audit-chain/"

    static func normalizeAuditPath(_ p: String) -> String {
        var path = p
        while path.hasPrefix("/") { path.removeFirst() }
        if !path.hasSuffix("/") { path += "/" }
        return path
    }

    /// Fills in what the audit lines say about the request's token and mount.
    func noteAudit(_ ctx: inout AuditContext?, target: Target, token: TokenEntry?, operation: CofferSDK.Operation, snapshot: RouterSnapshot) {
        guard ctx != nil else { return }
        let auditing = !ctx!.devices.isEmpty
        ctx!.token = token
        ctx!.operation = operation
        switch target {
        case .system:
            let acc = auditing ? snapshot.mountTable.first { $0.type == "system" }?.accessor ?? "" : ""
            ctx!.mount = ("sys/", "system", acc)
        case .token:
            let acc = auditing ? snapshot.authTable.first { $0.type == "token" }?.accessor ?? "" : ""
            ctx!.mount = ("auth/token/", "token", acc)
        case .engine(let m, _):
            ctx!.mount = (m.routePath, m.entry.type, m.entry.accessor)
            guard auditing else { return }
            func keys(_ name: String) -> Set<String> {
                Set((m.entry.extraConfig[name]?.arrayValue ?? []).compactMap { $0.stringValue })
            }
            ctx!.nonHMACRequestKeys = keys("audit_non_hmac_request_keys")
            ctx!.nonHMACResponseKeys = keys("audit_non_hmac_response_keys")
        }
    }

    /// Records the request before anything is done for it; refuses the request when no device could (fail closed).
    func auditRequest(_ ctx: inout AuditContext?) async throws {
        guard let c = ctx, !c.devices.isEmpty else { return }
        if await audit.log(c.record(.request, time: now()), to: c.devices) {
            ctx!.requestLogged = true
            return
        }
        ctx!.requestLogFailed = true
        logger.error("audit: no device recorded the request; refusing it", metadata: ["coffer.request_id": "\(c.request.id)"])
        throw LogicalError.internalError("internal error")
    }

    /// Records a request that ended in an error: its request line if that was not written yet, then the response.
    func auditFailure(_ ctx: AuditContext, error: any Error) async {
        guard !ctx.requestLogFailed else { return }
        // A standby's request that goes to the active node before anything was recorded: the active node audits it.
        if !ctx.requestLogged, StandbyReadScope.current?.mustForward == true { return }
        let text: String
        if let e = error as? LogicalError {
            text = e.messages.count == 1 ? e.messages[0] : e.messages.joined(separator: "; ")
        } else {
            text = "internal error"
        }
        if !ctx.requestLogged { _ = await audit.log(ctx.record(.request, time: now(), error: text), to: ctx.devices) }
        let wrapped = text.hasPrefix("1 error occurred") ? text : Self.multiError(text)
        _ = await audit.log(ctx.record(.response, time: now(), error: wrapped), to: ctx.devices)
    }

    // MARK: Table

    /// `save`: false on a standby, which uses the table as stored (the active node saves what the configuration
    /// adds).
    func loadAudit(save: Bool = true) async throws {
        let stored = try await barrier.getJSON(Self.auditTablePath)?.arrayValue?.map { try AuditTableEntry(storage: $0) } ?? []
        var table = stored
        // Devices declared in the configuration are added on first unseal and follow the file's options after.
        for c in configuration.auditDevices {
            let path = Self.normalizeAuditPath(c.path)
            if let i = table.firstIndex(where: { $0.path == path }) {
                table[i].type = c.type
                table[i].options = c.options
                table[i].description = c.description
                table[i].local = c.local
            } else {
                table.append(
                    AuditTableEntry(
                        path: path, type: c.type, description: c.description, options: c.options, local: c.local,
                        salt: Self.randomBytes(32), chainKey: Self.randomBytes(32)))
            }
        }
        if save, table != stored { try await saveAuditTable(table) }
        var devices: [AuditDevice] = []
        for e in table { devices.append(await openDevice(e)) }
        audit.set(devices)
    }

    /// Opens a device from its table row at unseal. A device whose target cannot be opened is kept, failing each
    /// write until its target works again, so that requests fail closed rather than go unaudited.
    private func openDevice(_ e: AuditTableEntry) async -> AuditDevice {
        let sink: any AuditSink
        do {
            sink = try AuditDevice.makeSink(type: e.type, options: e.options)
        } catch {
            logger.error("audit device could not be opened", metadata: ["coffer.audit_path": "\(e.path)", "coffer.error": "\(error)"])
            sink = RetryingAuditSink(type: e.type, options: e.options)
        }
        var resume: (seq: UInt64, previous: [UInt8])? = nil
        if let last = sink.lastLine(), let (_, seq, mac) = AuditChain.split(line: Self.stripPrefix(last, e.options["prefix"])) {
            resume = (seq, mac)
        } else if let s = try? await barrier.getJSON(Self.auditChainPrefix + e.path), let seq = s["seq"]?.intValue,
            let mac = AuditChain.unhex(s["hmac"]?.stringValue ?? ""), mac.count == 32
        {
            resume = (UInt64(seq), mac)
        }
        let device = AuditDevice(entry: e, sink: sink, resume: resume)
        do {
            try device.checkpoint(reason: resume == nil ? "start" : "open", now: now())
        } catch {
            logger.error("audit device could not write its checkpoint", metadata: ["coffer.audit_path": "\(e.path)", "coffer.error": "\(error)"])
        }
        return device
    }

    static func stripPrefix(_ line: [UInt8], _ prefix: String?) -> [UInt8] {
        guard let p = prefix, !p.isEmpty, line.starts(with: Array(p.utf8)) else { return line }
        return Array(line.dropFirst(p.utf8.count))
    }

    static func randomBytes(_ n: Int) -> [UInt8] { SymmetricKey(size: SymmetricKeySize(bitCount: n * 8)).withUnsafeBytes { Array($0) } }

    func saveAuditTable(_ table: [AuditTableEntry]) async throws {
        try await barrier.put(Self.auditTablePath, JSONValue.array(table.map { $0.storageJSON() }).serializedData())
    }

    /// Keeps each device's chain position inside the barrier, so that a device whose target cannot tell (a socket)
    /// continues its chain after a restart.
    func saveAuditChains() async {
        for d in audit.all {
            let s = d.chainState
            try? await barrier.putJSON(Self.auditChainPrefix + d.entry.path, ["seq": .int(Int64(s.seq)), "hmac": .string(hexEncoded(s.previous))])
        }
    }

    /// Reopens every device's target (SIGHUP). Returns the devices that failed, by path.
    public func reopenAuditDevices() -> [String: String] { audit.reopenAll(now: now()) }

    // MARK: sys/audit, sys/audit-hash, sys/audit-chain

    /// `sys/audit`, `sys/audit/<path>`, `sys/audit-hash/<path>` and `sys/audit-chain/<path>` (routed by ``SystemBackend``).
    func handleAuditSystem(_ head: String, path rest: String, operation op: CofferSDK.Operation, data d: [String: JSONValue]) async throws -> CoreResponse {
        let unsupported = { LogicalError.noOperation }
        switch head {
        case "audit":
            if rest.isEmpty {
                guard op == .read else { throw unsupported() }
                var out: [String: JSONValue] = [:]
                for dev in audit.all { out[dev.entry.path] = dev.entry.apiJSON() }
                return CoreResponse(data: out, duplicateDataAtTopLevel: true)
            }
            let path = Self.normalizeAuditPath(rest)
            switch op {
            case .create, .update:
                try await enableAudit(path: path, data: d)
                return CoreResponse()
            case .delete:
                try await disableAudit(path: path)
                return CoreResponse()
            default:
                throw unsupported()
            }
        case "audit-hash":
            guard op == .update || op == .create else { throw unsupported() }
            let path = Self.normalizeAuditPath(rest)
            guard let dev = audit.device(path) else { throw LogicalError.invalidRequest("unknown audit backend \"\(path)\"") }
            let input = d["input"]?.stringValue ?? ""
            return CoreResponse(data: ["hash": .string(dev.hash(input))], duplicateDataAtTopLevel: true)
        case "audit-chain":
            guard op == .read else { throw unsupported() }
            let path = Self.normalizeAuditPath(rest)
            guard let dev = audit.device(path) else { throw LogicalError.invalidRequest("unknown audit backend \"\(path)\"") }
            let s = dev.chainState
            return CoreResponse(data: [
                "chain_key": .string(Data(dev.entry.chainKey).base64EncodedString()), "seq": .int(Int64(s.seq)),
                "hmac": .string(hexEncoded(s.previous)), "prefix": .string(dev.entry.options["prefix"] ?? ""),
            ])
        default:
            throw LogicalError.noRoute
        }
    }

    func enableAudit(path: String, data d: [String: JSONValue]) async throws {
        let type = d["type"]?.stringValue ?? ""
        guard !type.isEmpty else { throw LogicalError.invalidRequest("type is required") }
        var options: [String: String] = [:]
        for (k, v) in d["options"]?.objectValue ?? [:] {
            switch v {
            case .string(let s): options[k] = s
            case .bool(let b): options[k] = b ? "true" : "false"
            case .int(let i): options[k] = String(i)
            default: throw LogicalError.invalidRequest("option \"\(k)\" must be a string")
            }
        }
        if let f = options["format"], f != "json" {
            throw LogicalError.invalidRequest("format \"\(f)\" is not supported: use json")
        }
        try await auditLock.withLock {
            if audit.device(path) != nil { throw LogicalError.invalidRequest("path already in use") }
            let sink: any AuditSink
            do {
                sink = try AuditDevice.makeSink(type: type, options: options)
            } catch let e as LogicalError {
                throw e
            } catch {
                throw LogicalError.invalidRequest("failed to enable audit device \"\(path)\": \(error)")
            }
            let entry = AuditTableEntry(
                path: path, type: type, description: d["description"]?.stringValue ?? "", options: options,
                local: d["local"]?.boolValue ?? false, salt: Self.randomBytes(32), chainKey: Self.randomBytes(32))
            // A file that already holds lines (of an earlier device) gets a new chain that starts at a checkpoint; on a
            // file whose last line is chained, the checkpoint continues that line's sequence, as every writer of a
            // shared file does.
            let device = AuditDevice(entry: entry, sink: sink, resume: nil)
            do {
                try device.checkpoint(reason: "start", now: now())
            } catch {
                sink.close()
                throw LogicalError.invalidRequest("failed to enable audit device \"\(path)\": \(error)")
            }
            var table = audit.all.map(\.entry)
            table.append(entry)
            do {
                try await saveAuditTable(table)
            } catch {
                sink.close()
                throw error
            }
            audit.set(audit.all + [device])
            logger.info("audit device enabled", metadata: ["coffer.audit_path": "\(path)", "coffer.audit_type": "\(type)"])
        }
    }

    func disableAudit(path: String) async throws {
        try await auditLock.withLock {
            guard audit.device(path) != nil else { return }
            let remaining = audit.all.filter { $0.entry.path != path }
            try await saveAuditTable(remaining.map(\.entry))
            try? await barrier.delete(Self.auditChainPrefix + path)
            audit.set(remaining)
            logger.info("audit device disabled", metadata: ["coffer.audit_path": "\(path)"])
        }
    }
}
