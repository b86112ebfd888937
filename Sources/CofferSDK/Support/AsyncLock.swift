import Synchronization

/// A FIFO mutual-exclusion lock usable across `await`: serializes read-modify-write sequences in engines and the core
/// (check-and-set, use counts, mount table changes) without blocking threads. Read paths never take it.
public final class AsyncLock: Sendable {
    private struct State {
        var locked = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    public init() {}

    public func lock() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let acquired = state.withLock { s -> Bool in
                if !s.locked {
                    s.locked = true
                    return true
                }
                s.waiters.append(c)
                return false
            }
            if acquired { c.resume() }
        }
    }

    public func unlock() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiters.isEmpty {
                s.locked = false
                return nil
            }
            return s.waiters.removeFirst()
        }
        next?.resume()
    }

    public func withLock<T, E: Error>(_ body: () async throws(E) -> T) async throws(E) -> T {
        await lock()
        do {
            let result = try await body()
            unlock()
            return result
        } catch {
            unlock()
            throw error
        }
    }
}

/// A fixed set of ``AsyncLock``s chosen by key, so that read-modify-writes of different keys run concurrently (and
/// their storage writes can share one group commit) while those of the same key stay serialized.
public final class StripedAsyncLock: Sendable {
    private let stripes: [AsyncLock]

    public init(stripes: Int = 64) {
        self.stripes = (0..<max(1, stripes)).map { _ in AsyncLock() }
    }

    /// The lock guarding `key`.
    public func lock(for key: String) -> AsyncLock {
        var hasher = Hasher()
        hasher.combine(key)
        return stripes[Int(UInt(bitPattern: hasher.finalize()) % UInt(stripes.count))]
    }
}
