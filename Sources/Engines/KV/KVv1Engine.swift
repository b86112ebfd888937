import CofferSDK

/// The unversioned kv engine (kv v1): a `ttl` (or legacy `lease`) field in the stored data is reported as the
/// read's lease duration, without creating a lease.
struct KVv1Engine: PassthroughEngine {
    static let missingData = LogicalError.invalidRequest("missing data fields")

    static let router = passthroughRouter(
        synopsis: "Read and write arbitrary secrets at any path below the mount.",
        description: """
            Each path holds one JSON object, stored as written and returned as it was stored. A "ttl" (or the older \
            "lease") member of the object is reported as the read's lease duration: a hint to readers of when to read \
            the secret again. It creates no lease and never removes the data.
            """,
        help: "The kv engine (version 1) stores arbitrary JSON objects at any path, without versions.")

    func read(_ request: PathRequest) async throws -> LogicalResponse? {
        guard !request.path.isEmpty, let data = try await stored(request) else { throw LogicalError.notFound }
        return LogicalResponse(data: data, secret: SecretInfo(ttl: Self.leaseSeconds(data), renewable: false, leased: false))
    }

    func delete(_ request: PathRequest) async throws -> LogicalResponse? { try await removeStored(request) }

    /// The lease duration a read reports: `ttl` wins over `lease`; an unparseable value means the mount default
    /// (nil), while JSON null or an empty string means 0.
    static func leaseSeconds(_ data: [String: JSONValue]) -> Int64? {
        guard let value = data["ttl"] ?? data["lease"] else { return nil }
        // Out of range (past ~292 years) reads as no lease, like any other value that does not parse.
        return try? GoDuration.parseDurationSecond(value).get()
    }
}
