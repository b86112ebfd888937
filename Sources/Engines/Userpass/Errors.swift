import CofferSDK

/// Error texts of the userpass method, as OpenBao 2.7 words them.
enum UserpassErrors {
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
    static let userDoesNotExist = LogicalError.goError(.internal, "username does not exist")
    /// Renewal refused because the user's policies differ from the token's.
    static let policiesChanged = LogicalError(.internal, "policies have changed, not renewing")
}
