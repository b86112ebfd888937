import CofferSDK
import Foundation

/// `<mount>/metadata/<path>`: key settings, version bookkeeping, listing, and permanent deletion.
extension KVv2Engine {
    func readMetadata(_ request: LogicalRequest, path: String) async throws -> LogicalResponse? {
        guard let meta = try await KVLayout.loadMetadata(request.storage, path) else { throw LogicalError.notFound }
        return LogicalResponse(data: meta.responseData)
    }

    func listMetadata(_ request: LogicalRequest, path: String) async throws -> LogicalResponse? {
        let fields = FieldParser(request.data, validated: true)
        let after = request.string("after") ?? ""
        let limit = try fields.int("limit") ?? 0
        var keys = try await request.storage.list(prefix: KVLayout.metadataKey(folderPrefix(path)))
        if !after.isEmpty { keys = keys.filter { $0 > after } }
        if limit > 0 { keys = Array(keys.prefix(Int(limit))) }
        if keys.isEmpty { throw LogicalError.notFound }
        return LogicalResponse(data: ["keys": .array(keys.map { .string($0) })])
    }

    /// The settings a metadata write or patch may change.
    struct MetadataUpdate {
        var maxVersions: Int64?
        var casRequired: Bool?
        var deleteVersionAfter: Int64?
        var metadataCAS: Int64?
        var metadataCASRequired: Bool?

        init(_ fields: FieldParser) throws {
            maxVersions = try fields.int("max_versions")
            casRequired = try fields.bool("cas_required")
            deleteVersionAfter = try fields.duration("delete_version_after")
            if let d = deleteVersionAfter, d < 0 {
                throw fields.error("delete_version_after", "cannot provide negative value '\(d)'")
            }
            metadataCAS = try fields.int("metadata_cas")
            metadataCASRequired = try fields.bool("metadata_cas_required")
        }

        func apply(to meta: inout KeyMetadata) {
            if let maxVersions { meta.maxVersions = uint32Count(maxVersions) }
            if let casRequired { meta.casRequired = casRequired }
            if let deleteVersionAfter { meta.deleteVersionAfter = deleteVersionAfter }
            if let metadataCASRequired { meta.metadataCASRequired = metadataCASRequired }
        }
    }

    func writeMetadata(_ request: LogicalRequest, path: String) async throws -> LogicalResponse? {
        let fields = FieldParser(request.data, validated: false)
        let update = try MetadataUpdate(fields)
        var customMetadata: [String: String]??
        if let given = try fields.map("custom_metadata") {
            customMetadata = .some(try given.map { try Self.customMetadataStrings($0) })
            if let cm = customMetadata ?? nil { try Self.validateCustomMetadata(cm) }
        }
        try await lock(path).withLock {
            let config = try await KVConfig.load(request.storage)
            let now = formatVaultTime(Date())
            var meta: KeyMetadata
            if let existing = try await KVLayout.loadMetadata(request.storage, path) {
                try Self.verifyMetadataCheckAndSet(update.metadataCAS, meta: existing, config: config)
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

    func patchMetadata(_ request: LogicalRequest, path: String) async throws -> LogicalResponse? {
        let fields = FieldParser(request.data, validated: true)
        let update = try MetadataUpdate(fields)
        let customPatch = try fields.map("custom_metadata")
        return try await lock(path).withLock {
            let config = try await KVConfig.load(request.storage)
            guard var meta = try await KVLayout.loadMetadata(request.storage, path) else { return emptyNotFoundResponse() }
            try Self.verifyMetadataCheckAndSet(update.metadataCAS, meta: meta, config: config)
            if let customPatch {
                let current: JSONValue = meta.customMetadataJSON
                let merged = jsonMergePatch(target: current, patch: customPatch.map { .object($0) } ?? .null)
                if let object = merged.objectValue {
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
    func deleteMetadata(_ request: LogicalRequest, path: String) async throws -> LogicalResponse? {
        try await lock(path).withLock {
            guard let meta = try await KVLayout.loadMetadata(request.storage, path) else { return }
            var ops: [StorageOperation] = meta.versions.keys.sorted().map { .delete(KVLayout.versionKey(path, $0)) }
            ops.append(.delete(KVLayout.metadataKey(path)))
            try await request.storage.transaction(ops)
        }
        return nil
    }

    static func verifyMetadataCheckAndSet(_ cas: Int64?, meta: KeyMetadata, config: KVConfig) throws {
        if cas == nil, config.metadataCASRequired || meta.metadataCASRequired {
            throw LogicalError.invalidRequest("metadata check-and-set parameter required for this call")
        }
        if let cas, cas != meta.currentMetadataVersion {
            throw LogicalError.invalidRequest("metadata check-and-set parameter does not match the current version")
        }
    }

    /// Custom metadata values are strings; scalars are converted as OpenBao's weak decoding does.
    static func customMetadataStrings(_ object: [String: JSONValue]) throws -> [String: String] {
        var out: [String: String] = [:]
        for (key, value) in object {
            switch value {
            case .string(let s): out[key] = s
            case .int(let i): out[key] = String(i)
            case .double: out[key] = value.serialized()
            case .bool(let b): out[key] = b ? "1" : "0"
            case .null: out[key] = ""
            case .array, .object:
                throw LogicalError.invalidRequest(
                    "custom_metadata validation failed: '' expected type 'string', got unconvertible type '\(FieldParser.goTypeName(value))'"
                )
            }
        }
        return out
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
