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
struct KVv2Engine: SecretsEngine {
    /// Serialises read-modify-writes of one key's metadata (and of the mount config), per key, so writes to
    /// different keys proceed together.
    let locks = StripedAsyncLock()

    func lock(_ path: String) -> AsyncLock { locks.lock(for: path) }

    enum Route: Equatable {
        case config
        case data(String)
        case metadata(String)
        case delete(String)
        case undelete(String)
        case destroy(String)
        case subkeys(String)
    }

    static func route(_ path: String) -> Route? {
        if path == "config" { return .config }
        let families: [(String, (String) -> Route)] = [
            ("data/", Route.data), ("metadata/", Route.metadata), ("delete/", Route.delete),
            ("undelete/", Route.undelete), ("destroy/", Route.destroy), ("subkeys/", Route.subkeys),
        ]
        for (prefix, make) in families where path.hasPrefix(prefix) {
            return make(String(path.dropFirst(prefix.count)))
        }
        return nil
    }

    /// The routed path: LIST requests address folders, so they are matched with a trailing slash.
    static func routedPath(_ request: LogicalRequest) -> String {
        request.operation == .list ? folderPrefix(request.path) : request.path
    }

    func handle(_ request: LogicalRequest) async throws -> LogicalResponse? {
        if request.operation == .patch { try requireMergePatchContentType(request) }
        if request.operation == .create || request.operation == .update, request.path.isEmpty || request.path.hasSuffix("/") {
            throw KVErrors.writeToFolder
        }
        guard let route = Self.route(Self.routedPath(request)) else { return Self.invalidPathResponse(request.operation) }
        let op = request.operation
        switch route {
        case .config:
            switch op {
            case .read: return try await readConfig(request)
            case .create, .update: return try await writeConfig(request)
            default: throw KVErrors.unsupportedOperation
            }
        case .data(let path):
            switch op {
            case .read: return try await readData(request, path: path)
            case .create, .update: return try await writeData(request, path: path)
            case .patch: return try await patchData(request, path: path)
            case .delete: return try await deleteLatestVersion(request, path: path)
            default: throw KVErrors.unsupportedOperation
            }
        case .metadata(let path):
            switch op {
            case .read: return try await readMetadata(request, path: path)
            case .create, .update: return try await writeMetadata(request, path: path)
            case .patch: return try await patchMetadata(request, path: path)
            case .delete: return try await deleteMetadata(request, path: path)
            case .list: return try await listMetadata(request, path: path)
            default: throw KVErrors.unsupportedOperation
            }
        case .delete(let path):
            guard op == .create || op == .update else { throw KVErrors.unsupportedOperation }
            return try await changeVersions(request, path: path, action: .delete)
        case .undelete(let path):
            guard op == .create || op == .update else { throw KVErrors.unsupportedOperation }
            return try await changeVersions(request, path: path, action: .undelete)
        case .destroy(let path):
            guard op == .create || op == .update else { throw KVErrors.unsupportedOperation }
            return try await changeVersions(request, path: path, action: .destroy)
        case .subkeys(let path):
            guard op == .read else { throw KVErrors.unsupportedOperation }
            return try await readSubkeys(request, path: path)
        }
    }

    func existenceCheck(_ request: LogicalRequest) async throws -> Bool? {
        switch Self.route(Self.routedPath(request)) {
        case .data(let path), .metadata(let path):
            return try await request.storage.get(KVLayout.metadataKey(path)) != nil
        default:
            return nil
        }
    }

    /// OpenBao's answer to a request outside the versioned API (`secret/foo` instead of `secret/data/foo`).
    static func invalidPathResponse(_ operation: CofferSDK.Operation) -> LogicalResponse {
        let verb: String
        switch operation {
        case .create, .update: verb = "put"
        case .list: verb = "list"
        case .delete: verb = "delete"
        case .patch: verb = "patch"
        case .read, .help, .renew: verb = "get"
        }
        return LogicalResponse(
            warnings: [
                "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the OpenBao CLI, use 'bao kv \(verb)' for this operation."
            ],
            httpStatus: 404
        )
    }
}
