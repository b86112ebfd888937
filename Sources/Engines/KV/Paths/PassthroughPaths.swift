import CofferSDK

/// The unversioned key/value paths shared by kv v1 and cubbyhole: each path holds one JSON object.
struct PassthroughStore {
    /// How a flavour words the errors that differ between kv v1 and cubbyhole.
    var missingDataError: LogicalError

    func read(_ request: LogicalRequest) async throws -> [String: JSONValue]? {
        guard let raw = try await request.storage.get(request.path) else { return nil }
        return try JSONValue.parse(raw).objectValue ?? [:]
    }

    func write(_ request: LogicalRequest) async throws -> LogicalResponse? {
        if request.path.isEmpty || request.path.hasSuffix("/") { throw KVErrors.writeToFolder }
        if request.data.isEmpty { throw missingDataError }
        try await request.storage.put(request.path, JSONValue.object(request.data).serializedData())
        return nil
    }

    func delete(_ request: LogicalRequest) async throws -> LogicalResponse? {
        try await request.storage.delete(request.path)
        return nil
    }

    func list(_ request: LogicalRequest) async throws -> LogicalResponse? {
        let keys = try await request.storage.list(prefix: folderPrefix(request.path))
        if keys.isEmpty { throw LogicalError.notFound }
        return LogicalResponse(data: ["keys": .array(keys.map { .string($0) })])
    }

    func exists(_ request: LogicalRequest) async throws -> Bool {
        if request.path.isEmpty { return false }
        return try await request.storage.get(request.path) != nil
    }
}
