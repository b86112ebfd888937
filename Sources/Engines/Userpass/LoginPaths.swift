import CofferSDK
import Foundation

/// `login/:username` and the renewal of the tokens it issues.
extension UserpassEngine {
    /// Checks the password, then the user's bound CIDRs. An unknown user is checked against a dummy hash so that it
    /// costs as much as a wrong password and fails with the same error.
    func login(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try Self.username(request)
        let password = try request.fields.string("password")
        if password.isEmpty { throw UserpassErrors.missingPassword }
        let user: UserEntry?
        do {
            user = try await loadUser(request.storage, name)
        } catch {
            await PasswordHasher.verifyDummy(password)
            throw error
        }
        guard let user else {
            await PasswordHasher.verifyDummy(password)
            throw UserpassErrors.invalidCredentials
        }
        guard await PasswordHasher.verify(password, hash: user.passwordHash, scheme: user.passwordScheme) else {
            throw UserpassErrors.invalidCredentials
        }
        let cidrs = user.token.boundCIDRs
        if !cidrs.isEmpty && !cidrs.contains(where: { CIDRBlock($0)?.contains(request.logical.remoteAddress ?? "") ?? false }) {
            throw LogicalError.permissionDenied
        }
        return LogicalResponse(auth: user.authInfo(username: name))
    }

    /// Renews a token from `login/:username`: refused when the user's policies changed since login (compared as sets,
    /// ignoring `default`); a deleted user yields nil (OpenBao: 204, token not renewed). The TTLs are the user's
    /// current ones.
    func renew(_ request: PathRequest) async throws -> LogicalResponse? {
        guard let auth = request.logical.auth else { throw LogicalError.invalidRequest("request auth is missing") }
        guard let name = auth.metadata["username"] ?? auth.internalData["username"] else {
            throw LogicalError.internalError("missing username in token metadata")
        }
        guard let user = try await loadUser(request.storage, name.lowercased()) else { return nil }
        guard Self.equivalentPolicies(user.token.policies, auth.policies) else { throw UserpassErrors.policiesChanged }
        let current = user.authInfo(username: name)
        var renewed = auth
        renewed.ttl = current.ttl
        renewed.maxTTL = current.maxTTL
        renewed.period = current.period
        return LogicalResponse(auth: renewed)
    }

    /// Set equality of two policy lists, ignoring `default`, empty names and case.
    static func equivalentPolicies(_ a: [String], _ b: [String]) -> Bool {
        func normalize(_ p: [String]) -> Set<String> {
            Set(p.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty && $0 != "default" })
        }
        return normalize(a) == normalize(b)
    }
}
