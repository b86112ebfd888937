import CofferSDK
import CofferTesting
import KVEngine
import Logging

/// Drives an engine the way the core does, on an in-memory backend.
struct Harness {
    let engine: any SecretsEngine
    let storage: InMemoryPhysicalBackend

    init(version: String) {
        engine = makeKVEngine(EngineConfiguration(mountPath: "secret/", type: "kv", options: ["version": version], logger: Logger(label: "test")))
        storage = InMemoryPhysicalBackend()
    }

    init(cubbyhole: Void) {
        engine = makeCubbyholeEngine(EngineConfiguration(mountPath: "cubbyhole/", type: "cubbyhole", logger: Logger(label: "test")))
        storage = InMemoryPhysicalBackend()
    }

    /// Another engine over existing storage (a mount whose engine changed, as after a kv upgrade).
    init(engine: any SecretsEngine, storage: InMemoryPhysicalBackend) {
        self.engine = engine
        self.storage = storage
    }

    func request(_ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:], contentType: String? = nil) -> LogicalRequest {
        LogicalRequest(operation: op, path: path, data: data, contentType: contentType, storage: storage, mountPoint: "secret/")
    }

    @discardableResult
    func send(_ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:], contentType: String? = nil) async throws -> LogicalResponse? {
        try await EngineDispatch.send(engine, request(op, path, data, contentType: contentType))
    }

    func patch(_ path: String, _ data: [String: JSONValue]) async throws -> LogicalResponse? {
        try await send(.patch, path, data, contentType: "application/merge-patch+json")
    }

    /// The error a request fails with, or nil.
    func error(_ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:], contentType: String? = nil) async -> LogicalError? {
        do {
            _ = try await send(op, path, data, contentType: contentType)
            return nil
        } catch let e as LogicalError {
            return e
        } catch {
            return LogicalError.internalError("\(error)")
        }
    }
}
