/// The one error type of the logical layer: a code that decides the HTTP status, and Vault's exact message.
///
/// The message is sent to clients and must never contain a secret.
public struct LogicalError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        /// 400
        case invalidRequest
        /// 400, and counted by the core as a failed login for lockout (`invalid username or password`).
        case invalidCredentials
        /// 403
        case permissionDenied
        /// 404 with the message (unsupported path, unknown mount)
        case unsupportedPath
        /// 404 with the given messages (possibly none)
        case notFound
        /// 405
        case unsupportedOperation
        /// 409
        case conflict
        /// 412
        case preconditionFailed
        /// 413
        case payloadTooLarge
        /// 415
        case unsupportedMediaType
        /// 429
        case rateLimited
        /// 500
        case `internal`
        /// 501
        case notInitialized
        /// 503
        case sealed
        /// any other status
        case status(Int)
    }

    public var code: Code
    public var messages: [String]

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.messages = [message]
    }

    public init(_ code: Code, messages: [String]) {
        self.code = code
        self.messages = messages
    }

    public var description: String { messages.joined(separator: "; ") }

    public static func invalidRequest(_ message: String) -> LogicalError { LogicalError(.invalidRequest, message) }
    public static let permissionDenied = LogicalError(.permissionDenied, "permission denied")
    public static let sealed = LogicalError(.sealed, "Vault is sealed")
    public static func unsupportedPath(_ path: String) -> LogicalError { LogicalError(.unsupportedPath, "1 error occurred:\n\t* unsupported path\n\n") }
    public static let unsupportedOperation = LogicalError(.unsupportedOperation, "unsupported operation")
    public static let notFound = LogicalError(.notFound, messages: [])
    public static func internalError(_ message: String) -> LogicalError { LogicalError(.internal, message) }
}
