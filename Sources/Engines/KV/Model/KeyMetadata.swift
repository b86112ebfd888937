import CofferSDK
import Foundation

/// One version's bookkeeping inside a key's metadata.
struct VersionInfo: Sendable, Equatable {
    var createdTime: String
    /// Empty when not scheduled/marked for deletion.
    var deletionTime: String = ""
    var destroyed = false

    init(createdTime: String, deletionTime: String = "", destroyed: Bool = false) {
        self.createdTime = createdTime
        self.deletionTime = deletionTime
        self.destroyed = destroyed
    }

    init(json: JSONValue) {
        createdTime = json["created_time"]?.stringValue ?? ""
        deletionTime = json["deletion_time"]?.stringValue ?? ""
        destroyed = json["destroyed"]?.boolValue ?? false
    }

    var json: JSONValue {
        .object([
            "created_time": .string(createdTime),
            "deletion_time": .string(deletionTime),
            "destroyed": .bool(destroyed),
        ])
    }

    /// Whether the version is soft-deleted as of `now` (a deletion time in the future is only scheduled).
    func isDeleted(at now: Date) -> Bool {
        guard !deletionTime.isEmpty, let t = parseVaultTime(deletionTime) else { return false }
        return t <= now
    }
}

/// The metadata record of one kv v2 key: its settings and the list of live versions.
struct KeyMetadata: Sendable, Equatable {
    var createdTime: String
    var updatedTime: String
    var currentVersion: Int64 = 0
    var oldestVersion: Int64 = 0
    var maxVersions: Int64 = 0
    var casRequired = false
    /// Seconds; 0 is unset.
    var deleteVersionAfter: Int64 = 0
    var customMetadata: [String: String]?
    var currentMetadataVersion: Int64 = 0
    var metadataCASRequired = false
    var versions: [Int64: VersionInfo] = [:]

    init(now: String) {
        createdTime = now
        updatedTime = now
    }

    init(json: JSONValue) {
        createdTime = json["created_time"]?.stringValue ?? ""
        updatedTime = json["updated_time"]?.stringValue ?? ""
        currentVersion = json["current_version"]?.intValue ?? 0
        oldestVersion = json["oldest_version"]?.intValue ?? 0
        maxVersions = json["max_versions"]?.intValue ?? 0
        casRequired = json["cas_required"]?.boolValue ?? false
        deleteVersionAfter = json["delete_version_after"]?.intValue ?? 0
        if let cm = json["custom_metadata"]?.objectValue {
            customMetadata = cm.compactMapValues { $0.stringValue }
        }
        currentMetadataVersion = json["current_metadata_version"]?.intValue ?? 0
        metadataCASRequired = json["metadata_cas_required"]?.boolValue ?? false
        for (k, v) in json["versions"]?.objectValue ?? [:] {
            if let n = Int64(k) { versions[n] = VersionInfo(json: v) }
        }
    }

    /// The stored form: exactly `json.serializedBytes()` (keys sorted, as Go writes maps), written directly so
    /// that a write does not build and sort a dictionary tree of every version.
    func serializedBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(320 + versions.count * 96)
        func key(_ k: StaticString) {
            out.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
        }
        func bool(_ k: StaticString, _ b: Bool) {
            key(k)
            b ? key("true") : key("false")
        }
        func int(_ k: StaticString, _ i: Int64) {
            key(k)
            JSONValue.writeIntPublic(i, to: &out)
        }
        func string(_ k: StaticString, _ s: String) {
            key(k)
            JSONValue.writeStringPublic(s, to: &out)
        }
        bool("{\"cas_required\":", casRequired)
        string(",\"created_time\":", createdTime)
        int(",\"current_metadata_version\":", currentMetadataVersion)
        int(",\"current_version\":", currentVersion)
        key(",\"custom_metadata\":")
        customMetadataJSON.write(to: &out)
        int(",\"delete_version_after\":", deleteVersionAfter)
        int(",\"max_versions\":", maxVersions)
        bool(",\"metadata_cas_required\":", metadataCASRequired)
        int(",\"oldest_version\":", oldestVersion)
        string(",\"updated_time\":", updatedTime)
        key(",\"versions\":{")
        var first = true
        for (name, v) in versions.map({ (String($0.key), $0.value) }).sorted(by: { $0.0 < $1.0 }) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSONValue.writeStringPublic(name, to: &out)
            string(":{\"created_time\":", v.createdTime)
            string(",\"deletion_time\":", v.deletionTime)
            bool(",\"destroyed\":", v.destroyed)
            out.append(UInt8(ascii: "}"))
        }
        key("}}")
        return out
    }

    var serializedData: Data { Data(serializedBytes()) }

    var customMetadataJSON: JSONValue {
        guard let cm = customMetadata else { return .null }
        return .object(cm.mapValues { .string($0) })
    }

    var json: JSONValue {
        var vs: [String: JSONValue] = [:]
        for (n, v) in versions { vs[String(n)] = v.json }
        return .object([
            "created_time": .string(createdTime),
            "updated_time": .string(updatedTime),
            "current_version": .int(currentVersion),
            "oldest_version": .int(oldestVersion),
            "max_versions": .int(maxVersions),
            "cas_required": .bool(casRequired),
            "delete_version_after": .int(deleteVersionAfter),
            "custom_metadata": customMetadataJSON,
            "current_metadata_version": .int(currentMetadataVersion),
            "metadata_cas_required": .bool(metadataCASRequired),
            "versions": .object(vs),
        ])
    }

    /// The body of a metadata read.
    var responseData: [String: JSONValue] {
        var vs: [String: JSONValue] = [:]
        for (n, v) in versions { vs[String(n)] = v.json }
        return [
            "cas_required": .bool(casRequired),
            "created_time": .string(createdTime),
            "current_metadata_version": .int(currentMetadataVersion),
            "current_version": .int(currentVersion),
            "custom_metadata": customMetadataJSON,
            "delete_version_after": .string(GoDuration.format(seconds: deleteVersionAfter)),
            "max_versions": .int(maxVersions),
            "metadata_cas_required": .bool(metadataCASRequired),
            "oldest_version": .int(oldestVersion),
            "updated_time": .string(updatedTime),
            "versions": .object(vs),
        ]
    }

    /// The per-version metadata object returned by data reads, writes and subkeys.
    func versionResponse(_ version: Int64) -> JSONValue {
        let info = versions[version] ?? VersionInfo(createdTime: "")
        return .object([
            "created_time": .string(info.createdTime),
            "custom_metadata": customMetadataJSON,
            "deletion_time": .string(info.deletionTime),
            "destroyed": .bool(info.destroyed),
            "version": .int(version),
        ])
    }

    /// The number of versions to keep: the larger of the key's and the mount's setting, 10 when neither is set.
    func effectiveMaxVersions(_ config: KVConfig) -> Int64 {
        let m = max(maxVersions, config.maxVersions)
        return m == 0 ? KVConfig.defaultMaxVersions : m
    }

    /// Seconds after creation at which a new version is deleted, or nil for never.
    func effectiveDeleteVersionAfter(_ config: KVConfig) -> Int64? {
        if config.deleteVersionAfter < 0 { return nil }
        let key = deleteVersionAfter > 0 ? deleteVersionAfter : 0
        let mount = config.deleteVersionAfter
        switch (key, mount) {
        case (0, 0): return nil
        case (0, _): return mount
        case (_, 0): return key
        default: return min(key, mount)
        }
    }

    /// Drops the versions that fall outside `maxVersions` once `currentVersion` has been bumped, returning the
    /// version numbers whose data must be removed.
    mutating func trimVersions(maxVersions: Int64) -> [Int64] {
        let cutoff = currentVersion - maxVersions
        guard cutoff >= oldestVersion else { return [] }
        var removed: [Int64] = []
        for n in versions.keys.sorted() where n <= cutoff {
            versions.removeValue(forKey: n)
            removed.append(n)
        }
        oldestVersion = cutoff + 1
        return removed
    }
}

/// Where kv v2 keeps things in the mount's storage.
///
/// - `config`: the mount settings.
/// - `meta/<path>`: the key's ``KeyMetadata`` (so listing `meta/<folder>/` lists keys).
/// - `ver/<path>@<n>`: the data of version n (the `@<digits>` suffix can never be confused with a path).
enum KVLayout {
    static let metadataPrefix = "meta/"

    static func metadataKey(_ path: String) -> String { metadataPrefix + path }
    static func versionKey(_ path: String, _ version: Int64) -> String { "ver/\(path)@\(version)" }

    /// The key's metadata, decoded once while its stored bytes are unchanged.
    static func loadMetadata(_ storage: any LogicalStorage, _ path: String) async throws -> KeyMetadata? {
        try await storage.getDecoded(metadataKey(path), as: KeyMetadata.self) { KeyMetadata(json: try JSONValue.parse($0)) }
    }

    /// Stores metadata (and the decoded form, for the next load).
    static func putMetadata(_ storage: any LogicalStorage, _ path: String, _ meta: KeyMetadata) async throws {
        try await storage.transaction([.put(metadataKey(path), meta.serializedData)], decoded: [metadataKey(path): meta])
    }

    static func loadVersionData(_ storage: any LogicalStorage, _ path: String, _ version: Int64) async throws -> JSONValue? {
        try await storage.getJSON(versionKey(path, version))
    }
}
