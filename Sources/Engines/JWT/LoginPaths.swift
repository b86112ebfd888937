import CofferSDK
import Foundation

/// `login` and the renewal of the tokens it issues.
extension JWTAuthEngine {
    func login(_ request: PathRequest) async throws -> LogicalResponse? {
        guard let config = try await loadConfig(request.storage) else {
            throw LogicalError.invalidRequest("could not load configuration")
        }
        var roleName = try request.fields.string("role")
        if roleName.isEmpty { roleName = config.defaultRole }
        if roleName.isEmpty { throw LogicalError.invalidRequest("missing role") }
        guard let role = try await loadRole(request.storage, roleName) else {
            throw LogicalError.invalidRequest("role \(FieldValue.goQuote(roleName)) could not be found")
        }
        if role.roleType == "oidc" { throw LogicalError.invalidRequest("role with oidc role_type is not allowed") }
        let token = try request.fields.string("jwt")
        if token.isEmpty { throw LogicalError.invalidRequest("missing token") }
        if !Self.allowed(request.logical.remoteAddress, role.token.boundCIDRs) {
            throw LogicalError.permissionDenied
        }

        let source: KeySource
        do {
            source = try await keySource(config)
        } catch {
            throw LogicalError.invalidRequest("error configuring token validator: \(error.message)")
        }
        let validator = TokenValidator(source: source, runtime: runtime)
        let expected = ExpectedClaims(
            issuer: config.boundIssuer, subject: role.boundSubject, audiences: role.boundAudiences,
            signingAlgorithms: config.jwtSupportedAlgs.isEmpty ? supportedSigningAlgorithms : config.jwtSupportedAlgs,
            notBeforeLeeway: role.notBeforeLeeway, expirationLeeway: role.expirationLeeway, clockSkewLeeway: role.clockSkewLeeway)
        let claims: [String: JSONValue]
        do {
            claims = try await validator.validate(token, expected: expected)
        } catch {
            throw LogicalError.invalidRequest("error validating token: \(error.message)")
        }
        if case .array(let aud)? = Claims.get(claims, "aud"), !aud.isEmpty, role.boundAudiences.isEmpty {
            throw LogicalError.invalidRequest("audience claim found in JWT but no audiences bound to the role")
        }
        let identity: Claims.Identity
        do {
            identity = try Claims.identity(claims, roleName: roleName, role: role)
        } catch {
            throw LogicalError.invalidRequest(error.message)
        }
        do {
            try Claims.validateBound(type: role.boundClaimsType, bound: role.boundClaims, claims: claims)
        } catch {
            throw LogicalError.invalidRequest("error validating claims: \(error.message)")
        }
        return LogicalResponse(auth: makeAuth(role: role, roleName: roleName, identity: identity))
    }

    func makeAuth(role: JWTRole, roleName: String, identity: Claims.Identity, extraMetadata: [String: String] = [:]) -> AuthInfo {
        var metadata = identity.metadata
        for (k, v) in extraMetadata { metadata[k] = v }
        var auth = AuthInfo(
            metadata: metadata, displayName: identity.userName, renewable: true,
            alias: AuthAlias(name: identity.userName, metadata: identity.metadata), internalData: ["role": roleName])
        role.token.apply(to: &auth)
        return auth
    }

    /// Renews a token from a login: the TTLs are the role's current ones; a deleted role refuses the renewal.
    func renew(_ request: PathRequest) async throws -> LogicalResponse? {
        guard var auth = request.logical.auth else { throw LogicalError.invalidRequest("request auth was nil") }
        guard let roleName = auth.internalData["role"], !roleName.isEmpty else {
            throw LogicalError.internalError("failed to fetch role_name during renewal")
        }
        guard let role = try await loadRole(request.storage, roleName) else {
            throw LogicalError.invalidRequest("role \(roleName) does not exist during renewal")
        }
        var current = auth
        role.token.apply(to: &current)
        auth.ttl = current.ttl
        auth.maxTTL = current.maxTTL
        auth.period = current.period
        return LogicalResponse(auth: auth)
    }
}
