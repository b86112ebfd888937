import CofferSDK

/// The mount-wide settings of a kv v2 mount (`<mount>/config`).
struct KVConfig: Sendable, Equatable {
    /// 0 means "use the default of 10".
    var maxVersions: Int64 = 0
    var casRequired = false
    /// Seconds; 0 is unset, negative disables automatic deletion for every key.
    var deleteVersionAfter: Int64 = 0
    var metadataCASRequired = false

    static let storageKey = "config"
    static let defaultMaxVersions: Int64 = 10

    init() {}

    init(json: JSONValue) {
        maxVersions = json["max_versions"]?.intValue ?? 0
        casRequired = json["cas_required"]?.boolValue ?? false
        deleteVersionAfter = json["delete_version_after"]?.intValue ?? 0
        metadataCASRequired = json["metadata_cas_required"]?.boolValue ?? false
    }

    var json: JSONValue {
        .object([
            "max_versions": .int(maxVersions),
            "cas_required": .bool(casRequired),
            "delete_version_after": .int(deleteVersionAfter),
            "metadata_cas_required": .bool(metadataCASRequired),
        ])
    }

    /// The body of a config read.
    var responseData: [String: JSONValue] {
        [
            "max_versions": .int(maxVersions),
            "cas_required": .bool(casRequired),
            "delete_version_after": .string(GoDuration.format(seconds: deleteVersionAfter)),
            "metadata_cas_required": .bool(metadataCASRequired),
        ]
    }

    static func load(_ storage: any LogicalStorage) async throws -> KVConfig {
        try await storage.getDecoded(storageKey, as: KVConfig.self) { KVConfig(json: try JSONValue.parse($0)) } ?? KVConfig()
    }
}

/// Stores max_versions the way OpenBao does: as an unsigned 32-bit count (so -1 reads back as 4294967295).
func uint32Count(_ value: Int64) -> Int64 {
    Int64(UInt32(truncatingIfNeeded: value))
}
