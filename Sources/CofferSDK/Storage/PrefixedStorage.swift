import Foundation

/// A storage view that prefixes every key: how the core gives each mount its own corner of the barrier.
public struct PrefixedStorage: LogicalStorage {
    public let base: any LogicalStorage
    public let prefix: String

    public init(base: any LogicalStorage, prefix: String) {
        self.base = base
        self.prefix = prefix
    }

    public func get(_ key: String) async throws -> Data? { try await base.get(prefix + key) }
    public func put(_ key: String, _ value: Data) async throws { try await base.put(prefix + key, value) }
    public func delete(_ key: String) async throws { try await base.delete(prefix + key) }
    public func list(prefix p: String) async throws -> [String] { try await base.list(prefix: prefix + p) }
    public func transaction(_ operations: [StorageOperation]) async throws {
        try await base.transaction(prefixed(operations))
    }

    public func getDecoded<T: Sendable>(_ key: String, as type: T.Type, decode: (Data) throws -> T) async throws -> T? {
        try await base.getDecoded(prefix + key, as: type, decode: decode)
    }

    public func transaction(_ operations: [StorageOperation], decoded: [String: any Sendable]) async throws {
        var prefixedDecoded: [String: any Sendable] = [:]
        for (k, v) in decoded { prefixedDecoded[prefix + k] = v }
        try await base.transaction(prefixed(operations), decoded: prefixedDecoded)
    }

    private func prefixed(_ operations: [StorageOperation]) -> [StorageOperation] {
        operations.map {
            switch $0 {
            case .put(let k, let v): return .put(prefix + k, v)
            case .delete(let k): return .delete(prefix + k)
            }
        }
    }
}
