import CofferSDK
import Logging
import CofferTesting
import UserpassAuth

/// Drives the userpass engine the way the core does, on an in-memory backend.
struct Harness {
    let engine: any SecretsEngine = makeUserpassAuth(
        EngineConfiguration(mountPath: "auth/userpass/", type: "userpass", logger: Logger(label: "test")))
    let storage = InMemoryPhysicalBackend()

    func request(
        _ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:], remoteAddress: String? = "127.0.0.1",
        auth: AuthInfo? = nil
    ) -> LogicalRequest {
        LogicalRequest(
            operation: op, path: path, data: data, storage: storage, mountPoint: "auth/userpass/", mountType: "userpass",
            remoteAddress: remoteAddress, auth: auth)
    }

    @discardableResult
    func send(
        _ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:], remoteAddress: String? = "127.0.0.1",
        auth: AuthInfo? = nil
    ) async throws -> LogicalResponse? {
        try await EngineDispatch.send(engine, request(op, path, data, remoteAddress: remoteAddress, auth: auth))
    }

    /// The error a request fails with, or nil.
    func error(
        _ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:], remoteAddress: String? = "127.0.0.1",
        auth: AuthInfo? = nil
    ) async -> LogicalError? {
        do {
            _ = try await send(op, path, data, remoteAddress: remoteAddress, auth: auth)
            return nil
        } catch let e as LogicalError {
            return e
        } catch {
            return LogicalError.internalError("\(error)")
        }
    }

    func login(_ user: String, _ password: String, remoteAddress: String? = "127.0.0.1") async throws -> AuthInfo? {
        try await send(.update, "login/\(user)", ["password": .string(password)], remoteAddress: remoteAddress)?.auth
    }

    func read(_ user: String) async throws -> [String: JSONValue]? {
        try await send(.read, "users/\(user)")?.data
    }
}
