import CofferSDK
import Foundation

/// Builds the kv engine for a mount: version 2 when `options["version"] == "2"`, else version 1.
@Sendable public func makeKVEngine(_ config: EngineConfiguration) -> any SecretsEngine {
    if config.options["version"] == "2" { return KVv2Engine() }
    return KVv1Engine()
}

/// Builds the per-token cubbyhole engine.
@Sendable public func makeCubbyholeEngine(_ config: EngineConfiguration) -> any SecretsEngine {
    CubbyholeEngine()
}

/// The versioned key/value engine (kv v2).
struct KVv2Engine: FrameworkEngine {
    /// Serialises read-modify-writes of one key's metadata (and of the mount config), per key, so writes to
    /// different keys proceed together.
    let locks = StripedAsyncLock()

    func lock(_ path: String) -> AsyncLock { locks.lock(for: path) }

    static let path = Field("path", .string, "Location of the secret below the mount.")
    static let versions = Field("versions", .commaIntSlice, "The version numbers to act on.")
    static let version = Field("version", .int, "The version to read (0 or absent: the latest).")
    static let secretData = Field("data", .map, "The secret: any JSON object, stored as the key's new version.")
    static let writeOptions = Field(
        "options", .map, "Write options. \"cas\": the version the key must be at for the write to succeed (0: the key must not exist yet).")
    static let customMetadata = Field("custom_metadata", .map, "Key-value pairs of strings describing the secret, kept across versions.")
    static let metadataCAS = Field("metadata_cas", .int, "The metadata version this write expects (0 when creating the metadata).")
    static let after = Field("after", .string, "On lists, return only the keys that sort after this one.")
    static let limit = Field("limit", .int, "On lists, return at most this many keys (0: all).")
    static let keyExists: @Sendable (KVv2Engine, PathRequest) async throws -> Bool = { _, request in
        try await request.storage.get(KVLayout.metadataKey(try request.fields.string("path"))) != nil
    }

    /// Everything outside the versioned API (`secret/foo` rather than `secret/data/foo`); declared last, so every
    /// other route wins, and left out of OpenAPI (OpenBao lists it only as an empty `^.*$` entry).
    static let invalidPattern = "{path*}"

    static let router = PathRouter<KVv2Engine>([
        EnginePath(
            "config",
            fields: settings(
                of: "every key", deleteVersionAfter: .signedDurationSecond,
                "Zero clears the setting; a negative value turns automatic deletion off for every key."),
            operations: [
                .read: .init("Read the mount's settings.", method: KVv2Engine.readConfig),
                .create: .init("Change the mount's settings.", noContent: true, method: KVv2Engine.writeConfig),
                .update: .init("Change the mount's settings.", noContent: true, method: KVv2Engine.writeConfig),
            ],
            synopsis: "Settings that apply to every key of the mount.",
            description: "Reads and changes the mount-wide defaults: the number of versions kept, whether writes need check-and-set, and when versions are deleted automatically. Only the fields a write sends change."),
        EnginePath(
            "data/{path*}",
            fields: [path, secretData, writeOptions, version],
            operations: [
                .read: .init("Read a version of a secret.", method: KVv2Engine.readData),
                .update: .init("Write a new version of a secret.", method: KVv2Engine.writeData),
                .patch: .init("Merge a JSON patch into the latest version, as a new version.", method: KVv2Engine.patchData),
                .delete: .init("Soft-delete the latest version of a secret.", noContent: true, method: KVv2Engine.deleteLatestVersion),
            ],
            existenceCheck: keyExists,
            synopsis: "Read, write, patch and soft-delete the versions of a secret.",
            description: "A write stores the data as a new version and returns that version's metadata; a read returns the latest version, or the one asked for, with its metadata. A patch merges into the latest version (RFC 7386). A delete soft-deletes the latest version, which undelete can restore."),
        EnginePath(
            "metadata/{path*}",
            fields: [path, customMetadata, metadataCAS, after, limit]
                + settings(of: "this key", deleteVersionAfter: .durationSecond, "Zero clears the setting."),
            operations: [
                .read: .init("Read a key's metadata and the state of its versions.", method: KVv2Engine.readMetadata),
                .list: .init("List the keys below a folder.", method: KVv2Engine.listMetadata),
                .update: .init("Change a key's settings.", noContent: true, method: KVv2Engine.writeMetadata),
                .patch: .init("Merge changes into a key's settings.", noContent: true, method: KVv2Engine.patchMetadata),
                .delete: .init("Delete a key: its metadata and every version.", noContent: true, method: KVv2Engine.deleteMetadata),
            ],
            existenceCheck: keyExists,
            synopsis: "A key's settings and version history; listing of keys.",
            description: "Reads and changes the settings of one key (versions kept, check-and-set, automatic deletion, custom metadata), lists the keys below a folder, and deletes a key with every version of it for good."),
        EnginePath(
            "detailed-metadata/{path*}",
            fields: [path, after, limit],
            operations: [.list: .init("List the keys below a folder with the metadata of each.", method: KVv2Engine.listDetailedMetadata)],
            synopsis: "Listing of keys with their metadata.",
            description: "Lists the keys below a folder as a metadata listing does, and returns beside them, under key_info, the metadata of each key as a read of metadata/<key> gives it; a sub-folder's entry is an empty object."),
        EnginePath(
            "delete/{path*}",
            fields: [path, versions],
            operations: versionAction("Soft-delete versions of a secret.", .delete),
            synopsis: "Soft-delete versions of a secret.",
            description: "Marks the listed versions deleted: reads no longer return them, but their data is kept until they are destroyed, and undelete restores them."),
        EnginePath(
            "undelete/{path*}",
            fields: [path, versions],
            operations: versionAction("Restore soft-deleted versions of a secret.", .undelete),
            synopsis: "Restore soft-deleted versions of a secret.",
            description: "Clears the deletion of the listed versions, so that reads return them again. Destroyed versions stay destroyed."),
        EnginePath(
            "destroy/{path*}",
            fields: [path, versions],
            operations: versionAction("Destroy versions of a secret for good.", .destroy),
            synopsis: "Destroy versions of a secret for good.",
            description: "Removes the data of the listed versions permanently; their metadata records that they were destroyed."),
        EnginePath(
            "subkeys/{path*}",
            fields: [path, version, Field("depth", .int, "How many levels of nested objects to describe (0: all).")],
            operations: [.read: .init("Read the shape of a secret without its values.", method: KVv2Engine.readSubkeys)],
            synopsis: "The keys of a secret, with every value left out.",
            description: "Returns the structure of a version of the secret: its keys, nested objects as objects, and null in place of every other value. \"depth\" stops the descent at that level."),
        EnginePath(
            invalidPattern,
            operations: [
                .read: .init(method: KVv2Engine.invalidPath), .list: .init(method: KVv2Engine.invalidPath),
                .create: .init(method: KVv2Engine.invalidPath), .update: .init(method: KVv2Engine.invalidPath),
                .patch: .init(method: KVv2Engine.invalidPath), .delete: .init(method: KVv2Engine.invalidPath),
            ],
            takesArbitraryInput: true,
            synopsis: "Paths outside the versioned API.",
            description: "A versioned mount keeps secrets below data/ and their settings below metadata/: any other path answers 404 with a warning naming the right command."),
    ], help: """
        The kv engine (version 2) keeps versions of each secret: reads return the latest or an older one, versions \
        can be soft-deleted, restored or destroyed, and each key has settings and custom metadata of its own.
        """)

    /// The settings the mount (`config`) and each key (`metadata/…`) both have; a key's own win over the mount's.
    static func settings(of whom: String, deleteVersionAfter type: FieldType, _ deleteNote: String) -> [Field] {
        [
            Field("max_versions", .int, "How many versions to keep of \(whom) (0: the default)."),
            Field("cas_required", .bool, "Require the check-and-set option on every write of \(whom)."),
            Field("delete_version_after", type, "How long after it is written a version of \(whom) is soft-deleted. " + deleteNote),
            Field("metadata_cas_required", .bool, "Require metadata_cas on every metadata write of \(whom)."),
        ]
    }

    static func versionAction(_ summary: String, _ action: VersionAction) -> [CofferSDK.Operation: OperationHandler<KVv2Engine>] {
        let handler = OperationHandler<KVv2Engine>(summary, noContent: true) { engine, request in
            try await engine.changeVersions(request, action: action)
        }
        return [.create: handler, .update: handler]
    }

    /// The declared paths but the catch-all, which has no operation or field to publish.
    var pathDescriptions: [PathDescription] {
        Self.router.pathDescriptions.filter { $0.pattern.text != Self.invalidPattern }
    }

    func handle(_ request: LogicalRequest) async throws -> LogicalResponse? {
        switch request.operation {
        case .patch:
            try requireMergePatchContentType(request)
            try rejectFolderWrite(request)
        case .create, .update: try rejectFolderWrite(request)
        case .list where !request.path.isEmpty && !request.path.hasSuffix("/"):
            // OpenBao routes a LIST as the folder (`metadata/a` as `metadata/a/`).
            var folder = request
            folder.path += "/"
            return try await Self.router.handle(self, folder)
        default: break
        }
        return try await Self.router.handle(self, request)
    }

    func existenceCheck(_ request: LogicalRequest) async throws -> Bool? {
        try rejectFolderWrite(request)
        return try await Self.router.existenceCheck(self, request)
    }

    /// OpenBao's answer to a request outside the versioned API (`secret/foo` instead of `secret/data/foo`): 404 with
    /// a warning and no error.
    func invalidPath(_ request: PathRequest) async throws -> LogicalResponse? {
        switch request.path {
        case "data", "metadata", "delete", "undelete", "destroy":
            return LogicalResponse(warnings: ["Non-listing operations on the root of a K/V v2 mount are not supported."], httpStatus: 404)
        default: break
        }
        let verb: String
        switch request.operation {
        case .create, .update: verb = "put"
        case .list: verb = "list"
        case .delete: verb = "delete"
        case .patch: verb = "patch"
        case .read, .help, .renew, .revoke: verb = "get"
        }
        return LogicalResponse(
            warnings: [
                "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the OpenBao CLI, use 'bao kv \(verb)' for this operation."
            ],
            httpStatus: 404
        )
    }
}
