import CofferAuditChain
import CofferSDK
import Crypto
import Dispatch
import Foundation
import Synchronization

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
