import CofferSDK
import Foundation
import Logging
import Synchronization

/// This node's part in its cluster. A single node is `active` whenever it is unsealed.
public enum HARole: String, Sendable {
    case sealed, standby, active
}

/// The active node as a standby last saw it in the lock.
public struct HALeader: Sendable, Hashable {
    public var nodeID: String
    public var apiAddress: String
    public var clusterAddress: String
    public var term: Int64
}

/// A standby the active node heard from (`sys/ha-status`).
public struct HAPeer: Sendable, Hashable {
    public var nodeID: String
    public var hostname: String
    public var apiAddress: String
    public var clusterAddress: String
    public var version: String
    public var lastEcho: Date

    public init(nodeID: String, hostname: String, apiAddress: String, clusterAddress: String, version: String, lastEcho: Date) {
        self.nodeID = nodeID
        self.hostname = hostname
        self.apiAddress = apiAddress
        self.clusterAddress = clusterAddress
        self.version = version
        self.lastEcho = lastEcho
    }
}

/// What the election loop and the request path share.
struct HAState: Sendable {
    var role: HARole = .sealed
    var lock: HALock?
    var activeSince: Date?
    var leader: HALeader?
    /// After a step-down, the node leaves the lock to the others until then.
    var pauseUntil: ContinuousClock.Instant?
    var election: Task<Void, Never>?
    /// Until when (this node's clock) the held lock is surely still this node's.
    var validUntil: ContinuousClock.Instant?
    /// Standbys heard from while active, by node id.
    var peers: [String: HAPeer] = [:]
}

extension Core {
    /// What a standby's writes fail with (they are forwarded to the active node before they get this far).
    static let standbyWriteMessage = "this node is a standby: writes go to the active node"

    /// True when this node runs in an HA cluster (`ha_enabled` on a shared storage backend).
    public var haEnabled: Bool { haBackend != nil }

    /// `active` when this node serves requests itself, `standby` when it forwards them, `sealed` otherwise.
    public var haRole: HARole {
        if barrier.isSealed { return .sealed }
        guard haBackend != nil else { return .active }
        return haState.withLock { $0.role }
    }

    /// Unsealed and serving requests itself: the only state in which background work (expiry, rotations) runs.
    public var isActive: Bool { haRole == .active }

    /// When this node became active (`sys/leader`'s `active_time`), nil on a standby.
    public var activeSince: Date? { haState.withLock { $0.activeSince } }

    /// The active node: this one when active, else the holder of the lock as last read.
    public var haLeader: HALeader? {
        haState.withLock { s in
            if s.role == .active, let cfg = configuration.ha {
                return HALeader(nodeID: cfg.nodeID, apiAddress: cfg.apiAddress, clusterAddress: cfg.clusterAddress, term: s.lock?.term ?? 0)
            }
            return s.role == .standby ? s.leader : nil
        }
    }

    /// The standbys heard from within the last 30 seconds.
    public var haPeers: [HAPeer] {
        let cutoff = now().addingTimeInterval(-30)
        return haState.withLock { Array($0.peers.values) }.filter { $0.lastEcho >= cutoff }.sorted { $0.nodeID < $1.nodeID }
    }

    /// A standby's periodic echo, received over the cluster listener.
    public func recordEcho(_ peer: HAPeer) {
        haState.withLock { s in
            guard s.role == .active else { return }
            s.peers[peer.nodeID] = peer
        }
    }

    /// The lock's advertisement: where this node can be reached.
    var haAdvertisement: String {
        guard let cfg = configuration.ha else { return "{}" }
        return JSONValue.object([
            "node_id": .string(cfg.nodeID), "api_addr": .string(cfg.apiAddress), "cluster_addr": .string(cfg.clusterAddress),
        ]).serialized()
    }

    static func leader(from holder: HALockHolder) -> HALeader? {
        guard holder.valid, let v = try? JSONValue.parse(Data(holder.value.utf8)) else { return nil }
        return HALeader(
            nodeID: v["node_id"]?.stringValue ?? holder.identity, apiAddress: v["api_addr"]?.stringValue ?? "",
            clusterAddress: v["cluster_addr"]?.stringValue ?? "", term: holder.term)
    }

    // MARK: Transitions

    /// After the barrier opened on an HA node (inside the state lock): a standby with its writes closed, then one
    /// attempt at the lock right away (so that a lone node, or the first one unsealed, is active when its unseal
    /// returns), then the election loop.
    func enterStandby() async {
        guard let backend = haBackend, let cfg = configuration.ha else { return }
        backend.setWriteFence(.closed(Self.standbyWriteMessage))
        haState.withLock { s in
            s.role = .standby
            s.lock = nil
            s.activeSince = nil
            s.election?.cancel()
            s.election = nil
        }
        logger.info("entering standby mode")
        let started = ContinuousClock.now
        if let acquired = await Self.withDeadline(started + cfg.lockTTL, { [haAdvertisement] in
            try await backend.acquireLock(identity: cfg.nodeID, value: haAdvertisement, ttl: cfg.lockTTL)
        }), let lock = acquired {
            if await !promoteLocked(lock, validUntil: started + cfg.lockTTL - Self.safetyMargin(cfg)) { try? await backend.releaseLock(lock) }
        } else {
            await refreshLeader(backend: backend, cfg: cfg)
        }
        haState.withLock { s in
            s.election = Task { [weak self] in await self?.electionLoop() }
        }
        scheduleStandbyReads()
    }

    /// Sets up the standby's read path in the background (it reads the mount tables and more from storage, which must
    /// not hold up an unseal or a demotion), unless it is set up or being set up.
    func scheduleStandbyReads() {
        guard standbyReadsEnabled else { return }
        let start = standbyReads.state.withLock { s -> Bool in
            guard !s.ready, !s.preparing else { return false }
            // After a failed attempt, the next one waits a little.
            if let last = s.lastAttempt, ContinuousClock.now - last < .seconds(5) { return false }
            s.preparing = true
            s.lastAttempt = ContinuousClock.now
            return true
        }
        guard start else { return }
        Task { [weak self] in
            guard let self else { return }
            await self.stateLock.withLock { await self.prepareStandbyReads() }
            self.standbyReads.state.withLock { $0.preparing = false }
        }
    }

    /// Before sealing an HA node (inside the state lock): the election stops and an active node gives the lock up
    /// after its last writes.
    func leaveHA() async {
        guard let backend = haBackend else { return }
        let (task, lock, wasActive) = haState.withLock { s -> (Task<Void, Never>?, HALock?, Bool) in
            defer {
                s.role = .sealed
                s.election = nil
                s.lock = nil
                s.activeSince = nil
                s.leader = nil
                s.peers = [:]
            }
            return (s.election, s.lock, s.role == .active)
        }
        task?.cancel()
        await stopStandbyReads()
        if wasActive { await saveAuditChains() }
        backend.setWriteFence(.closed("Vault is sealed"))
        if let lock { try? await backend.releaseLock(lock) }
    }

    /// `sys/step-down` on the active node: gives the lock up, becomes a standby and leaves the lock to the others for
    /// ``HAConfiguration/stepDownPause``. A single node has nothing to step down from.
    public func stepDown() async {
        guard let backend = haBackend, let cfg = configuration.ha else { return }
        await stateLock.withLock {
            guard haState.withLock({ $0.role }) == .active else { return }
            await saveAuditChains()
            let lock = await demote(reason: "stepping down on request")
            haState.withLock { $0.pauseUntil = ContinuousClock.now + cfg.stepDownPause }
            if let lock { try? await backend.releaseLock(lock) }
        }
    }

    /// Active → standby (inside the state lock): writes closed first, then everything the active node set up is torn
    /// down. Returns the lock it held.
    @discardableResult
    private func demote(reason: String) async -> HALock? {
        haBackend?.setWriteFence(.closed(Self.standbyWriteMessage))
        let lock = haState.withLock { s -> HALock? in
            defer {
                s.role = .standby
                s.lock = nil
                s.activeSince = nil
                s.leader = nil
                s.peers = [:]
            }
            return s.lock
        }
        await teardownActive()
        barrier.clearCache()
        metrics.haTransition(to: "standby")
        logger.warning("leaving active mode", metadata: ["coffer.reason": "\(reason)"])
        scheduleStandbyReads()
        return lock
    }

    /// Standby → active once the lock is held: the keyring is read again (the previous active node may have rotated
    /// it) and everything is loaded from storage, as after an unseal.
    private func promote(_ lock: HALock, validUntil: ContinuousClock.Instant) async -> Bool {
        await stateLock.withLock { await promoteLocked(lock, validUntil: validUntil) }
    }

    /// ``promote(_:validUntil:)`` inside the state lock.
    private func promoteLocked(_ lock: HALock, validUntil: ContinuousClock.Instant) async -> Bool {
        guard !barrier.isSealed, haState.withLock({ $0.role }) == .standby else { return false }
        await stopStandbyReads()
        haBackend?.setWriteFence(.held(lock))
        do {
            try await barrier.reloadKeyring()
            try await postUnseal()
            if let make = configuration.ha?.makeClusterIdentity, try await barrier.get(Self.clusterTLSPath) == nil {
                try await barrier.put(Self.clusterTLSPath, try make())
            }
        } catch {
            logger.error("could not become the active node", metadata: ["coffer.error": "\(error)"])
            haBackend?.setWriteFence(.closed(Self.standbyWriteMessage))
            await teardownActive()
            barrier.clearCache()
            scheduleStandbyReads()
            return false
        }
        haState.withLock { s in
            s.role = .active
            s.lock = lock
            s.validUntil = validUntil
            s.activeSince = now()
            s.leader = nil
            s.peers = [:]
            s.pauseUntil = nil
        }
        metrics.haTransition(to: "active")
        logger.info("acquired the HA lock: this node is now active", metadata: ["coffer.ha_term": "\(lock.term)"])
        return true
    }

    // MARK: Election

    private func electionLoop() async {
        guard let backend = haBackend, let cfg = configuration.ha else { return }
        let advertisement = haAdvertisement
        while !Task.isCancelled {
            let (role, pauseUntil) = haState.withLock { ($0.role, $0.pauseUntil) }
            switch role {
            case .sealed:
                return
            case .active:
                await holdLock(backend: backend, cfg: cfg)
            case .standby:
                scheduleStandbyReads()
                await keepStandbyReadsFresh()
                if pauseUntil.map({ ContinuousClock.now < $0 }) ?? false {
                    await refreshLeader(backend: backend, cfg: cfg)
                } else {
                    let started = ContinuousClock.now
                    let acquired = await Self.withDeadline(started + cfg.lockTTL) {
                        try await backend.acquireLock(identity: cfg.nodeID, value: advertisement, ttl: cfg.lockTTL)
                    }
                    if let got = acquired, let lock = got {
                        if await promote(lock, validUntil: started + cfg.lockTTL - Self.safetyMargin(cfg)) { continue }
                        try? await backend.releaseLock(lock)
                    }
                    await refreshLeader(backend: backend, cfg: cfg)
                }
                try? await Task.sleep(for: cfg.retryInterval)
            }
        }
    }

    /// How long before the lease runs out (by this node's clock, counted from before the renewal was sent) the active
    /// node stops serving: another node can take over only after the lease ran out by the database's clock.
    static func safetyMargin(_ cfg: HAConfiguration) -> Duration { min(cfg.lockTTL / 4, .seconds(2)) }

    /// Renews the lock until it is lost, cannot be renewed in time, or the node steps down or seals.
    private func holdLock(backend: any HABackend, cfg: HAConfiguration) async {
        var validUntil = haState.withLock { $0.validUntil } ?? ContinuousClock.now
        var lastPrune = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: cfg.renewInterval)
            if ContinuousClock.now - lastPrune > .seconds(60) {
                // The change feed keeps what standbys may still need; older entries go.
                lastPrune = ContinuousClock.now
                Task { [logger] in
                    do { try await backend.pruneChanges(olderThan: StandbyReads.retention) } catch {
                        logger.warning("could not prune the change feed", metadata: ["coffer.error": "\(error)"])
                    }
                }
            }
            guard let lock = haState.withLock({ $0.role == .active ? $0.lock : nil }) else { return }
            let sent = ContinuousClock.now
            let renewed = await Self.withDeadline(validUntil) { try await backend.renewLock(lock, ttl: cfg.lockTTL) }
            switch renewed {
            case .some(true):
                validUntil = sent + cfg.lockTTL - Self.safetyMargin(cfg)
                haState.withLock { if $0.lock == lock { $0.validUntil = validUntil } }
            case .some(false):
                await stateLock.withLock {
                    if haState.withLock({ $0.lock == lock }) { _ = await demote(reason: "the HA lock was lost") }
                }
                return
            case .none:
                if ContinuousClock.now >= validUntil {
                    await stateLock.withLock {
                        if haState.withLock({ $0.lock == lock }) {
                            _ = await demote(reason: "the HA lock could not be renewed before its lease ran out")
                        }
                    }
                    return
                }
                logger.warning("could not renew the HA lock; retrying")
            }
        }
    }

    private func refreshLeader(backend: any HABackend, cfg: HAConfiguration) async {
        let holder = await Self.withDeadline(ContinuousClock.now + cfg.lockTTL) { try await backend.lockHolder() }
        let leader = holder.flatMap { $0.flatMap(Self.leader(from:)) }.flatMap { $0.nodeID == cfg.nodeID ? nil : $0 }
        haState.withLock { s in
            if s.role == .standby { s.leader = leader }
        }
    }

    /// Runs `operation` in its own task and waits for it until `deadline`: nil when it failed or did not finish in time
    /// (a call stuck on a dead connection is left behind rather than waited for).
    static func withDeadline<T: Sendable>(
        _ deadline: ContinuousClock.Instant, _ operation: @escaping @Sendable () async throws -> T
    ) async -> T? {
        let race = DeadlineRace<T>()
        return await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
            race.set(continuation)
            let work = Task {
                let result = try? await operation()
                race.finish(result)
            }
            race.timer = Task {
                try? await Task.sleep(until: deadline, clock: .continuous)
                if race.finish(nil) { work.cancel() }
            }
        }
    }
}

extension Core {
    /// `sys/ha-status`: this node (when active) and the standbys it heard from in the last 30 seconds, with the data
    /// also at the top level as OpenBao answers.
    func haStatusResponse() -> CoreResponse {
        let host = ProcessInfo.processInfo.hostName
        var nodes: [JSONValue] = []
        if let cfg = configuration.ha {
            nodes.append(Self.haNode(hostname: host, api: cfg.apiAddress, cluster: cfg.clusterAddress, active: true, lastEcho: nil))
            for p in haPeers {
                nodes.append(Self.haNode(hostname: p.hostname, api: p.apiAddress, cluster: p.clusterAddress, active: false, lastEcho: p.lastEcho, version: p.version))
            }
        } else {
            nodes.append(Self.haNode(hostname: host, api: "", cluster: "", active: true, lastEcho: nil))
        }
        var r = CoreResponse(data: ["nodes": .array(nodes)])
        r.duplicateDataAtTopLevel = true
        return r
    }

    static func haNode(hostname: String, api: String, cluster: String, active: Bool, lastEcho: Date?, version: String = CofferVersion.apiVersion) -> JSONValue {
        [
            "hostname": .string(hostname), "api_address": .string(api), "cluster_address": .string(cluster), "active_node": .bool(active),
            "last_echo": lastEcho.map { .string(formatVaultTime($0)) } ?? .null, "version": .string(version),
        ]
    }
}

/// The continuation ``Core/withDeadline(_:_:)`` resumes once, with whichever of the work and the timer ends first.
private final class DeadlineRace<T: Sendable>: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<T?, Never>?, timer: Task<Void, Never>?)>((nil, nil))

    func set(_ continuation: CheckedContinuation<T?, Never>) { state.withLock { $0.continuation = continuation } }

    var timer: Task<Void, Never>? {
        get { state.withLock { $0.timer } }
        set { state.withLock { $0.timer = newValue } }
    }

    /// Resumes the waiter with `value` if nobody did yet; true when this call did.
    @discardableResult
    func finish(_ value: T?) -> Bool {
        let (c, timer) = state.withLock { s in
            defer { s.continuation = nil }
            return (s.continuation, s.timer)
        }
        guard let c else { return false }
        timer?.cancel()
        c.resume(returning: value)
        return true
    }
}

extension Core {
    static let clusterTLSPath = "core/cluster/tls"

    /// The cluster's TLS identity (what `make` returns: certificate and key), kept in the barrier so that only nodes
    /// that unsealed can read it. The active node creates it when missing; a standby gets nil until then. A standby
    /// that meets a newer keyring term (rotated on the active node) reads the keyring again.
    public func clusterIdentity(make: @Sendable () throws -> Data) async throws -> Data? {
        do {
            if let d = try await barrier.get(Self.clusterTLSPath) { return d }
        } catch BarrierError.unknownTerm(_) {
            try await barrier.reloadKeyring()
            if let d = try await barrier.get(Self.clusterTLSPath) { return d }
        }
        guard haRole == .active else { return nil }
        let d = try make()
        try await barrier.put(Self.clusterTLSPath, d)
        return d
    }
}
