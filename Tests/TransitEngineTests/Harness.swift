import CofferSDK
import Foundation
import CofferTesting
import Logging
import Testing

@testable import TransitEngine

/// Drives the transit engine the way the core does, on an in-memory backend.
struct Harness {
    let engine: any SecretsEngine
    let storage = InMemoryPhysicalBackend()

    init() {
        engine = makeTransitEngine(EngineConfiguration(mountPath: "transit/", type: "transit", logger: Logger(label: "test")))
    }

    init(engine: any SecretsEngine) { self.engine = engine }

    func request(_ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:]) -> LogicalRequest {
        LogicalRequest(operation: op, path: path, data: data, storage: storage, mountPoint: "transit/")
    }

    @discardableResult
    func send(_ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:]) async throws -> LogicalResponse? {
        try await EngineDispatch.send(engine, request(op, path, data))
    }

    /// `data` of a successful request.
    func data(_ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:]) async throws -> [String: JSONValue] {
        let resp = try #require(try await send(op, path, data))
        return try #require(resp.data)
    }

    func string(_ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue], _ field: String) async throws -> String {
        let d = try await self.data(op, path, data)
        return try #require(d[field]?.stringValue)
    }

    /// The error a request fails with, or nil.
    func error(_ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:]) async -> LogicalError? {
        do {
            _ = try await send(op, path, data)
            return nil
        } catch let e as LogicalError {
            return e
        } catch {
            return LogicalError.internalError("\(error)")
        }
    }

    /// Restores a key with given material through `restore/` (how a key made elsewhere is brought in).
    func restoreKey(
        _ name: String, type: String, key: String, hmacKey: String = "MjM0NTY3ODk6Ozw9Pj9AQUJDREVGR0hJSktMTU5PUFE=",
        derived: Bool = false
    ) async throws {
        let policy: JSONValue = [
            "name": .string(name), "type": .string(type), "latest_version": 1, "min_decryption_version": 1,
            "exportable": true, "allow_plaintext_backup": true, "derived": .bool(derived),
            "keys": ["1": ["key": .string(key), "hmac_key": .string(hmacKey), "time": "2026-01-01T00:00:00Z", "creation_time": 1_767_225_600]],
        ]
        let doc: JSONValue = ["policy": policy]
        let backup = Data(doc.serialized().utf8).base64EncodedString()
        #expect(try await send(.update, "restore", ["backup": .string(backup)]) == nil)
    }
}

func b64(_ s: String) -> JSONValue { .string(Data(s.utf8).base64EncodedString()) }
func unb64(_ v: JSONValue?) -> String? {
    guard let s = v?.stringValue, let d = Data(base64Encoded: s) else { return nil }
    return String(decoding: d, as: UTF8.self)
}
