import CofferSDK
import Foundation
import Logging
import Synchronization

/// Leases on engine secrets: registration when an engine hands one out, renewal and revocation through the engine,
/// expiry, retries with backoff and the irrevocable set (OpenBao's expiration manager).
extension Core {
    /// Attempts before a lease whose revocation keeps failing becomes irrevocable (as OpenBao).
    static let maxRevokeAttempts = 6
    /// The first retry waits this long; each further one twice as long, with a quarter of jitter either way.
    static let revokeRetryBase: TimeInterval = 10
    /// An irrevocable lease is still tried once a day; `revoke-force` drops it.
    static let irrevocableRetry: TimeInterval = 86_400
    /// Revocations run at once (engine calls; the deletions are grouped into transactions of `revokeDeleteBatch`).
    static let revokeConcurrency = 64
    static let revokeDeleteBatch = 256

    /// The text OpenBao gives a failed revocation.
    static func revokeFailureText(_ error: any Error) -> String {
        "failed to revoke entry: resp: (*logical.Response)(nil) err: " + errorText(error)
    }

    static func errorText(_ error: any Error) -> String {
        if let e = error as? LogicalError { return e.messages.joined(separator: "; ") }
        return String(describing: error)
    }

    /// Go's duration text without zero units (`100h`, `23h59m59s`), as OpenBao's TTL warnings print them.
    static func shortDuration(_ seconds: Int64) -> String {
        if seconds <= 0 { return "0s" }
        let h = seconds / 3600, m = (seconds % 3600) / 60, s = seconds % 60
        var out = ""
        if h > 0 { out += "\(h)h" }
        if m > 0 { out += "\(m)m" }
        if s > 0 { out += "\(s)s" }
        return out
    }

    // MARK: Registration

    /// Registers the lease of a secret an engine returned; answers the lease id and duration. When the lease cannot
    /// be stored the secret is revoked at its source and the request fails, so no secret outlives its lease.
    func registerLease(
        _ secret: SecretInfo, mount: MountedEngine, requestPath: String, token: TokenEntry?
    ) async throws -> (id: String, ttl: Int64) {
        let systemMax = configuration.maxLeaseTTL
        var maxTTL = mount.entry.maxLeaseTTL > 0 ? mount.entry.maxLeaseTTL : systemMax
        if let m = secret.maxTTL, m > 0, m < maxTTL { maxTTL = m }
        var ttl = secret.ttl ?? 0
        if ttl <= 0 { ttl = mount.entry.defaultLeaseTTL > 0 ? mount.entry.defaultLeaseTTL : configuration.defaultLeaseTTL }
        ttl = min(ttl, maxTTL)
        let issued = now()
        let id = requestPath + "/" + RandomID.base62(24)
        var tokenHash = token?.idHash ?? ""
        if let token, token.type == TokenType.batch.rawValue { tokenHash = token.parentHash ?? "" }
        if let token, token.isRoot == false, token.expireTime == nil, token.type == TokenType.batch.rawValue { tokenHash = "" }
        let entry = LeaseEntry(
            leaseID: id, path: requestPath, mountUUID: mount.entry.uuid, mountAccessor: mount.entry.accessor, tokenHash: tokenHash,
            issueTime: issued, expireTime: issued.addingTimeInterval(TimeInterval(ttl)), renewable: secret.renewable,
            maxExpire: issued.addingTimeInterval(TimeInterval(maxTTL)), internalData: secret.internalData)
        do {
            try await leases.register(entry)
        } catch {
            logger.error("storing a lease failed; revoking the secret", metadata: ["coffer.path": "\(requestPath)"])
            try? await revokeAtSource(entry)
            throw LogicalError.internalError("failed to register lease: \(Self.errorText(error))")
        }
        return (id, ttl)
    }

    // MARK: Engine calls

    /// The mounted engine that issued a lease (by mount uuid, so a remount does not lose it).
    func mountForLease(_ e: LeaseEntry) -> MountedEngine? {
        router.withLock { $0?.mounts.values.first { $0.entry.uuid == e.mountUUID } }
    }

    func secretRequest(_ e: LeaseEntry, mount m: MountedEngine, operation: Operation, increment: Int64?) -> LogicalRequest {
        var secret = SecretInfo(ttl: nil, renewable: e.renewable, leased: true, internalData: e.internalData)
        secret.leaseID = e.leaseID
        secret.issueTime = e.issueTime
        secret.lastRenewalTime = e.lastRenewal
        secret.increment = increment
        let sub = e.path.hasPrefix(m.routePath) ? String(e.path.dropFirst(m.routePath.count)) : e.path
        var req = LogicalRequest(
            operation: operation, path: sub, storage: m.storage, mountPoint: m.routePath, mountType: m.entry.type,
            mountAccessor: m.entry.accessor, mountOptions: m.entry.options ?? [:])
        req.secret = secret
        return req
    }

    /// Revokes a lease's secret at its source through the engine (not the lease entry).
    func revokeAtSource(_ e: LeaseEntry) async throws {
        guard let m = mountForLease(e) else {
            throw LogicalError.internalError("no secrets engine is mounted for the lease's mount")
        }
        _ = try await m.engine.handle(secretRequest(e, mount: m, operation: .revoke, increment: nil))
    }

    // MARK: Revocation

    /// Revokes leases now: each at its source, then the entries in grouped transactions. Returns the ids that
    /// failed with their error, in the order given; with `force` a failure is logged and the lease dropped anyway.
    @discardableResult
    func revokeLeases(_ ids: [String], force: Bool) async throws -> [(id: String, error: String)] {
        let claimed = leases.claim(ids)
        defer { leases.release(claimed) }
        var done = try await revokeInBatches(claimed)
        let batched = Set(done.map(\.leaseID))
        let single = batched.isEmpty ? claimed : claimed.filter { !batched.contains($0) }
        var failures: [String: String] = [:]
        await withTaskGroup(of: (String, LeaseEntry?, String?).self) { group in
            var iterator = single.makeIterator()
            func addNext() -> Bool {
                guard let id = iterator.next() else { return false }
                group.addTask {
                    do {
                        guard let e = try await self.leases.get(id) else { return (id, nil, nil) }
                        do {
                            try await self.revokeAtSource(e)
                        } catch {
                            if force {
                                self.logger.warning("force-revoking a lease whose revocation failed", metadata: ["coffer.lease_id": "\(id)"])
                                return (id, e, nil)
                            }
                            return (id, e, Self.revokeFailureText(error))
                        }
                        return (id, e, nil)
                    } catch {
                        return (id, nil, Self.revokeFailureText(error))
                    }
                }
                return true
            }
            for _ in 0..<Self.revokeConcurrency where addNext() {}
            while let (id, entry, failure) = await group.next() {
                if let failure { failures[id] = failure } else if let entry { done.append(entry) }
                _ = addNext()
            }
        }
        var start = 0
        while start < done.count {
            let end = min(start + Self.revokeDeleteBatch, done.count)
            try await leases.delete(Array(done[start..<end]))
            start = end
        }
        if !done.isEmpty { metrics.leasesRevoked(done.count) }
        return ids.compactMap { id in failures[id].map { (id, $0) } }
    }

    /// Leases revoked per engine call when the engine revokes in batches (the database engine: one transaction).
    static let revokeBatchSize = 100
    /// Batches in flight at once.
    static let revokeBatchConcurrency = 8

    /// Revokes leases through their engines' batch revocation, grouped by mount and secret type; answers the entries
    /// revoked. A batch the engine cannot take, or that fails, is left for the one-by-one path, which reports each
    /// failure as its own.
    func revokeInBatches(_ ids: [String]) async throws -> [LeaseEntry] {
        guard ids.count > 1 else { return [] }
        struct Group: Hashable { var mount: String; var type: String }
        var groups: [Group: [LeaseEntry]] = [:]
        var order: [Group] = []
        for id in ids {
            guard let e = try await leases.get(id) else { continue }
            let g = Group(mount: e.mountUUID, type: e.internalData[SecretTypeKey.name]?.stringValue ?? "")
            if groups[g] == nil { order.append(g) }
            groups[g, default: []].append(e)
        }
        var chunks: [(MountedEngine, [LeaseEntry])] = []
        for g in order {
            guard let entries = groups[g], entries.count > 1, let m = mountForLease(entries[0]) else { continue }
            var start = 0
            while start < entries.count {
                let end = min(start + Self.revokeBatchSize, entries.count)
                chunks.append((m, Array(entries[start..<end])))
                start = end
            }
        }
        guard !chunks.isEmpty else { return [] }
        var revoked: [LeaseEntry] = []
        await withTaskGroup(of: [LeaseEntry].self) { group in
            var iterator = chunks.makeIterator()
            func addNext() -> Bool {
                guard let (m, entries) = iterator.next() else { return false }
                group.addTask {
                    let requests = entries.map { self.secretRequest($0, mount: m, operation: .revoke, increment: nil) }
                    do {
                        return try await m.engine.revokeSecrets(requests) ? entries : []
                    } catch {
                        self.logger.debug("batch revocation failed; revoking one by one", metadata: ["coffer.mount_type": "\(m.entry.type)"])
                        return []
                    }
                }
                return true
            }
            for _ in 0..<Self.revokeBatchConcurrency where addNext() {}
            while let ok = await group.next() {
                revoked += ok
                _ = addNext()
            }
        }
        return revoked
    }

    /// The leases a prefix names: the one lease whose id it is, or every lease below it.
    func leaseIDs(prefix raw: String) async throws -> [String] {
        if !raw.hasSuffix("/"), try await leases.get(raw) != nil { return [raw] }
        let prefix = raw.isEmpty || raw.hasSuffix("/") ? raw : raw + "/"
        return try await leases.ids(under: prefix)
    }

    /// `sys/leases/revoke-prefix` (and `revoke-force` with `force`) over engine leases; OpenBao's error names the
    /// first lease that failed, its position and the count.
    func revokeLeasePrefix(_ prefix: String, force: Bool, sync: Bool) async throws {
        let ids = try await leaseIDs(prefix: prefix)
        guard !ids.isEmpty else { return }
        if !sync && !force {
            var entries: [LeaseEntry] = []
            for id in ids { if let e = try await leases.get(id) { entries.append(e) } }
            try await leases.expireNow(entries, now: now())
            return
        }
        let failures = try await revokeLeases(ids, force: force)
        if let first = failures.first, let position = ids.firstIndex(of: first.id) {
            throw LogicalError.invalidRequest("failed to revoke \(GoDuration.quote(first.id)) (\(position + 1) / \(ids.count)): \(first.error)")
        }
    }

    /// Revokes every expired lease whose attempt is due (the sweeper's tick); a failure is retried with backoff and,
    /// after ``maxRevokeAttempts``, kept as irrevocable. Returns how many were revoked.
    @discardableResult
    func revokeExpiredLeases() async throws -> Int {
        let clock = now()
        let due = leases.due(now: clock, limit: 10_000)
        guard !due.isEmpty else { return 0 }
        let failures = try await revokeLeases(due, force: false)
        for (id, error) in failures {
            guard var e = try await leases.get(id) else { continue }
            e.attempts += 1
            e.lastError = error
            if e.attempts >= Self.maxRevokeAttempts {
                e.revokeError = String(("out of retries: " + error).prefix(240))
                e.nextAttempt = clock.addingTimeInterval(Self.irrevocableRetry)
                logger.error("lease is irrevocable after repeated failures", metadata: ["coffer.lease_id": "\(id)"])
            } else {
                let delay = Self.revokeRetryBase * Double(1 << (e.attempts - 1)) * Double.random(in: 0.75...1.25)
                e.nextAttempt = clock.addingTimeInterval(delay)
                logger.warning("lease revocation failed; will retry", metadata: ["coffer.lease_id": "\(id)", "coffer.attempt": "\(e.attempts)"])
            }
            try await leases.update(e)
        }
        return due.count - failures.count
    }

    /// Revokes every lease of a mount before it is disabled; the first failure refuses the unmount, as OpenBao.
    func revokeMountLeases(routePath: String) async throws {
        let ids = try await leases.ids(under: routePath)
        guard !ids.isEmpty else { return }
        let failures = try await revokeLeases(ids, force: false)
        if let first = failures.first, let position = ids.firstIndex(of: first.id) {
            throw LogicalError.invalidRequest("failed to revoke \(GoDuration.quote(first.id)) (\(position + 1) / \(ids.count)): \(first.error)")
        }
    }

    // MARK: Renewal

    /// Renews an engine lease through its engine; the TTL is capped by the lease's max and a warning says so.
    func renewLease(_ id: String, increment: Int64, incrementText: String?) async throws -> CoreResponse {
        guard var e = try await leases.get(id) else { throw LogicalError.invalidRequest("lease not found") }
        let clock = now()
        if e.isIrrevocable { throw LogicalError.invalidRequest("lease is expired and has failed previous revocation attempts") }
        if !e.renewable { throw LogicalError.invalidRequest("lease is not renewable") }
        if e.expireTime <= clock { throw LogicalError.invalidRequest("lease expired") }
        guard let m = mountForLease(e) else { throw LogicalError.invalidRequest("lease not found") }
        let resp: LogicalResponse?
        do {
            resp = try await m.engine.handle(secretRequest(e, mount: m, operation: .renew, increment: increment))
        } catch let err as LogicalError where err.code == .unsupportedOperation {
            throw LogicalError.invalidRequest("lease is not renewable")
        }
        var ttl = resp?.secret?.ttl ?? 0
        if ttl <= 0 { ttl = increment > 0 ? increment : (m.entry.defaultLeaseTTL > 0 ? m.entry.defaultLeaseTTL : configuration.defaultLeaseTTL) }
        var warnings = resp?.warnings ?? []
        // Rounded to the nearest second, as OpenBao: a renewal a moment after issue may still reach the whole max TTL.
        let remaining = Int64(e.maxExpire.timeIntervalSince(clock).rounded())
        if ttl > remaining {
            warnings.append(
                "TTL of \"\(incrementText ?? Self.shortDuration(ttl))\" exceeded the effective max_ttl of \"\(Self.shortDuration(remaining))\"; TTL value is capped accordingly")
            ttl = max(0, remaining)
        }
        e.expireTime = clock.addingTimeInterval(TimeInterval(ttl))
        e.lastRenewal = clock
        if let r = resp?.secret { e.renewable = r.renewable }
        try await leases.update(e)
        return CoreResponse(warnings: warnings, leaseID: id, leaseDuration: ttl, renewable: e.renewable)
    }

    // MARK: Lookup

    func lookupLease(_ id: String) async throws -> CoreResponse? {
        guard let e = try await leases.get(id) else { return nil }
        let clock = now()
        let pending = e.expireTime <= clock
        var data: [String: JSONValue] = [
            "id": .string(e.leaseID), "issue_time": .string(formatVaultTime(e.issueTime)),
            "expire_time": .string(formatVaultTime(e.expireTime)),
            "last_renewal": e.lastRenewal.map { .string(formatVaultTime($0)) } ?? .null,
            "renewable": .bool(e.renewable && !pending && !e.isIrrevocable),
            "ttl": .int(Int64(e.expireTime.timeIntervalSince(clock).rounded())), "path": .string(e.path),
        ]
        if let r = e.revokeError { data["revoke_error"] = .string(r) }
        return CoreResponse(data: data)
    }
}
