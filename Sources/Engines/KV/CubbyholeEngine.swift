import CofferSDK

/// The cubbyhole engine: kv v1 semantics on storage the core scopes to the calling token, without lease
/// durations.
struct CubbyholeEngine: PassthroughEngine {
    /// OpenBao's cubbyhole returns these as Go errors (500).
    static let missingData = LogicalError.goError(.internal, "missing data fields")
    static let missingPath = LogicalError.goError(.internal, "missing path")

    static let router = passthroughRouter(
        synopsis: "Read and write arbitrary secrets in the calling token's own cubbyhole.",
        description: """
            Each path holds one JSON object, stored as written. Every token sees its own cubbyhole: no other token, \
            not even a root token, can read it, and it is destroyed when the token is revoked or expires.
            """,
        help: "The cubbyhole engine gives every token a private store of arbitrary JSON objects, removed with the token.")

    func read(_ request: PathRequest) async throws -> LogicalResponse? {
        if request.path.isEmpty { throw Self.missingPath }
        guard let data = try await stored(request) else { throw LogicalError.notFound }
        return LogicalResponse(data: data)
    }

    func delete(_ request: PathRequest) async throws -> LogicalResponse? {
        if request.path.isEmpty { throw Self.missingPath }
        return try await removeStored(request)
    }
}
