import CofferSDK

/// The unversioned kv engine (kv v1): a `ttl` (or legacy `lease`) field in the stored data is reported as the
/// read's lease duration, without creating a lease.
struct KVv1Engine: SecretsEngine {
    let store = PassthroughStore(missingDataError: .invalidRequest("missing data fields"))

    func handle(_ request: LogicalRequest) async throws -> LogicalResponse? {
        switch request.operation {
        case .read:
            guard !request.path.isEmpty, let data = try await store.read(request) else { throw LogicalError.notFound }
            let ttl = Self.leaseSeconds(data)
            return LogicalResponse(data: data, secret: SecretInfo(ttl: ttl, renewable: false, leased: false))
        case .create, .update: return try await store.write(request)
        case .delete: return try await store.delete(request)
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

    /// The lease duration a read reports: `ttl` wins over `lease`; an unparseable value means the mount default
    /// (nil), while JSON null or an empty string means 0.
    static func leaseSeconds(_ data: [String: JSONValue]) -> Int64? {
        guard let value = data["ttl"] ?? data["lease"] else { return nil }
        // Out of range (past ~292 years) reads as no lease, like any other value that does not parse.
        return try? GoDuration.parseDurationSecond(value).get()
    }
}
