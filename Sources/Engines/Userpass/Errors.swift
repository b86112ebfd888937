import CofferSDK

/// Error texts of the userpass method, as OpenBao 2.7 words them.
///
/// OpenBao wraps plain Go errors on authenticated paths as a one-item multierror ("1 error occurred: ..."), but not on
/// the unauthenticated login path; errors OpenBao returns as error responses (400s) are never wrapped.
enum UserpassErrors {
    static func wrapped(_ message: String) -> String { "1 error occurred:\n\t* \(message)\n\n" }

    static let unsupportedOperation = LogicalError(.unsupportedOperation, wrapped("unsupported operation"))
    static let unsupportedPath = LogicalError(.unsupportedPath, wrapped("unsupported path"))
    static let unsupportedOperationLogin = LogicalError(.unsupportedOperation, "unsupported operation")
    static let unsupportedPathLogin = LogicalError(.unsupportedPath, "unsupported path")

    /// A wrong password and an unknown user fail identically (400).
    static let invalidCredentials = LogicalError(.invalidCredentials, "invalid username or password")
    /// OpenBao answers a login without a password with a 500.
    static let missingPassword = LogicalError(.internal, "missing password")
    static let missingPasswordOnCreate = LogicalError.invalidRequest("must provide either password or password_hash")
    static let passwordTooShort = LogicalError.invalidRequest(
        "password must be at least \(PasswordHasher.minimumLength) characters")
    static let passwordAndHash = LogicalError.invalidRequest("only one of password or password_hash may be provided")
    static let invalidPasswordHash = LogicalError.invalidRequest("password_hash is not a valid bcrypt hash")
    /// `users/:username/password` and `users/:username/policies` for a missing user (OpenBao: 500).
    static let userDoesNotExist = LogicalError(.internal, wrapped("username does not exist"))
    /// Renewal refused because the user's policies differ from the token's.
    static let policiesChanged = LogicalError(.internal, "policies have changed, not renewing")

    static func field(_ name: String, _ detail: String) -> LogicalError {
        .invalidRequest("error converting input for field \"\(name)\": \(detail)")
    }
}
