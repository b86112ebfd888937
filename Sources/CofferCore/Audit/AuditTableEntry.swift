import CofferAuditChain
import CofferSDK
import Crypto
import Dispatch
import Foundation
import Synchronization

/// One row of the audit table, kept inside the barrier at `core/audit`: the device's salt (the HMAC key of
/// audited values) and its chain key never leave it, but for `sys/audit-chain` (sudo).
struct AuditTableEntry: Sendable, Equatable {
    var path: String
    var type: String
    var description: String
    var options: [String: String]
    var local: Bool
    var salt: [UInt8]
    var chainKey: [UInt8]

    func storageJSON() -> JSONValue {
        [
            "path": .string(path), "type": .string(type), "description": .string(description),
            "options": .object(options.mapValues { .string($0) }), "local": .bool(local),
            "salt": .string(Data(salt).base64EncodedString()), "chain_key": .string(Data(chainKey).base64EncodedString()),
        ]
    }

    func apiJSON() -> JSONValue {
        [
            "type": .string(type), "description": .string(description), "options": .object(options.mapValues { .string($0) }),
            "local": .bool(local), "path": .string(path),
        ]
    }
}

/// Read from the stored table (outside the type, so that the memberwise initializer stays synthesized).
extension AuditTableEntry {
    init(storage v: JSONValue) throws {
        guard let path = v["path"]?.stringValue, let type = v["type"]?.stringValue,
            let salt = v["salt"]?.stringValue.flatMap({ Data(base64Encoded: $0) }),
            let key = v["chain_key"]?.stringValue.flatMap({ Data(base64Encoded: $0) })
        else { throw LogicalError.internalError("corrupt audit table entry") }
        self.init(
            path: path, type: type, description: v["description"]?.stringValue ?? "",
            options: (v["options"]?.objectValue ?? [:]).compactMapValues { $0.stringValue }, local: v["local"]?.boolValue ?? false,
            salt: Array(salt), chainKey: Array(key))
    }
}
