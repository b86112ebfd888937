import CofferSDK

/// The unversioned key/value engines (kv v1 and cubbyhole): every path below the mount holds one JSON object, the
/// request body as it was written. One route, `{path*}`, serves them both; the flavours differ in how they read,
/// delete and answer a write without data.
///
/// The body of a write is the secret itself, so its members are not fields: the route declares only `path`, and
/// since a write answers with no body, OpenBao's warning about unrecognised parameters shows only on reads and lists
/// that send query parameters, as in OpenBao.
protocol PassthroughEngine: FrameworkEngine {
    /// The answer to a write without any data.
    static var missingData: LogicalError { get }
    func read(_ request: PathRequest) async throws -> LogicalResponse?
    func delete(_ request: PathRequest) async throws -> LogicalResponse?
}

extension PassthroughEngine {
    static func passthroughRouter(synopsis: String, description: String, help: String) -> PathRouter<Self> {
        let write = OperationHandler<Self>("Store a secret at a path.", noContent: true) { engine, request in
            try await engine.write(request)
        }
        return PathRouter([
            EnginePath(
                "{path*}",
                fields: [Field("path", .string, "Location of the secret below the mount.")],
                operations: [
                    .read: .init("Read the secret at a path.") { engine, request in try await engine.read(request) },
                    .create: write,
                    .update: write,
                    .delete: .init("Delete the secret at a path.", noContent: true) { engine, request in
                        try await engine.delete(request)
                    },
                    .list: .init("List the keys below a folder.") { engine, request in try await engine.list(request) },
                ],
                existenceCheck: { engine, request in try await engine.exists(request) },
                synopsis: synopsis,
                description: description),
        ], help: help)
    }

    func handle(_ request: LogicalRequest) async throws -> LogicalResponse? {
        // OpenBao checks both before routing (a PATCH, which no route serves, still has its media type checked).
        if request.operation == .patch { try requireMergePatchContentType(request) }
        try rejectFolderWrite(request)
        return try await Self.router.handle(self, request)
    }

    func existenceCheck(_ request: LogicalRequest) async throws -> Bool? {
        try rejectFolderWrite(request)
        return try await Self.router.existenceCheck(self, request)
    }

    /// The object stored at the request's path.
    func stored(_ request: PathRequest) async throws -> [String: JSONValue]? {
        guard let raw = try await request.storage.get(request.path) else { return nil }
        return try JSONValue.parse(raw).objectValue ?? [:]
    }

    func write(_ request: PathRequest) async throws -> LogicalResponse? {
        if request.data.isEmpty { throw Self.missingData }
        try await request.storage.put(request.path, JSONValue.object(request.data).serializedData())
        return nil
    }

    func removeStored(_ request: PathRequest) async throws -> LogicalResponse? {
        try await request.storage.delete(request.path)
        return nil
    }

    func list(_ request: PathRequest) async throws -> LogicalResponse? {
        let keys = try await request.storage.list(prefix: folderPrefix(request.path))
        if keys.isEmpty { throw LogicalError.notFound }
        return LogicalResponse(data: ["keys": .array(keys.map { .string($0) })])
    }

    func exists(_ request: PathRequest) async throws -> Bool {
        if request.path.isEmpty { return false }
        return try await request.storage.get(request.path) != nil
    }
}
