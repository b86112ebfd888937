import Foundation
import Synchronization

/// The in-memory backend for `-dev`, `inmem` configs and tests.
public final class InMemoryPhysicalBackend: PhysicalBackend, LogicalStorage {
    private let entries = Mutex<[String: Data]>([:])

    public init() {}

    public func get(_ key: String) async throws -> Data? { entries.withLock { $0[key] } }
    public func put(_ key: String, _ value: Data) async throws { entries.withLock { $0[key] = value } }
    public func delete(_ key: String) async throws { _ = entries.withLock { $0.removeValue(forKey: key) } }
    public func list(prefix: String) async throws -> [String] {
        entries.withLock { immediateChildren(of: prefix, in: $0.keys) }
    }
    public func transaction(_ operations: [StorageOperation]) async throws {
        entries.withLock { e in
            for op in operations {
                switch op {
                case .put(let k, let v): e[k] = v
                case .delete(let k): e.removeValue(forKey: k)
                }
            }
        }
    }
    public func close() async throws {}

    /// Test hook: every stored key.
    public var allKeys: [String] { entries.withLock { Array($0.keys).sorted() } }
    /// Test hook: replaces a raw value (for tamper tests).
    public func rawSet(_ key: String, _ value: Data) { entries.withLock { $0[key] = value } }
}
