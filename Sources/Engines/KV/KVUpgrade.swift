import CofferSDK
import Foundation

/// Upgrading a kv version 1 mount to version 2 in place: every stored secret becomes version 1 of a versioned
/// secret with the same path and data, created at the time of the upgrade.
extension KVv2Engine: UpgradableEngine {
    func upgradeOperations(from previousOptions: [String: String], storage: any LogicalStorage, now: Date) async throws -> [StorageOperation]? {
        guard previousOptions["version"] != "2" else { return nil }
        return try await Self.upgradeFromUnversioned(storage, now: now)
    }

    /// The conversion itself. Version 1 keys may have any name, including ones the version 2 layout uses (`config`,
    /// `meta/...`, `ver/...`), so everything is read first and the result is one operation per key: the new
    /// records are written, and every old key that is not also a new one is deleted.
    static func upgradeFromUnversioned(_ storage: any LogicalStorage, now: Date) async throws -> [StorageOperation] {
        var secrets: [(String, Data)] = []
        var folders = [""]
        while let folder = folders.popLast() {
            for child in try await storage.list(prefix: folder) {
                let key = folder + child
                if child.hasSuffix("/") {
                    folders.append(key)
                } else if let value = try await storage.get(key) {
                    secrets.append((key, value))
                }
            }
        }
        let created = formatVaultTime(now)
        var writes: [String: Data] = [:]
        for (path, value) in secrets {
            var meta = KeyMetadata(now: created)
            meta.currentVersion = 1
            meta.oldestVersion = 1
            meta.versions[1] = VersionInfo(createdTime: created)
            writes[KVLayout.metadataKey(path)] = meta.serializedData
            writes[KVLayout.versionKey(path, 1)] = value
        }
        var ops: [StorageOperation] = secrets.map(\.0).filter { writes[$0] == nil }.sorted().map { .delete($0) }
        ops += writes.keys.sorted().map { .put($0, writes[$0]!) }
        return ops
    }
}
