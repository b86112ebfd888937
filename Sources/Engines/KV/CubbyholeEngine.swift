import CofferSDK

/// The cubbyhole engine: kv v1 semantics on storage the core scopes to the calling token, without lease
/// durations.
struct CubbyholeEngine: SecretsEngine {
    let store = PassthroughStore(missingDataError: LogicalError(.internal, "1 error occurred:\n\t* missing data fields\n\n"))
    static let missingPath = LogicalError(.internal, "1 error occurred:\n\t* missing path\n\n")

    func handle(_ request: LogicalRequest) async throws -> LogicalResponse? {
        switch request.operation {
        case .read:
            if request.path.isEmpty { throw Self.missingPath }
            guard let data = try await store.read(request) else { throw LogicalError.notFound }
            return LogicalResponse(data: data)
        case .create, .update: return try await store.write(request)
        case .delete:
            if request.path.isEmpty { throw Self.missingPath }
            return try await store.delete(request)
        case .list: return try await store.list(request)
        case .patch:
            try requireMergePatchContentType(request)
            throw KVErrors.unsupportedOperation
        case .help, .renew: throw KVErrors.unsupportedOperation
        }
    }

    func existenceCheck(_ request: LogicalRequest) async throws -> Bool? {
        try await store.exists(request)
    }
}
