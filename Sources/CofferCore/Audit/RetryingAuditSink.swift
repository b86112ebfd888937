import CofferAuditChain
import CofferSDK
import Crypto
import Foundation
import Logging
import Synchronization

/// Stands in for a device whose target could not be opened at unseal: every write tries to open it again.
final class RetryingAuditSink: AuditSink {
    let type: String
    let options: [String: String]
    private let inner = Mutex<(any AuditSink)?>(nil)

    init(type: String, options: [String: String]) {
        self.type = type
        self.options = options
    }

    var mayBlock: Bool { type != "file" }

    private func current() throws -> any AuditSink {
        try inner.withLock { s in
            if let s { return s }
            let made = try AuditDevice.makeSink(type: type, options: options)
            s = made
            return made
        }
    }

    func write(_ line: [UInt8]) throws { try current().write(line) }
    func appendChained(_ build: (_ resumeFrom: [UInt8]?) throws -> [UInt8]) throws { try current().appendChained(build) }
    func reopen() throws { try current().reopen() }
    func close() { inner.withLock { $0?.close() } }
    func lastLine() -> [UInt8]? { nil }
}
