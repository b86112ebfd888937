import CofferAuditChain
import CofferSDK
import Crypto
import Foundation
import Logging
import Synchronization

/// What the core learned about a request while handling it, for its audit lines.
struct AuditContext: Sendable {
    var request: CoreRequest
    var operation: CofferSDK.Operation
    var token: TokenEntry? = nil
    var mount: (point: String, type: String, accessor: String)? = nil
    var nonHMACRequestKeys: Set<String> = []
    var nonHMACResponseKeys: Set<String> = []
    var requestLogged = false
    var requestLogFailed = false
    /// The devices enabled when the request arrived; its response goes to the same ones.
    var devices: [AuditDevice]

    init(request: CoreRequest, devices: [AuditDevice]) {
        self.request = request
        self.devices = devices
        operation = request.operation
    }

    func record(_ kind: AuditRecord.Kind, time: Date, response: CoreResponse? = nil, error: String? = nil) -> AuditRecord {
        AuditRecord(
            kind: kind, time: time, request: request, operation: operation, token: token, mount: mount,
            nonHMACRequestKeys: nonHMACRequestKeys, nonHMACResponseKeys: nonHMACResponseKeys, response: response, error: error)
    }
}
