import CofferSDK

/// `users/`, `users/:username`, `users/:username/password`, `users/:username/policies`.
extension UserpassEngine {
    func loadUser(_ storage: any LogicalStorage, _ name: String) async throws -> UserEntry? {
        guard let v = try await storage.getJSON(UserEntry.storageKey(name)) else { return nil }
        return try UserEntry(stored: v)
    }

    func saveUser(_ storage: any LogicalStorage, _ name: String, _ user: UserEntry) async throws {
        try await storage.putJSON(UserEntry.storageKey(name), user.stored)
    }

    static func username(_ request: PathRequest) throws -> String { try request.fields.string("username").lowercased() }

    func listUsers(_ request: PathRequest) async throws -> LogicalResponse? {
        let keys = try await request.storage.list(prefix: "user/")
        if keys.isEmpty { throw LogicalError.notFound }
        return LogicalResponse(data: ["keys": .array(keys.map { .string($0) })])
    }

    func readUser(_ request: PathRequest) async throws -> LogicalResponse? {
        guard let user = try await loadUser(request.storage, try Self.username(request)) else { throw LogicalError.notFound }
        return LogicalResponse(data: user.responseData)
    }

    func deleteUser(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try Self.username(request)
        try await lock.withLock { try await request.storage.delete(UserEntry.storageKey(name)) }
        return nil
    }

    /// A new password from `password` (hashed here) or `password_hash` (a bcrypt hash); nil when neither is given
    /// or both are empty.
    func newPassword(_ request: PathRequest) async throws -> (hash: String, scheme: PasswordHasher.Scheme)? {
        let password = try request.fields.string("password")
        let passwordHash = try request.fields.string("password_hash")
        if !password.isEmpty && !passwordHash.isEmpty { throw UserpassErrors.passwordAndHash }
        if !password.isEmpty {
            try PasswordHasher.validateNew(password)
            return (await PasswordHasher.hash(password), .prehashed)
        }
        if !passwordHash.isEmpty {
            guard PasswordHasher.isValidBcryptHash(passwordHash) else { throw UserpassErrors.invalidPasswordHash }
            return (passwordHash, .bcrypt)
        }
        return nil
    }

    func writeUser(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try Self.username(request)
        let password = try await newPassword(request)
        try await lock.withLock {
            let existing = try await loadUser(request.storage, name)
            var user = existing ?? UserEntry()
            if let password {
                user.passwordHash = password.hash
                user.passwordScheme = password.scheme
            } else if existing == nil {
                throw UserpassErrors.missingPasswordOnCreate
            }
            try user.applyTokenFields(request.fields)
            try await saveUser(request.storage, name, user)
        }
        return nil
    }

    func updatePassword(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try Self.username(request)
        guard try await loadUser(request.storage, name) != nil else { throw UserpassErrors.userDoesNotExist }
        guard let password = try await newPassword(request) else { throw UserpassErrors.missingPasswordOnCreate }
        try await lock.withLock {
            guard var user = try await loadUser(request.storage, name) else { throw UserpassErrors.userDoesNotExist }
            user.passwordHash = password.hash
            user.passwordScheme = password.scheme
            try await saveUser(request.storage, name, user)
        }
        return nil
    }

    /// `token_policies` wins over the legacy `policies`; with neither, nothing changes.
    func updatePolicies(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try Self.username(request)
        let policies = try request.fields.stringsIfSet("token_policies")
        let legacy = try request.fields.stringsIfSet("policies")
        try await lock.withLock {
            guard var user = try await loadUser(request.storage, name) else { throw UserpassErrors.userDoesNotExist }
            if let policies {
                user.token.policies = policies
                user.legacy.remove(.policies)
            } else if let legacy {
                user.token.policies = legacy
                user.legacy.insert(.policies)
            } else {
                return
            }
            try await saveUser(request.storage, name, user)
        }
        return nil
    }
}
