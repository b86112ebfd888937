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
    /// A Go `error` returned by an OpenBao handler, as opposed to an error response it answered: the core wraps
    /// it in go-multierror's text (`1 error occurred:\n\t* …\n\n`) on authenticated requests, once, for every
    /// backend; login requests show it bare.
    public var isGoError: Bool = false
    /// An error response an auth method's renew handler answered (OpenBao's `logical.ErrorResponse`), which the
    /// token store passes to the client as it is instead of as a failed renewal (`failed to renew entry: …`, 500).
    public var isRenewalErrorResponse: Bool = false

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.messages = [message]
    }

    /// A Go error (see ``isGoError``): written bare here, wrapped by the core where OpenBao wraps it.
    public static func goError(_ code: Code, _ message: String) -> LogicalError {
        var e = LogicalError(code, message)
        e.isGoError = true
        return e
    }

    /// A renew handler's error response (see ``isRenewalErrorResponse``): a 400 with this text.
    public static func renewalErrorResponse(_ message: String) -> LogicalError {
        var e = LogicalError(.invalidRequest, message)
        e.isRenewalErrorResponse = true
        return e
    }

    /// go-multierror's text for one error.
    public static func multiErrorText(_ text: String) -> String { "1 error occurred:\n\t* \(text)\n\n" }

    /// This error as the client sees it on an authenticated request: a Go error in multierror's text.
    public var wrappedForClient: LogicalError {
        guard isGoError else { return self }
        var e = LogicalError(code, messages: messages.map(Self.multiErrorText))
        e.isGoError = false
        return e
    }

    public init(_ code: Code, messages: [String]) {
        self.code = code
        self.messages = messages
    }

    public var description: String { messages.joined(separator: "; ") }

    public static func invalidRequest(_ message: String) -> LogicalError { LogicalError(.invalidRequest, message) }
    public static let permissionDenied = LogicalError(.permissionDenied, "permission denied")
    public static let sealed = LogicalError(.sealed, "Vault is sealed")
    public static func unsupportedPath(_ path: String) -> LogicalError { LogicalError(.unsupportedPath, multiErrorText("unsupported path")) }
    public static let unsupportedOperation = LogicalError(.unsupportedOperation, "unsupported operation")
    /// The framework's answer for a path no route of the engine matches (a Go error: wrapped on authenticated paths).
    public static let noRoute = goError(.unsupportedPath, "unsupported path")
    /// The framework's answer for an operation the matched route does not declare.
    public static let noOperation = goError(.unsupportedOperation, "unsupported operation")
    public static let notFound = LogicalError(.notFound, messages: [])
    public static func internalError(_ message: String) -> LogicalError { LogicalError(.internal, message) }
}

extension LogicalError.Code {
    /// The HTTP status of an error with this code: the one table the HTTP layer answers with and the request
    /// metrics count by.
    public var httpStatus: Int {
        switch self {
        case .invalidRequest, .invalidCredentials: return 400
        case .permissionDenied: return 403
        case .unsupportedPath, .notFound: return 404
        case .unsupportedOperation: return 405
        case .conflict: return 409
        case .preconditionFailed: return 412
        case .payloadTooLarge: return 413
        case .unsupportedMediaType: return 415
        case .rateLimited: return 429
        case .internal: return 500
        case .notInitialized: return 501
        case .sealed: return 503
        case .status(let s): return s
        }
    }
}
