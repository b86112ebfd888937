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

    func listUsers(_ request: LogicalRequest) async throws -> LogicalResponse? {
        let keys = try await request.storage.list(prefix: "user/")
        if keys.isEmpty { throw LogicalError.notFound }
        return LogicalResponse(data: ["keys": .array(keys.map { .string($0) })])
    }

    func readUser(_ request: LogicalRequest, name: String) async throws -> LogicalResponse? {
        guard let user = try await loadUser(request.storage, name) else { throw LogicalError.notFound }
        return LogicalResponse(data: user.responseData)
    }

    func deleteUser(_ request: LogicalRequest, name: String) async throws -> LogicalResponse? {
        try await lock.withLock { try await request.storage.delete(UserEntry.storageKey(name)) }
        return nil
    }

    /// A new password from `password` (hashed here) or `password_hash` (a bcrypt hash); nil when neither is given
    /// or both are empty.
    func newPassword(_ request: LogicalRequest) async throws -> (hash: String, scheme: PasswordHasher.Scheme)? {
        let f = Fields(request.data)
        let password = try f.string("password") ?? ""
        let passwordHash = try f.string("password_hash") ?? ""
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

    func writeUser(_ request: LogicalRequest, name: String) async throws -> LogicalResponse? {
        let fields = try TokenFieldsInput(Fields(request.data))
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
            try fields.apply(to: &user)
            try await saveUser(request.storage, name, user)
        }
        return nil
    }

    func updatePassword(_ request: LogicalRequest, name: String) async throws -> LogicalResponse? {
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
    func updatePolicies(_ request: LogicalRequest, name: String) async throws -> LogicalResponse? {
        let f = Fields(request.data)
        let policies = try f.commaStringSlice("token_policies")
        let legacy = try f.commaStringSlice("policies")
        try await lock.withLock {
            guard var user = try await loadUser(request.storage, name) else { throw UserpassErrors.userDoesNotExist }
            if let policies {
                user.tokenPolicies = policies
                user.legacyPolicies = false
            } else if let legacy {
                user.tokenPolicies = legacy
                user.legacyPolicies = true
            } else {
                return
            }
            try await saveUser(request.storage, name, user)
        }
        return nil
    }
}
