import CofferSDK
import Logging

/// Builds the `userpass` auth method for a mount (`auth/<path>/`).
@Sendable public func makeUserpassAuth(_ config: EngineConfiguration) -> any SecretsEngine {
    UserpassEngine(logger: config.logger)
}

/// Username/password logins with bcrypt-hashed passwords, speaking OpenBao's `userpass` API. Usernames are
/// lowercased. Each user is one JSON record at `user/<username>` in the mount's storage; it holds the bcrypt hash,
/// never the password (see ``PasswordHasher`` for the hashing rules).
struct UserpassEngine: FrameworkEngine {
    let logger: Logger
    /// Serialises read-modify-write of user records.
    let lock = AsyncLock()

    static let legacy: [TokenParameters.Legacy] = [.policies, .ttl, .maxTTL, .boundCIDRs]
    static let username = Field("username", .string, "Username for this user.")
    static let password = Field("password", .string, "Password for this user.")
    static let passwordHash = Field("password_hash", .string, "Pre-hashed password in bcrypt format for this user.")

    static let router = PathRouter<UserpassEngine>([
        EnginePath(
            "users/?",
            operations: [.list: .init("List users.", method: UserpassEngine.listUsers)],
            synopsis: "Manage users allowed to authenticate.",
            description: "This endpoint returns a list of available users. Only the usernames are returned, not any other user attributes."),
        EnginePath(
            "users/{username}",
            fields: [username, password, passwordHash] + TokenParameters.fields(legacy: legacy),
            operations: [
                .read: .init("Read a user.", method: UserpassEngine.readUser),
                .create: .init("Create a user.", noContent: true, method: UserpassEngine.writeUser),
                .update: .init("Update a user.", noContent: true, method: UserpassEngine.writeUser),
                .delete: .init("Delete a user.", noContent: true, method: UserpassEngine.deleteUser),
            ],
            existenceCheck: { engine, req in try await engine.loadUser(req.storage, try req.fields.string("username").lowercased()) != nil },
            synopsis: "Manage users allowed to authenticate.",
            description: "This endpoint allows you to create, read, update, and delete users that are allowed to authenticate."),
        EnginePath(
            "users/{username}/password",
            fields: [username, password, passwordHash],
            operations: [.update: .init("Reset a user's password.", noContent: true, method: UserpassEngine.updatePassword)],
            synopsis: "Reset user's password.",
            description: "This endpoint allows resetting the user's password."),
        EnginePath(
            "users/{username}/policies",
            fields: [
                username, Field("token_policies", .commaStringSlice, "Comma-separated list of policies"),
                TokenParameters.Legacy.policies.field,
            ],
            operations: [.update: .init("Update the policies of a user.", noContent: true, method: UserpassEngine.updatePolicies)],
            synopsis: "Update the policies associated with the username.",
            description: "This endpoint allows updating the policies associated with the username."),
        EnginePath(
            "login/{username}",
            fields: [username, password],
            operations: [
                .update: .init("Log in with a username and password.", method: UserpassEngine.login),
                .renew: .init(method: UserpassEngine.renew),
            ],
            unauthenticated: true,
            synopsis: "Log in with a username and password.",
            description: "This endpoint authenticates using a username and password."),
    ], help: "The \"userpass\" credential provider allows authentication using a combination of a username and password.")

    func loginIdentifier(_ request: LogicalRequest) -> String? {
        guard request.operation == .create || request.operation == .update,
            let (_, preq) = Self.router.resolve(request), preq.pattern == "login/{username}",
            let name = try? preq.fields.string("username")
        else { return nil }
        return name.lowercased()
    }
}
