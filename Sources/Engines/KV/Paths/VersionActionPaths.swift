import CofferSDK
import Foundation

/// `<mount>/delete/<path>`, `<mount>/undelete/<path>`, `<mount>/destroy/<path>`: change listed versions.
extension KVv2Engine {
    enum VersionAction {
        /// Soft delete: sets the deletion time.
        case delete
        /// Clears the deletion time of versions that are not destroyed.
        case undelete
        /// Removes the data for good.
        case destroy

        var missingVersionsMessage: String {
            self == .destroy ? "no version number provided" : "No version number provided"
        }
    }

    func changeVersions(_ request: PathRequest, action: VersionAction) async throws -> LogicalResponse? {
        let path = try request.fields.string("path")
        let versions = try request.fields.ints("versions")
        if versions.isEmpty { throw LogicalError.invalidRequest(action.missingVersionsMessage) }
        try await lock(path).withLock {
            guard var meta = try await KVLayout.loadMetadata(request.storage, path) else { return }
            let now = Date()
            var ops: [StorageOperation] = []
            for version in Set(versions) {
                guard var info = meta.versions[version] else { continue }
                switch action {
                case .delete:
                    guard !info.destroyed, !info.isDeleted(at: now) else { continue }
                    info.deletionTime = formatVaultTime(now)
                case .undelete:
                    guard !info.destroyed else { continue }
                    info.deletionTime = ""
                case .destroy:
                    info.destroyed = true
                    ops.append(.delete(KVLayout.versionKey(path, version)))
                }
                meta.versions[version] = info
            }
            ops.append(.put(KVLayout.metadataKey(path), meta.serializedData))
            try await request.storage.transaction(ops)
        }
        return nil
    }
}
