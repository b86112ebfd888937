import Foundation

/// One write in a ``LogicalStorage/transaction(_:)`` or ``PhysicalBackend/transaction(_:)``.
public enum StorageOperation: Sendable, Hashable {
    case put(String, Data)
    case delete(String)

    public var key: String {
        switch self {
        case .put(let k, _), .delete(let k): return k
        }
    }
}

/// The plaintext storage view an engine is given: keys are relative to the engine's own prefix.
///
/// `list(prefix:)` has Vault's semantics: the immediate children of `prefix`, with folders ending in `/`.
///
/// ```swift
/// try await storage.put("config", Data("{}".utf8))
/// let keys = try await storage.list(prefix: "data/")
/// ```
public protocol LogicalStorage: Sendable {
    func get(_ key: String) async throws -> Data?
    func put(_ key: String, _ value: Data) async throws
    func delete(_ key: String) async throws
    func list(prefix: String) async throws -> [String]
    /// Applies every operation or none.
    func transaction(_ operations: [StorageOperation]) async throws
}

extension LogicalStorage {
    /// Every key below `prefix` (recursively), relative to `prefix`.
    public func listRecursive(prefix: String) async throws -> [String] {
        var out: [String] = []
        var pending = [""]
        while let rel = pending.popLast() {
            for k in try await list(prefix: prefix + rel) {
                if k.hasSuffix("/") { pending.append(rel + k) } else { out.append(rel + k) }
            }
        }
        return out.sorted()
    }

    public func getJSON(_ key: String) async throws -> JSONValue? {
        guard let d = try await get(key) else { return nil }
        return try JSONValue.parse(d)
    }

    public func putJSON(_ key: String, _ value: JSONValue) async throws {
        try await put(key, value.serializedData())
    }

    /// Deletes every key below `prefix`.
    public func deletePrefix(_ prefix: String) async throws {
        let keys = try await listRecursive(prefix: prefix)
        if keys.isEmpty { return }
        try await transaction(keys.map { .delete(prefix + $0) })
    }
}

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
        try await base.transaction(
            operations.map {
                switch $0 {
                case .put(let k, let v): return .put(prefix + k, v)
                case .delete(let k): return .delete(prefix + k)
                }
            }
        )
    }
}
