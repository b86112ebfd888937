import CofferSDK
import Logging

/// Builds the `userpass` auth method for a mount (`auth/<path>/`).
@Sendable public func makeUserpassAuth(_ config: EngineConfiguration) -> any SecretsEngine {
    UserpassEngine(logger: config.logger)
}

/// Username/password logins with bcrypt-hashed passwords, speaking OpenBao's `userpass` API:
///
/// - `users/` (LIST), `users/:username` (create/update/read/delete)
/// - `users/:username/password` and `users/:username/policies` (update)
/// - `login/:username` (update, unauthenticated) and renewal of the tokens it issued
///
/// Usernames are lowercased. Each user is one JSON record at `user/<username>` in the mount's storage; it holds the
/// bcrypt hash, never the password (see ``PasswordHasher`` for the hashing rules).
struct UserpassEngine: SecretsEngine {
    let logger: Logger
    /// Serialises read-modify-write of user records.
    let lock = AsyncLock()

    var specialPaths: SpecialPaths { SpecialPaths(unauthenticated: ["login/*"]) }

    enum Route: Equatable {
        case users
        case user(String)
        case password(String)
        case policies(String)
        case login(String)
    }

    /// Routes a mount-relative path; usernames come back lowercased. Nil for paths OpenBao does not serve.
    static func route(_ path: String) -> Route? {
        if path == "users" || path == "users/" { return .users }
        if path.hasPrefix("users/") {
            let parts = path.dropFirst("users/".count).split(separator: "/", omittingEmptySubsequences: false)
            guard let first = parts.first, isValidUsername(first) else { return nil }
            let name = first.lowercased()
            switch parts.count {
            case 1: return .user(name)
            case 2 where parts[1] == "password": return .password(name)
            case 2 where parts[1] == "policies": return .policies(name)
            default: return nil
            }
        }
        if path.hasPrefix("login/") {
            let name = path.dropFirst("login/".count)
            guard isValidUsername(name) else { return nil }
            return .login(name.lowercased())
        }
        return nil
    }

    /// OpenBao's generic name pattern `\w(([\w-.]+)?\w)?` (ASCII word characters).
    static func isValidUsername(_ name: some StringProtocol) -> Bool {
        func isWord(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
        }
        let bytes = Array(name.utf8)
        guard let first = bytes.first, let last = bytes.last, isWord(first), isWord(last) else { return false }
        return bytes.allSatisfy { isWord($0) || $0 == 0x2D || $0 == 0x2E }
    }

    func handle(_ request: LogicalRequest) async throws -> LogicalResponse? {
        let op = request.operation
        let isLoginPath = request.path.hasPrefix("login/")
        guard let route = Self.route(request.path) else {
            throw isLoginPath ? UserpassErrors.unsupportedPathLogin : UserpassErrors.unsupportedPath
        }
        switch route {
        case .users:
            guard op == .list else { throw UserpassErrors.unsupportedOperation }
            return try await listUsers(request)
        case .user(let name):
            switch op {
            case .read: return try await readUser(request, name: name)
            case .create, .update: return try await writeUser(request, name: name)
            case .delete: return try await deleteUser(request, name: name)
            default: throw UserpassErrors.unsupportedOperation
            }
        case .password(let name):
            guard op == .create || op == .update else { throw UserpassErrors.unsupportedOperation }
            return try await updatePassword(request, name: name)
        case .policies(let name):
            guard op == .create || op == .update else { throw UserpassErrors.unsupportedOperation }
            return try await updatePolicies(request, name: name)
        case .login(let name):
            switch op {
            case .create, .update: return try await login(request, name: name)
            case .renew: return try await renew(request)
            default: throw UserpassErrors.unsupportedOperationLogin
            }
        }
    }

    func existenceCheck(_ request: LogicalRequest) async throws -> Bool? {
        guard case .user(let name) = Self.route(request.path) else { return nil }
        return try await request.storage.get(UserEntry.storageKey(name)) != nil
    }

    func loginIdentifier(_ request: LogicalRequest) -> String? {
        guard request.operation == .create || request.operation == .update,
            case .login(let name) = Self.route(request.path)
        else { return nil }
        return name
    }
}
