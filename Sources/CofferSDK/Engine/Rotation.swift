import Foundation

/// Scheduled rotations for one mount, kept by the core's rotation scheduler (one for every mount).
///
/// An engine that rotates credentials on a schedule (a database static role) conforms to ``RotatingEngine``, tells
/// the scheduler when a job's next run changes (`schedule`) or the job is gone (`cancel`), and runs a due job when
/// the scheduler calls ``RotatingEngine/rotate(job:storage:)``. The scheduler retries a failed run with backoff, counts
/// runs in `coffer_rotations_total{result}` and audits them; after an unseal or a restart it asks the engine for
/// its jobs again (``RotatingEngine/scheduledRotations(storage:)``), so a run whose time passed while the server was
/// down happens once, at start.
public protocol RotationScheduling: Sendable {
    /// Schedules (or moves) the job `id` of this mount to run at `due`.
    func schedule(_ id: String, at due: Date)
    /// Forgets the job `id` of this mount.
    func cancel(_ id: String)
    /// When the job `id` of this mount runs next, if it is scheduled.
    func nextRun(_ id: String) -> Date?
}

/// An engine with scheduled rotations.
public protocol RotatingEngine: SecretsEngine {
    /// Every job of this mount and when it is due, read from the engine's storage.
    func scheduledRotations(storage: any LogicalStorage) async throws -> [(id: String, due: Date)]
    /// Runs the due job `id`; returns when it runs next (nil: no more runs). Throws when the rotation failed: the
    /// scheduler keeps the job and tries again later.
    func rotate(job id: String, storage: any LogicalStorage) async throws -> Date?
}
