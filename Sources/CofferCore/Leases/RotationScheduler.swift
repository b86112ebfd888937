import CofferSDK
import Foundation
import Logging
import Synchronization

/// The core's one schedule of credential rotations (database static roles), for every mount.
///
/// Engines tell it when a job runs next through their mount's ``MountRotations`` handle; the server's sweeper calls
/// ``Core/runDueRotations()`` every second. The schedule itself is memory only: the engines keep the truth in their
/// storage (last and next rotation of each role), and give it back after an unseal or a restart
/// (``RotatingEngine/scheduledRotations(storage:)``), so a rotation due while the server was down runs once, at
/// start, never skipped and never twice.
final class RotationScheduler: Sendable {
    struct Key: Hashable, Sendable {
        var mountUUID: String
        var id: String
    }
    struct Job: Sendable {
        var due: Date
        /// Failed runs in a row (the next try backs off).
        var failures: Int = 0
    }

    private let jobs = Mutex<[Key: Job]>([:])
    private let running = Mutex<Set<Key>>([])

    func schedule(_ key: Key, at due: Date) {
        jobs.withLock { $0[key] = Job(due: due) }
    }

    func cancel(_ key: Key) {
        _ = jobs.withLock { $0.removeValue(forKey: key) }
    }

    func cancelMount(_ uuid: String) {
        jobs.withLock { j in j = j.filter { $0.key.mountUUID != uuid } }
    }

    func next(_ key: Key) -> Date? { jobs.withLock { $0[key]?.due } }

    func clear() {
        jobs.withLock { $0.removeAll() }
    }

    /// Jobs due now that are not already running; marks them running.
    func claimDue(now: Date) -> [Key] {
        let due = jobs.withLock { j in j.filter { $0.value.due <= now }.map(\.key) }
        return running.withLock { r in due.filter { r.insert($0).inserted } }
    }

    func finished(_ key: Key) {
        _ = running.withLock { $0.remove(key) }
    }

    /// After a failed run: tries again after 10 s, doubling up to an hour. Answers the failure count.
    func failed(_ key: Key, now: Date) -> Int {
        jobs.withLock { j -> Int in
            guard var job = j[key] else { return 0 }
            job.failures += 1
            job.due = now.addingTimeInterval(min(3600, 10 * Double(1 << min(job.failures - 1, 12))))
            j[key] = job
            return job.failures
        }
    }

    var count: Int { jobs.withLock { $0.count } }
}

/// One mount's view of the schedule, given to its engine in ``EngineConfiguration/rotations``.
struct MountRotations: RotationScheduling {
    let scheduler: RotationScheduler
    let mountUUID: String

    func schedule(_ id: String, at due: Date) { scheduler.schedule(.init(mountUUID: mountUUID, id: id), at: due) }
    func cancel(_ id: String) { scheduler.cancel(.init(mountUUID: mountUUID, id: id)) }
    func nextRun(_ id: String) -> Date? { scheduler.next(.init(mountUUID: mountUUID, id: id)) }
}

extension Core {
    /// Runs every due rotation (the sweeper's tick): through the mount's engine, counted in
    /// `coffer_rotations_total{result}`, audited, and retried with backoff when it fails.
    @discardableResult
    public func runDueRotations() async -> Int {
        guard let snapshot = router.withLock({ $0 }) else { return 0 }
        let due = rotations.claimDue(now: now())
        guard !due.isEmpty else { return 0 }
        var ran = 0
        await withTaskGroup(of: Bool.self) { group in
            for key in due {
                group.addTask {
                    defer { self.rotations.finished(key) }
                    guard let m = snapshot.mounts.values.first(where: { $0.entry.uuid == key.mountUUID }),
                        let engine = m.engine as? any RotatingEngine
                    else {
                        self.rotations.cancel(key)
                        return false
                    }
                    do {
                        let next = try await engine.rotate(job: key.id, storage: m.storage)
                        // The engine may have moved the job itself; else take its answer.
                        if let next { self.rotations.schedule(key, at: next) } else { self.rotations.cancel(key) }
                        self.metrics.rotation(succeeded: true)
                        await self.auditRotation(mount: m, job: key.id, error: nil)
                        return true
                    } catch {
                        let failures = self.rotations.failed(key, now: self.now())
                        self.metrics.rotation(succeeded: false)
                        self.logger.warning(
                            "scheduled rotation failed; will retry",
                            metadata: ["coffer.mount_type": "\(m.entry.type)", "coffer.attempt": "\(failures)"])
                        await self.auditRotation(mount: m, job: key.id, error: Self.errorText(error))
                        return false
                    }
                }
            }
            for await ok in group where ok { ran += 1 }
        }
        return ran
    }

    /// After unseal: every rotating engine's jobs, from its storage.
    func loadRotations() async {
        rotations.clear()
        guard let snapshot = router.withLock({ $0 }) else { return }
        for m in snapshot.mounts.values {
            await loadRotations(of: m)
        }
    }

    func loadRotations(of m: MountedEngine) async {
        guard let engine = m.engine as? any RotatingEngine else { return }
        do {
            for job in try await engine.scheduledRotations(storage: m.storage) {
                rotations.schedule(.init(mountUUID: m.entry.uuid, id: job.id), at: job.due)
            }
        } catch {
            logger.error("loading scheduled rotations failed", metadata: ["coffer.mount_type": "\(m.entry.type)"])
        }
    }

    /// A rotation is recorded in the audit log as an `update` of the mount's path for it (no client, no token),
    /// with the error when it failed.
    func auditRotation(mount m: MountedEngine, job: String, error: String?) async {
        let devices = audit.all
        guard !devices.isEmpty else { return }
        let req = CoreRequest(id: RandomID.uuid(), operation: .update, path: m.routePath + job)
        var ctx = AuditContext(request: req, devices: devices)
        ctx.mount = (m.routePath, m.entry.type, m.entry.accessor)
        _ = await audit.log(ctx.record(.request, time: now()), to: devices)
        _ = await audit.log(ctx.record(.response, time: now(), response: error == nil ? CoreResponse() : nil, error: error), to: devices)
    }
}
