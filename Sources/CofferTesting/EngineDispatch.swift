import CofferSDK

/// Sends a request to an engine the way the core does, for engine unit tests: an `update` on an authenticated path
/// (or a `create`) first runs the existence check (which validates the fields, and turns the update into a create when the target
/// is missing), and a Go error the engine throws is wrapped in multierror's text unless the path is a login path.
public enum EngineDispatch {
    public static func send(_ engine: any SecretsEngine, _ request: LogicalRequest) async throws -> LogicalResponse? {
        var request = request
        let unauthenticated = engine.specialPaths.unauthenticated.contains { pattern in
            pattern.hasSuffix("*") ? request.path.hasPrefix(String(pattern.dropLast())) : pattern == request.path
        }
        do {
            if request.operation == .update || request.operation == .create, !unauthenticated,
                let exists = try await engine.existenceCheck(request), !exists
            {
                request.operation = .create
            }
            return try await engine.handle(request)
        } catch let e as LogicalError where e.isGoError {
            throw unauthenticated ? LogicalError(e.code, messages: e.messages) : e.wrappedForClient
        }
    }
}
