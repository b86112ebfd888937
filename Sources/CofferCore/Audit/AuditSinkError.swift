import CofferSDK
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an audit device could not record a line. The text names the device's target, never the line.
struct AuditSinkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
    static func errno(_ what: String, _ code: Int32 = currentErrno()) -> AuditSinkError {
        AuditSinkError("\(what): \(String(cString: strerror(code)).lowercased())")
    }
}
