import CofferSDK

/// `<mount>/config`: mount-wide kv v2 settings.
extension KVv2Engine {
    func readConfig(_ request: PathRequest) async throws -> LogicalResponse? {
        let config = try await KVConfig.load(request.storage)
        return LogicalResponse(data: config.responseData)
    }

    func writeConfig(_ request: PathRequest) async throws -> LogicalResponse? {
        let fields = request.fields
        let maxVersions = try fields.intIfSet("max_versions")
        let casRequired = try fields.boolIfSet("cas_required")
        let deleteVersionAfter = try fields.durationIfSet("delete_version_after")
        let metadataCASRequired = try fields.boolIfSet("metadata_cas_required")
        try await lock("\u{0}config").withLock {
            var config = try await KVConfig.load(request.storage)
            if let maxVersions { config.maxVersions = uint32Count(maxVersions) }
            if let casRequired { config.casRequired = casRequired }
            if let deleteVersionAfter { config.deleteVersionAfter = deleteVersionAfter < 0 ? -1 : deleteVersionAfter }
            if let metadataCASRequired { config.metadataCASRequired = metadataCASRequired }
            try await request.storage.putJSON(KVConfig.storageKey, config.json)
        }
        return nil
    }
}
