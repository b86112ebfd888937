import CofferSDK
import Foundation
import Synchronization

/// Stores password policies (`core/password-policy/<name>` inside the barrier, as `{"policy": text}`) and caches
/// them parsed, so that generating a password never parses. Names are case-sensitive and may hold `/`.
final class PasswordPolicyStore: Sendable {
    let storage: any LogicalStorage
    private let cache = Mutex<[String: PasswordPolicy]>([:])

    init(storage: any LogicalStorage) {
        self.storage = storage
    }

    /// Drops every parsed policy (on seal and unseal).
    func invalidateAll() {
        cache.withLock { $0.removeAll() }
    }

    /// The stored text of a policy, as written (base64 already decoded).
    func text(_ name: String) async throws -> String? {
        try await storage.getJSON(name)?["policy"]?.stringValue
    }

    /// The parsed policy; nil when there is none.
    func policy(_ name: String) async throws -> PasswordPolicy? {
        if let p = cache.withLock({ $0[name] }) { return p }
        guard let text = try await text(name) else { return nil }
        let policy = try PasswordPolicyParser.parse(text)
        cache.withLock { $0[name] = policy }
        return policy
    }

    /// Stores a policy's text; the caller has validated it.
    func set(_ name: String, text: String, policy: PasswordPolicy) async throws {
        try await storage.putJSON(name, ["policy": .string(text)])
        cache.withLock { $0[name] = policy }
    }

    func delete(_ name: String) async throws {
        try await storage.delete(name)
        cache.withLock { $0[name] = nil }
    }

    /// Every policy name, those holding `/` included, sorted.
    func list() async throws -> [String] {
        try await storage.listRecursive(prefix: "")
    }
}

/// The password source engines get from the core (``Core/passwordSource``): a named policy from
/// `sys/policies/password`, or ``PasswordPolicy/default`` when no name is given.
///
/// ```swift
/// let password = try await configuration.passwords.generatePassword(policy: "db-passwords")
/// ```
struct CorePasswordSource: PasswordSource {
    let store: PasswordPolicyStore

    /// - Throws: ``LogicalError`` (500, a Go error) `no password policy found` for a name no policy has, which
    ///   OpenBao's database engine shows as `failed to generate password: no password policy found`.
    func generatePassword(policy name: String?) async throws -> String {
        guard let name, !name.isEmpty else { return try PasswordPolicy.default.generate() }
        guard let policy = try await store.policy(name) else { throw LogicalError.goError(.internal, "no password policy found") }
        return try policy.generate()
    }
}
