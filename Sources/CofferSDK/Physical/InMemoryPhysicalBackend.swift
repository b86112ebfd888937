import Foundation
import Synchronization

/// The in-memory backend for `-dev`, `inmem` configs and tests.
///
/// Besides the entries it keeps a folder index (each folder's immediate children, with the number of keys under
/// each), so that listing a folder costs the size of that folder, not of the whole store: revoking a token tree or
/// sweeping expired tokens lists one small folder per token.
public final class InMemoryPhysicalBackend: PhysicalBackend, LogicalStorage {
    private struct State {
        var entries: [String: Data] = [:]
        /// Folder path (`""` or ending in `/`) → child name (a key's last component, or a folder name ending in
        /// `/`) → number of keys under that child.
        var folders: [String: [String: Int]] = [:]

        mutating func put(_ key: String, _ value: Data) {
            if entries.updateValue(value, forKey: key) == nil { index(key, by: 1) }
        }

        mutating func delete(_ key: String) {
            if entries.removeValue(forKey: key) != nil { index(key, by: -1) }
        }

        /// Adds or removes one key from the count of every folder on its path.
        mutating func index(_ key: String, by delta: Int) {
            // Works on UTF-8 offsets: slicing by Character costs several times more on every write.
            let utf8 = key.utf8
            var start = utf8.startIndex
            while true {
                let slash = utf8[start...].firstIndex(of: UInt8(ascii: "/"))
                let end = slash.map { utf8.index(after: $0) } ?? utf8.endIndex
                let folder = String(key[..<start])
                let child = String(key[start..<end])
                // Move the folder's table out, change it, put it back: it is then never shared while it changes.
                // (Reading `folders[folder]?[child]` first kept a second reference alive, and every change copied
                // the whole table: revoking the 25k children of one token took minutes.)
                var children = folders.removeValue(forKey: folder) ?? [:]
                let n = (children[child] ?? 0) + delta
                if n > 0 {
                    children[child] = n
                } else {
                    children.removeValue(forKey: child)
                }
                if !children.isEmpty { folders[folder] = children }
                guard slash != nil, end != utf8.endIndex else { return }
                start = end
            }
        }
    }

    private let state = Mutex(State())

    public init() {}

    public func get(_ key: String) async throws -> Data? { state.withLock { $0.entries[key] } }
    public func put(_ key: String, _ value: Data) async throws { state.withLock { $0.put(key, value) } }
    public func delete(_ key: String) async throws { state.withLock { $0.delete(key) } }

    public func list(prefix: String) async throws -> [String] {
        state.withLock { s in
            if prefix.isEmpty || prefix.hasSuffix("/") {
                return (s.folders[prefix].map { Array($0.keys) } ?? []).sorted()
            }
            // A prefix inside a name: the folder's children that start with the rest.
            let cut = prefix.lastIndex(of: "/").map { prefix.index(after: $0) } ?? prefix.startIndex
            let folder = String(prefix[..<cut])
            let partial = prefix[cut...]
            return (s.folders[folder]?.keys.filter { $0.hasPrefix(partial) }.map { String($0.dropFirst(partial.count)) }.filter { !$0.isEmpty } ?? []).sorted()
        }
    }

    public func transaction(_ operations: [StorageOperation]) async throws {
        state.withLock { s in
            for op in operations {
                switch op {
                case .put(let k, let v): s.put(k, v)
                case .delete(let k): s.delete(k)
                }
            }
        }
    }

    public func close() async throws {}

    /// Test hook: every stored key.
    public var allKeys: [String] { state.withLock { Array($0.entries.keys).sorted() } }
    /// Test hook: replaces a raw value (for tamper tests).
    public func rawSet(_ key: String, _ value: Data) { state.withLock { $0.put(key, value) } }
}
