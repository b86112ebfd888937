import Foundation

/// A storage backend: opaque bytes by key. Coffer only ever hands it barrier ciphertext.
///
/// A `put`, `delete` or `transaction` returns only once the change is durable (for durable backends).
/// `list(prefix:)` returns the immediate children of `prefix`, folders ending in `/`, sorted.
///
/// ```swift
/// let backend: any PhysicalBackend = InMemoryPhysicalBackend()
/// try await backend.put("core/keyring", sealedBytes)
/// ```
public protocol PhysicalBackend: Sendable {
    func get(_ key: String) async throws -> Data?
    func put(_ key: String, _ value: Data) async throws
    func delete(_ key: String) async throws
    func list(prefix: String) async throws -> [String]
    /// Applies every operation atomically and durably, or none of them.
    func transaction(_ operations: [StorageOperation]) async throws
    /// Releases resources; further calls may fail.
    func close() async throws
}

/// Error thrown by a backend.
public struct PhysicalError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Immediate children of `prefix` among `keys` (which must all start with prefix), Vault style.
public func immediateChildren(of prefix: String, in keys: some Sequence<String>) -> [String] {
    var seen = Set<String>()
    var out: [String] = []
    for key in keys {
        guard key.hasPrefix(prefix) else { continue }
        let rest = key.dropFirst(prefix.count)
        let child: String
        if let slash = rest.firstIndex(of: "/") {
            child = String(rest[...slash])
        } else {
            child = String(rest)
        }
        if !child.isEmpty, seen.insert(child).inserted { out.append(child) }
    }
    return out.sorted()
}

/// The smallest string greater than every string that starts with `prefix`, in UTF-8 byte order (which is Unicode
/// scalar order, and the order of a `COLLATE "C"` or SQLite `BINARY` key column), or nil if there is none (empty
/// `prefix`, or one made only of U+10FFFF). The keys under `prefix` are exactly `prefix <= key < successor`, a range
/// scan on the key index without `LIKE`.
public func keyPrefixSuccessor(_ prefix: String) -> String? {
    var scalars = Array(prefix.unicodeScalars)
    while let last = scalars.popLast() {
        var next = last.value + 1
        if next == 0xD800 { next = 0xE000 }  // skip the surrogate range
        if let scalar = Unicode.Scalar(next) {
            scalars.append(scalar)
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars)
            return String(view)
        }
        // last was U+10FFFF: carry into the previous scalar.
    }
    return nil
}
