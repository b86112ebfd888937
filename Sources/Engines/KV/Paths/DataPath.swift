import CofferSDK
import Foundation

/// `<mount>/data/<path>`: read, write, merge-patch and soft-delete the versions of a key.
extension KVv2Engine {
    /// The engine's hot path: two field reads (`path`, `version`) before the storage reads, nothing else.
    func readData(_ request: PathRequest) async throws -> LogicalResponse? {
        let path = try request.fields.string("path")
        let requested = try request.fields.int("version")
        let (meta, version, data) = try await Self.loadVersion(request.storage, path, requested)
        guard let data else {
            return LogicalResponse(data: ["data": .null, "metadata": meta.versionResponse(version)], httpStatus: 404)
        }
        return LogicalResponse(data: ["data": data, "metadata": meta.versionResponse(version)])
    }

    /// The version a read names (`requested`, or the current one when 0), its key's metadata and its data; nil data
    /// when the version is deleted or destroyed (a 404 that still shows the metadata). A missing key, version or
    /// stored data is a 404.
    static func loadVersion(
        _ storage: any LogicalStorage, _ path: String, _ requested: Int64
    ) async throws -> (meta: KeyMetadata, version: Int64, data: JSONValue?) {
        guard let meta = try await KVLayout.loadMetadata(storage, path) else { throw LogicalError.notFound }
        let version = requested > 0 ? requested : meta.currentVersion
        guard version > 0, let info = meta.versions[version] else { throw LogicalError.notFound }
        if info.destroyed || info.isDeleted(at: Date()) { return (meta, version, nil) }
        guard let data = try await KVLayout.loadVersionData(storage, path, version) else { throw LogicalError.notFound }
        return (meta, version, data)
    }

    func writeData(_ request: PathRequest) async throws -> LogicalResponse? {
        let path = try request.fields.string("path")
        // The converted map: `null` (or `[null]`) is stored as null and read back as null, as in OpenBao.
        guard let stored = try request.fields.getOk("data") else { throw LogicalError.invalidRequest("no data provided") }
        let cas = try Self.checkAndSet(request.fields)
        return try await lock(path).withLock {
            let config = try await KVConfig.load(request.storage)
            // A key created by this write shares its created_time with version 1, as in OpenBao.
            let now = Date()
            var meta = try await KVLayout.loadMetadata(request.storage, path) ?? KeyMetadata(now: formatVaultTime(now))
            try Self.verifyCheckAndSet(cas, meta: meta, config: config)
            let version = try await storeNewVersion(
                request.storage, path: path, meta: &meta, config: config, data: stored, now: now)
            return LogicalResponse(data: meta.versionResponse(version).objectValue)
        }
    }

    func patchData(_ request: PathRequest) async throws -> LogicalResponse? {
        let path = try request.fields.string("path")
        guard let patch = try request.fields.getOk("data"), patch != .null else {
            throw LogicalError.invalidRequest("no data provided")
        }
        let cas = try Self.checkAndSet(request.fields)
        return try await lock(path).withLock {
            let config = try await KVConfig.load(request.storage)
            guard var meta = try await KVLayout.loadMetadata(request.storage, path) else { return emptyNotFoundResponse() }
            try Self.verifyCheckAndSet(cas, meta: meta, config: config)
            let current = meta.currentVersion
            guard let info = meta.versions[current] else { return emptyNotFoundResponse() }
            if info.destroyed || info.isDeleted(at: Date()) {
                return LogicalResponse(data: meta.versionResponse(current).objectValue, httpStatus: 404)
            }
            guard let existing = try await KVLayout.loadVersionData(request.storage, path, current) else {
                return emptyNotFoundResponse()
            }
            let merged = jsonMergePatch(target: existing, patch: patch)
            let version = try await storeNewVersion(
                request.storage, path: path, meta: &meta, config: config, data: merged, now: Date())
            return LogicalResponse(data: meta.versionResponse(version).objectValue)
        }
    }

    /// DELETE on the data path soft-deletes the latest version.
    func deleteLatestVersion(_ request: PathRequest) async throws -> LogicalResponse? {
        let path = try request.fields.string("path")
        try await lock(path).withLock {
            guard var meta = try await KVLayout.loadMetadata(request.storage, path) else { return }
            let now = Date()
            guard var info = meta.versions[meta.currentVersion], !info.destroyed, !info.isDeleted(at: now) else { return }
            info.deletionTime = formatVaultTime(now)
            meta.versions[meta.currentVersion] = info
            try await KVLayout.putMetadata(request.storage, path, meta)
        }
        return nil
    }

    /// Appends a version, trims old ones, and stores data and metadata in one transaction.
    func storeNewVersion(
        _ storage: any LogicalStorage, path: String, meta: inout KeyMetadata, config: KVConfig, data: JSONValue, now: Date
    ) async throws -> Int64 {
        let created = formatVaultTime(now)
        let version = meta.currentVersion + 1
        var info = VersionInfo(createdTime: created)
        if let after = meta.effectiveDeleteVersionAfter(config) {
            info.deletionTime = formatVaultTime(now.addingTimeInterval(TimeInterval(after)))
        }
        meta.currentVersion = version
        meta.updatedTime = created
        meta.versions[version] = info
        let removed = meta.trimVersions(maxVersions: meta.effectiveMaxVersions(config))
        var ops: [StorageOperation] = [
            .put(KVLayout.versionKey(path, version), data.serializedData()),
            .put(KVLayout.metadataKey(path), meta.serializedData),
        ]
        ops += removed.map { .delete(KVLayout.versionKey(path, $0)) }
        // The decoded forms stay cached, so neither the next write nor a read parses them again.
        try await storage.transaction(ops, decoded: [KVLayout.versionKey(path, version): data, KVLayout.metadataKey(path): meta])
        return version
    }

    /// The `options.cas` value of a write, if given, read as OpenBao weakly decodes it (an integer field's rules).
    static func checkAndSet(_ fields: FieldData) throws -> Int64? {
        guard let cas = try fields.object("options")["cas"] else { return nil }
        guard case .success(let version) = FieldValue.int(cas) else {
            throw LogicalError.invalidRequest("error parsing check-and-set parameter")
        }
        return version
    }

    /// Checks the check-and-set version of a data write (`options.cas`, against the current version) or of a
    /// metadata write (`metadata_cas`, against the current metadata version) and whether one is required.
    static func verifyCheckAndSet(_ cas: Int64?, ofMetadata: Bool = false, meta: KeyMetadata, config: KVConfig) throws {
        let what = ofMetadata ? "metadata check-and-set parameter" : "check-and-set parameter"
        let required = ofMetadata ? config.metadataCASRequired || meta.metadataCASRequired : config.casRequired || meta.casRequired
        if cas == nil, required {
            throw LogicalError.invalidRequest(what + " required for this call")
        }
        if let cas, cas != (ofMetadata ? meta.currentMetadataVersion : meta.currentVersion) {
            throw LogicalError.invalidRequest(what + (ofMetadata ? " does not match" : " did not match") + " the current version")
        }
    }
}
