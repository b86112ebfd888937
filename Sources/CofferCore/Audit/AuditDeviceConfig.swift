import CofferAuditChain
import CofferSDK
import Crypto
import Foundation
import Logging
import Synchronization

/// An audit device declared in the server configuration (`audit "file" "name" { ... }`).
public struct AuditDeviceConfig: Sendable, Hashable {
    public var type: String
    public var path: String
    public var description: String
    public var options: [String: String]
    public var local: Bool

    public init(type: String, path: String, description: String = "", options: [String: String] = [:], local: Bool = false) {
        self.type = type
        self.path = path
        self.description = description
        self.options = options
        self.local = local
    }
}
