import CofferSDK
import Foundation

/// Builds the `approle` auth method for a mount.
@Sendable public func makeAppRoleAuth(_ config: EngineConfiguration) -> any SecretsEngine {
    AppRoleAuth()
}

/// The approle auth method: roles with a role ID, secret IDs issued per role, and login with both.
///
/// Storage (scoped to the mount): `salt` (HMAC key), `role/<name>`, `role_id/<hmac>` (role-id index),
/// `secret_id/<role>/<hmac>` (secret-ID entries, keyed by the HMAC of the secret), `accessor/<accessor>`.
struct AppRoleAuth: SecretsEngine {
    /// Serialises every read-modify-write of roles, secret IDs and their use counts on this mount.
    let lock = AsyncLock()
    /// Decoded roles and secret IDs for logins.
    let records = DecodedRecords()

    enum Route: Equatable {
        case login
        case tidySecretID
        case roleList
        case role(String)
        /// `role/<name>/<field>` for the per-field sub-paths.
        case roleField(String, String)
        case roleID(String)
        case secretID(String)
        case secretIDLookup(String)
        case secretIDDestroy(String)
        case accessorLookup(String)
        case accessorDestroy(String)
        case customSecretID(String)
    }

    static let fieldPaths: Set<String> = [
        "policies", "token-ttl", "secret-id-num-uses", "secret-id-bound-cidrs", "token-bound-cidrs", "period",
        "token-num-uses", "token-max-ttl", "secret-id-ttl", "local-secret-ids", "bound-cidr-list",
    ]

    /// Role names as OpenBao's generic name pattern accepts them: word characters, with `-` and `.` inside.
    static func isValidRoleName(_ name: String) -> Bool {
        func word(_ c: Unicode.Scalar) -> Bool {
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_"
        }
        let scalars = Array(name.unicodeScalars)
        guard let first = scalars.first, let last = scalars.last, word(first), word(last) else { return false }
        return scalars.allSatisfy { word($0) || $0 == "-" || $0 == "." }
    }

    static func route(_ rawPath: String, operation: CofferSDK.Operation) -> Route? {
        var path = rawPath
        if operation == .list, path.hasSuffix("/") { path.removeLast() }
        if path == "login" { return .login }
        if path == "tidy/secret-id" { return .tidySecretID }
        if path == "role" { return .roleList }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, parts[0] == "role", isValidRoleName(parts[1]) else { return nil }
        let name = parts[1].lowercased()
        switch parts.count {
        case 2: return .role(name)
        case 3:
            switch parts[2] {
            case "role-id": return .roleID(name)
            case "secret-id": return .secretID(name)
            case "custom-secret-id": return .customSecretID(name)
            case let field where fieldPaths.contains(field): return .roleField(name, field)
            default: return nil
            }
        case 4:
            switch (parts[2], parts[3]) {
            case ("secret-id", "lookup"): return .secretIDLookup(name)
            case ("secret-id", "destroy"): return .secretIDDestroy(name)
            case ("secret-id-accessor", "lookup"): return .accessorLookup(name)
            case ("secret-id-accessor", "destroy"): return .accessorDestroy(name)
            default: return nil
            }
        default: return nil
        }
    }

    var specialPaths: SpecialPaths { SpecialPaths(unauthenticated: ["login"]) }

    func loginIdentifier(_ request: LogicalRequest) -> String? {
        guard request.path == "login" else { return nil }
        return request.string("role_id")
    }

    func existenceCheck(_ request: LogicalRequest) async throws -> Bool? {
        guard case .role(let name) = Self.route(request.path, operation: request.operation) else { return nil }
        return try await AppRoleStore(storage: request.storage).role(name) != nil
    }

    func handle(_ request: LogicalRequest) async throws -> LogicalResponse? {
        guard let route = Self.route(request.path, operation: request.operation) else { throw AppRoleErrors.unsupportedPath }
        var op = request.operation
        if op == .create { op = .update }
        let unsupported = AppRoleErrors.unsupportedOperation
        switch route {
        case .login:
            switch op {
            // OpenBao answers a read of the login path as a login too.
            case .update, .read: return try await login(request)
            case .renew: return try await renew(request)
            default: throw unsupported
            }
        case .tidySecretID:
            guard op == .update else { throw unsupported }
            return try await tidySecretIDs(request)
        case .roleList:
            guard op == .list else { throw unsupported }
            return try await listRoles(request)
        case .role(let name):
            switch op {
            case .read: return try await readRole(request, name: name)
            case .update: return try await writeRole(request, name: name)
            case .delete: return try await deleteRole(request, name: name)
            default: throw unsupported
            }
        case .roleField(let name, let field):
            switch op {
            case .read: return try await readRoleField(request, name: name, field: field)
            case .update where field != "local-secret-ids": return try await updateRoleField(request, name: name, field: field)
            case .delete where field != "local-secret-ids": return try await deleteRoleField(request, name: name, field: field)
            default: throw unsupported
            }
        case .roleID(let name):
            switch op {
            case .read: return try await readRoleID(request, name: name)
            case .update: return try await updateRoleID(request, name: name)
            default: throw unsupported
            }
        case .secretID(let name):
            switch op {
            case .update: return try await generateSecretID(request, name: name, custom: false)
            case .list: return try await listSecretIDAccessors(request, name: name)
            default: throw unsupported
            }
        case .customSecretID(let name):
            guard op == .update else { throw unsupported }
            return try await generateSecretID(request, name: name, custom: true)
        case .secretIDLookup(let name):
            guard op == .update else { throw unsupported }
            return try await lookupSecretID(request, name: name)
        case .secretIDDestroy(let name):
            guard op == .update || op == .delete else { throw unsupported }
            return try await destroySecretID(request, name: name)
        case .accessorLookup(let name):
            guard op == .update else { throw unsupported }
            return try await lookupAccessor(request, name: name)
        case .accessorDestroy(let name):
            guard op == .update || op == .delete else { throw unsupported }
            return try await destroyAccessor(request, name: name)
        }
    }
}
