import CofferSDK
import Foundation

/// `<mount>/metadata/<path>`: key settings, version bookkeeping, listing, and permanent deletion.
extension KVv2Engine {
    func readMetadata(_ request: PathRequest) async throws -> LogicalResponse? {
        let path = try request.fields.string("path")
        guard let meta = try await KVLayout.loadMetadata(request.storage, path) else { throw LogicalError.notFound }
        return LogicalResponse(data: meta.responseData)
    }

    func listMetadata(_ request: PathRequest) async throws -> LogicalResponse? {
        let keys = try await listedKeys(request)
        return LogicalResponse(data: ["keys": .array(keys.map { .string($0) })])
    }

    /// `LIST detailed-metadata/<folder>`: the keys of a metadata listing, each with its metadata as a read of
    /// `metadata/<key>` returns it (an empty object for a sub-folder).
    func listDetailedMetadata(_ request: PathRequest) async throws -> LogicalResponse? {
        let folder = folderPrefix(try request.fields.string("path"))
        let keys = try await listedKeys(request)
        var info: [String: JSONValue] = [:]
        for key in keys {
            if key.hasSuffix("/") {
                info[key] = .object([:])
            } else if let meta = try await KVLayout.loadMetadata(request.storage, folder + key) {
                info[key] = .object(meta.responseData)
            }
        }
        return LogicalResponse(data: ["keys": .array(keys.map { .string($0) }), "key_info": .object(info)])
    }

    /// The keys below the request's folder, after `after` and at most `limit` of them; 404 when there are none.
    func listedKeys(_ request: PathRequest) async throws -> [String] {
        let path = try request.fields.string("path")
        let after = try request.fields.string("after")
        let limit = try request.fields.int("limit")
        var keys = try await request.storage.list(prefix: KVLayout.metadataKey(folderPrefix(path)))
        if !after.isEmpty { keys = keys.filter { $0 > after } }
        if limit > 0 { keys = Array(keys.prefix(Int(limit))) }
        if keys.isEmpty { throw LogicalError.notFound }
        return keys
    }

    /// The settings a metadata write or patch may change.
    struct MetadataUpdate {
        var maxVersions: Int64?
        var casRequired: Bool?
        var deleteVersionAfter: Int64?
        var metadataCAS: Int64?
        var metadataCASRequired: Bool?

        init(_ fields: FieldData) throws {
            maxVersions = try fields.intIfSet("max_versions")
            casRequired = try fields.boolIfSet("cas_required")
            deleteVersionAfter = try fields.durationIfSet("delete_version_after")
            metadataCAS = try fields.intIfSet("metadata_cas")
            metadataCASRequired = try fields.boolIfSet("metadata_cas_required")
        }

        func apply(to meta: inout KeyMetadata) {
            if let maxVersions { meta.maxVersions = uint32Count(maxVersions) }
            if let casRequired { meta.casRequired = casRequired }
            if let deleteVersionAfter { meta.deleteVersionAfter = deleteVersionAfter }
            if let metadataCASRequired { meta.metadataCASRequired = metadataCASRequired }
        }
    }

    func writeMetadata(_ request: PathRequest) async throws -> LogicalResponse? {
        let path = try request.fields.string("path")
        let update = try MetadataUpdate(request.fields)
        // Sent as null or {}, custom metadata is cleared (OpenBao reads both back as null).
        var customMetadata: [String: String]??
        if let given = try request.fields.objectIfSet("custom_metadata") {
            let strings = try Self.customMetadataStrings(given)
            try Self.validateCustomMetadata(strings)
            customMetadata = .some(strings.isEmpty ? nil : strings)
        }
        try await lock(path).withLock {
            let config = try await KVConfig.load(request.storage)
            let now = formatVaultTime(Date())
            var meta: KeyMetadata
            if let existing = try await KVLayout.loadMetadata(request.storage, path) {
                try Self.verifyCheckAndSet(update.metadataCAS, ofMetadata: true, meta: existing, config: config)
                meta = existing
            } else {
                if update.metadataCAS == nil, config.metadataCASRequired {
                    throw LogicalError.invalidRequest("metadata check-and-set parameter required for this call")
                }
                if let cas = update.metadataCAS, cas != 0 {
                    throw LogicalError.invalidRequest("metadata_cas must be 0 when creating new metadata")
                }
                meta = KeyMetadata(now: now)
            }
            update.apply(to: &meta)
            if let customMetadata { meta.customMetadata = customMetadata }
            meta.currentMetadataVersion += 1
            meta.updatedTime = now
            try await KVLayout.putMetadata(request.storage, path, meta)
        }
        return nil
    }

    func patchMetadata(_ request: PathRequest) async throws -> LogicalResponse? {
        let path = try request.fields.string("path")
        let update = try MetadataUpdate(request.fields)
        // The converted map, `.null` when sent as null (a patch that removes every member, RFC 7386).
        let customPatch = try request.fields.getOk("custom_metadata")
        return try await lock(path).withLock {
            let config = try await KVConfig.load(request.storage)
            guard var meta = try await KVLayout.loadMetadata(request.storage, path) else { return emptyNotFoundResponse() }
            try Self.verifyCheckAndSet(update.metadataCAS, ofMetadata: true, meta: meta, config: config)
            if let customPatch {
                let merged = jsonMergePatch(target: meta.customMetadataJSON, patch: customPatch)
                if let object = merged.objectValue, !object.isEmpty {
                    let strings = try Self.customMetadataStrings(object)
                    try Self.validateCustomMetadata(strings)
                    meta.customMetadata = strings
                } else {
                    meta.customMetadata = nil
                }
            }
            update.apply(to: &meta)
            meta.currentMetadataVersion += 1
            meta.updatedTime = formatVaultTime(Date())
            try await KVLayout.putMetadata(request.storage, path, meta)
            return nil
        }
    }

    /// Removes the key's metadata and every version's data.
    func deleteMetadata(_ request: PathRequest) async throws -> LogicalResponse? {
        let path = try request.fields.string("path")
        try await lock(path).withLock {
            guard let meta = try await KVLayout.loadMetadata(request.storage, path) else { return }
            var ops: [StorageOperation] = meta.versions.keys.sorted().map { .delete(KVLayout.versionKey(path, $0)) }
            ops.append(.delete(KVLayout.metadataKey(path)))
            try await request.storage.transaction(ops)
        }
        return nil
    }

    /// Custom metadata values are strings; scalars are converted as OpenBao's weak decoding does.
    static func customMetadataStrings(_ object: [String: JSONValue]) throws -> [String: String] {
        try object.mapValues { value in
            switch FieldValue.string(value) {
            case .success(let s): return s
            case .failure(let f): throw LogicalError.invalidRequest("custom_metadata validation failed: " + f.message)
            }
        }
    }

    static let maxCustomMetadataKeys = 64
    static let maxCustomMetadataKeyLength = 128
    static let maxCustomMetadataValueLength = 512

    static func validateCustomMetadata(_ metadata: [String: String]) throws {
        var problems: [String] = []
        if metadata.count > maxCustomMetadataKeys {
            problems.append(
                "custom_metadata validation failed: payload must contain at most \(maxCustomMetadataKeys) keys, provided \(metadata.count)")
        }
        for key in metadata.keys.sorted() {
            let keyLength = key.utf8.count
            if keyLength == 0 || keyLength > maxCustomMetadataKeyLength {
                problems.append(
                    "custom_metadata validation failed: length of key \"\(key)\" is \(keyLength) but must be 0 < len(key) <= \(maxCustomMetadataKeyLength)")
            }
            let valueLength = metadata[key]!.utf8.count
            if valueLength == 0 || valueLength > maxCustomMetadataValueLength {
                problems.append(
                    "custom_metadata validation failed: length of value for key \"\(key)\" is \(valueLength) but must be 0 < len(value) <= \(maxCustomMetadataValueLength)")
            }
        }
        guard !problems.isEmpty else { return }
        let header = problems.count == 1 ? "1 error occurred:" : "\(problems.count) errors occurred:"
        throw LogicalError.invalidRequest(header + problems.map { "\n\t* " + $0 }.joined() + "\n\n")
    }
}
