import Foundation

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

    /// The value at `key` turned into `T` by `decode`. A storage that caches (the barrier) keeps the decoded
    /// value beside the bytes it came from and reuses it while those bytes are unchanged, so a hot record is
    /// parsed once, not on every request. `decode` must be a pure function of the bytes.
    func getDecoded<T: Sendable>(_ key: String, as type: T.Type, decode: (Data) throws -> T) async throws -> T?

    /// ``transaction(_:)``, with the decoded form of some of the values written: a caching storage keeps them,
    /// so the next ``getDecoded(_:as:decode:)`` of those keys needs no parse. Each decoded value must equal what
    /// `decode` would make of the bytes written.
    func transaction(_ operations: [StorageOperation], decoded: [String: any Sendable]) async throws
}

extension LogicalStorage {
    public func getDecoded<T: Sendable>(_ key: String, as type: T.Type, decode: (Data) throws -> T) async throws -> T? {
        guard let d = try await get(key) else { return nil }
        return try decode(d)
    }

    public func transaction(_ operations: [StorageOperation], decoded: [String: any Sendable]) async throws {
        try await transaction(operations)
    }
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

    /// The JSON value at `key`, parsed once while its bytes are unchanged (see ``getDecoded(_:as:decode:)``).
    public func getJSON(_ key: String) async throws -> JSONValue? {
        try await getDecoded(key, as: JSONValue.self) { try JSONValue.parse($0) }
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
