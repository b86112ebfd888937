import CofferSDK
import Foundation
import Logging
import Synchronization

/// Set, as a task-local, while a standby serves a request itself. Any write the request attempts (a token's use
/// count, a transit key created on first use, a lease) fails at the barrier before it reaches storage and marks the
/// scope: the request is then sent to the active node instead, as Vault's standbys forward a request that turned out
/// to write.
final class StandbyReadScope: Sendable {
    @TaskLocal static var current: StandbyReadScope?

    private let reason = Mutex<String?>(nil)

    /// True once the request tried to write (or needs the active node for another reason).
    var mustForward: Bool { reason.withLock { $0 != nil } }

    /// Why, for the debug log: the storage key it tried to write, or what else it needs.
    var forwardReason: String { reason.withLock { $0 ?? "" } }

    func markMustForward(_ why: String) { reason.withLock { if $0 == nil { $0 = why } } }

    static let message = "this request writes: it goes to the active node"

    /// Called by every barrier write: inside a standby's own request, marks it and fails.
    static func refuseWrite(_ key: @autoclosure () -> String) throws {
        guard let scope = current else { return }
        scope.markMustForward("writes " + key())
        throw LogicalError.internalError(message)
    }
}

/// A standby's read path: the position it reached in the change feed, and the gate that lets requests in only once
/// the caches reflect every write committed before they arrived.
///
/// A request waits for a **round** that began after it arrived: one query of the change feed (the keys committed
/// since the last round). When nothing changed, the round's requests go in at once. When something did, the round
/// waits for the requests already inside to finish, drops what the caches hold of those keys (reloading the mount
/// table, keyring or audit devices when they changed), and only then lets its requests in: a request never fills a
/// cache with a value read before an invalidation that it then outlives.
final class StandbyReads: Sendable {
    struct State {
        var ready = false
        /// Set while ``Core/scheduleStandbyReads()`` runs.
        var preparing = false
        var lastAttempt: ContinuousClock.Instant?
        var position = ChangeFeedPosition(0)
        var lastRound = ContinuousClock.now
        /// Grows at each setup and teardown: a round that straddles one admits nobody.
        var generation = 0
        var readers = 0
        var roundRunning = false
        var waiting: [CheckedContinuation<Bool, Never>] = []
        var drain: CheckedContinuation<Void, Never>?
    }
    let state = Mutex(State())

    /// After this long without a round the feed may have been pruned past the position: everything is dropped.
    static let staleAfter: Duration = .seconds(300)
    /// What the active node keeps of the feed.
    static let retention: Duration = .seconds(900)
    /// A round's query waits this long before its requests are forwarded instead.
    static let queryDeadline: Duration = .seconds(3)

    var isReady: Bool { state.withLock { $0.ready } }

    func leave() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.readers -= 1
            guard s.readers == 0, let d = s.drain else { return nil }
            s.drain = nil
            return d
        }
        waiter?.resume()
    }

    func waitForDrain() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let empty = state.withLock { s -> Bool in
                if s.readers == 0 { return true }
                s.drain = c
                return false
            }
            if empty { c.resume() }
        }
    }

    /// Stops serving: waiting requests are refused (forwarded), later rounds admit nobody.
    func close() {
        let refused = state.withLock { s -> [CheckedContinuation<Bool, Never>] in
            s.ready = false
            s.generation += 1
            defer { s.waiting = [] }
            return s.waiting
        }
        for c in refused { c.resume(returning: false) }
    }
}

extension Core {
    /// What a standby answers a request that reached its core without going through its read path.
    static let standbyRefusal = LogicalError(.status(503), "local node not active but active cluster node not found")

    /// Whether standbys of this cluster serve reads themselves (`disable_standby_reads` unset).
    var standbyReadsEnabled: Bool { haBackend != nil && (configuration.ha?.standbyReads ?? false) }

    /// True when this node is a standby ready to serve reads itself.
    public var servesStandbyReads: Bool { standbyReadsEnabled && haRole == .standby && standbyReads.isReady }

    /// Whether a standby tries a request itself rather than forwarding it: reads of KV secrets, transit's
    /// cryptographic operations on existing keys and key reads, and a token's look-up of itself. Anything else is
    /// forwarded, and so is any of these that turns out to write. This answer may come from a mount table older than
    /// the active node's: a path on a mount this node does not know yet is tried (``handleOnStandby(_:)`` decides
    /// again once its caches caught up).
    public func standbyMayServe(path: String, operation: CofferSDK.Operation) -> Bool {
        guard servesStandbyReads else { return false }
        return standbyEligible(path: path, operation: operation, unknownMount: true)
    }

    /// `unknownMount`: the answer for a path under no mount this node knows.
    func standbyEligible(path: String, operation: CofferSDK.Operation, unknownMount: Bool) -> Bool {
        if path == "auth/token/lookup-self" { return operation == .read }
        if path.hasPrefix("sys/") || path.hasPrefix("auth/") || path == "sys" || path == "auth" { return false }
        guard operation == .read || operation == .list || operation == .update else { return false }
        guard let m = router.withLock({ $0?.route(path) }) else { return unknownMount }
        if m.isAuth { return false }
        switch m.entry.type {
        case "kv", "generic":
            return operation == .read || operation == .list
        case "transit":
            if operation == .read || operation == .list { return true }
            let sub = path.dropFirst(m.routePath.count)
            let head = sub.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
            return Self.transitReadOperations.contains(head)
        default:
            return false
        }
    }

    static let transitReadOperations: Set<String> = ["encrypt", "decrypt", "rewrap", "sign", "verify", "hmac", "datakey", "hash", "random"]

    /// Serves a request on a standby once the caches caught up with every write committed before it arrived. Nil
    /// when the request must go to the active node instead (it tried to write, the change feed could not be read,
    /// or this node stopped being a read-serving standby); nothing it did is then visible.
    public func handleOnStandby(_ req: CoreRequest) async throws -> CoreResponse? {
        let resp: CoreResponse?
        do {
            resp = try await serveOnStandby(req)
        } catch {
            metrics.standbyRequest("served")
            throw error
        }
        metrics.standbyRequest(resp == nil ? "forwarded" : "served")
        return resp
    }

    private func serveOnStandby(_ req: CoreRequest) async throws -> CoreResponse? {
        guard await enterStandbyRead() else { return nil }
        defer { standbyReads.leave() }
        // Decided again now that the mount table is as recent as the request.
        guard haRole == .standby, standbyEligible(path: req.path, operation: req.operation, unknownMount: false) else { return nil }
        let scope = StandbyReadScope()
        do {
            let resp = try await StandbyReadScope.$current.withValue(scope) { try await handle(req) }
            if scope.mustForward {
                logger.debug("standby: forwarding a request", metadata: ["coffer.reason": "\(scope.forwardReason)"])
                return nil
            }
            return resp
        } catch {
            if scope.mustForward {
                logger.debug("standby: forwarding a request", metadata: ["coffer.reason": "\(scope.forwardReason)"])
                return nil
            }
            throw error
        }
    }

    /// An idle standby still follows the feed (a round every 30 s without requests), so that its first read after a
    /// quiet spell does not find the feed pruned past its position and reload everything.
    func keepStandbyReadsFresh() async {
        guard standbyReads.state.withLock({ $0.ready && ContinuousClock.now - $0.lastRound > .seconds(30) }) else { return }
        if await enterStandbyRead() { standbyReads.leave() }
    }

    /// Waits for a round of the change feed that began after this call. False: forward the request.
    private func enterStandbyRead() async -> Bool {
        let gate = standbyReads
        return await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            let (refuse, start) = gate.state.withLock { s -> (Bool, Bool) in
                guard s.ready else { return (true, false) }
                s.waiting.append(c)
                if s.roundRunning { return (false, false) }
                s.roundRunning = true
                return (false, true)
            }
            if refuse {
                c.resume(returning: false)
            } else if start {
                Task { await self.runStandbyRounds() }
            }
        }
    }

    /// Runs rounds while requests wait for one.
    private func runStandbyRounds() async {
        let gate = standbyReads
        guard let backend = haBackend else { return }
        while true {
            let taken = gate.state.withLock { s -> (batch: [CheckedContinuation<Bool, Never>], position: ChangeFeedPosition, generation: Int, stale: Bool)? in
                if s.waiting.isEmpty {
                    s.roundRunning = false
                    return nil
                }
                defer { s.waiting = [] }
                return (s.waiting, s.position, s.generation, ContinuousClock.now - s.lastRound > StandbyReads.staleAfter)
            }
            guard let taken else { return }
            var admitted = false
            let changes = await Self.withDeadline(ContinuousClock.now + StandbyReads.queryDeadline) {
                try await backend.changes(since: taken.position)
            }
            if let changes {
                if changes.keys.isEmpty, changes.complete, !taken.stale {
                    admitted = gate.state.withLock { s in
                        guard s.generation == taken.generation else { return false }
                        s.position = max(s.position, changes.next)
                        s.lastRound = ContinuousClock.now
                        s.readers += taken.batch.count
                        return true
                    }
                } else {
                    await gate.waitForDrain()
                    admitted = await applyStandbyChanges(changes, everything: taken.stale, generation: taken.generation)
                    if admitted {
                        admitted = gate.state.withLock { s in
                            guard s.generation == taken.generation else { return false }
                            s.readers += taken.batch.count
                            return true
                        }
                    }
                }
            } else {
                logger.warning("standby: the change feed could not be read; forwarding reads to the active node")
            }
            for c in taken.batch { c.resume(returning: admitted) }
        }
    }

    /// Drops what the caches hold of the changed keys (no request of this node runs meanwhile). False when this
    /// node stopped serving reads or the caches could not be brought up to date (then it stops serving reads until
    /// it sets them up again).
    private func applyStandbyChanges(_ changes: ChangeFeedBatch, everything: Bool, generation: Int) async -> Bool {
        await stateLock.withLock {
            guard haRole == .standby, standbyReads.state.withLock({ $0.generation == generation && $0.ready }) else { return false }
            do {
                if everything || !changes.complete {
                    logger.info("standby: reloading every cache (the change feed was incomplete or not read for a while)")
                    try await barrier.reloadKeyring()
                    try await loadStandbyState()
                } else {
                    try await invalidateStandby(changes.keys)
                }
            } catch {
                logger.error("standby: could not bring the caches up to date; forwarding reads", metadata: ["coffer.error": "\(error)"])
                standbyReads.close()
                await teardownActive()
                barrier.clearCache()
                return false
            }
            standbyReads.state.withLock { s in
                s.position = max(s.position, changes.next)
                s.lastRound = ContinuousClock.now
            }
            return true
        }
    }

    /// The invalidations for a set of changed keys.
    private func invalidateStandby(_ keys: [String]) async throws {
        var keyring = false
        var tables = false
        var auditTable = false
        var engineKeys: [String: [String]] = [:]
        for key in keys {
            if key == AESGCMBarrier.keyringPath {
                keyring = true
            } else if key == Self.mountTablePath || key == Self.authTablePath {
                tables = true
            } else if key == Self.auditTablePath {
                auditTable = true
            } else if key.hasPrefix("core/policy/") {
                policies.invalidateAll()
            } else if key.hasPrefix("core/password-policy/") {
                passwordPolicies.invalidateAll()
            } else if key.hasPrefix(TokenStore.idPrefix) {
                tokens.invalidate(hash: String(key.dropFirst(TokenStore.idPrefix.count)))
            } else if key.hasPrefix("logical/") || key.hasPrefix("auth/") {
                let rest = key.drop { $0 != "/" }.dropFirst()
                guard let slash = rest.firstIndex(of: "/") else { continue }
                engineKeys[String(rest[..<slash]), default: []].append(String(rest[rest.index(after: slash)...]))
            }
        }
        if keyring { try await barrier.reloadKeyring() }
        barrier.invalidate(keys)
        if tables {
            try await reloadStandbyRouter()
        } else if !engineKeys.isEmpty {
            let mounted = router.withLock { $0.map { Array($0.mounts.values) } ?? [] }
            for m in mounted {
                guard let changed = engineKeys[m.entry.uuid] else { continue }
                for k in changed { m.engine.invalidate(key: k) }
                // Identity group and entity changes can change any token's policies.
                if m.entry.type == "identity" { policies.invalidateAll() }
            }
        }
        if auditTable { try await loadAudit(save: false) }
    }

    /// The mount tables changed on the active node: every engine is made anew from them.
    private func reloadStandbyRouter() async throws {
        let old = router.withLock { $0.map { Array($0.mounts.values) } ?? [] }
        try await loadRouter()
        for m in old { await m.engine.shutdown() }
        policies.invalidateAll()
    }

    /// Everything a standby needs to serve reads, read from storage (nothing written): the token store's keys, the
    /// mount tables and their engines, the audit devices. Inside the state lock.
    private func loadStandbyState() async throws {
        try await tokens.setupForStandby()
        policies.invalidateAll()
        passwordPolicies.invalidateAll()
        try await reloadStandbyRouter()
        try await loadAudit(save: false)
    }

    /// Called (inside the state lock) when this node becomes a standby: starts serving reads once its caches are
    /// loaded, from a position in the change feed taken before they were.
    func prepareStandbyReads() async {
        guard standbyReadsEnabled, let backend = haBackend, haRole == .standby else {
            // Nothing tried: the next time this node is a standby it sets up at once.
            standbyReads.state.withLock { $0.lastAttempt = nil }
            return
        }
        do {
            guard let position = await Self.withDeadline(ContinuousClock.now + StandbyReads.queryDeadline, { try await backend.changeFeedPosition() })
            else { throw PhysicalError("the change feed could not be read") }
            barrier.clearCache()
            try await loadStandbyState()
            standbyReads.state.withLock { s in
                s.generation += 1
                s.position = position
                s.lastRound = ContinuousClock.now
                s.ready = true
                s.lastAttempt = nil
            }
            logger.info("standby: serving reads from storage")
        } catch {
            logger.warning("standby: not serving reads (forwarding everything)", metadata: ["coffer.error": "\(error)"])
            standbyReads.close()
            await teardownActive()
            barrier.clearCache()
        }
    }

    /// Called (inside the state lock) before this standby becomes active or seals.
    func stopStandbyReads() async {
        guard standbyReads.isReady else { return }
        standbyReads.close()
        await teardownActive()
        barrier.clearCache()
    }
}
