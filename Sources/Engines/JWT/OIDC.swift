import CofferSDK
import Crypto
import Foundation
import Logging

extension JWTAuthEngine {
    /// `oidc/auth_url`: starts an authorization-code (or implicit) flow and returns the provider URL.
    func authURL(_ request: PathRequest) async throws -> LogicalResponse? {
        let empty = LogicalResponse(data: ["auth_url": ""])
        guard let config = try await loadConfig(request.storage) else {
            throw LogicalError.invalidRequest("could not load configuration")
        }
        guard config.authType == .oidcFlow else {
            throw LogicalError.invalidRequest("OIDC login is not configured for this mount")
        }
        var roleName = try request.fields.string("role")
        if roleName.isEmpty { roleName = config.defaultRole }
        if roleName.isEmpty { throw LogicalError.invalidRequest("missing role") }
        var redirectURI = try request.fields.string("redirect_uri")
        guard let role = try await loadRole(request.storage, roleName) else {
            throw LogicalError.invalidRequest("role \(FieldValue.goQuote(roleName)) could not be found")
        }
        let clientNonce = try request.fields.string("client_nonce")
        if clientNonce.isEmpty && (role.callbackMode == "direct" || role.callbackMode == "device") {
            throw LogicalError.invalidRequest("missing client_nonce")
        }
        if role.callbackMode == "device" {
            throw LogicalError.invalidRequest("device callback mode is not supported by this server")
        }
        if redirectURI.isEmpty { throw LogicalError.invalidRequest("missing redirect_uri") }

        if config.namespaceInState, var comps = URLComponents(string: redirectURI),
            let items = comps.queryItems, items.contains(where: { $0.name == "namespace" })
        {
            let rest = items.filter { $0.name != "namespace" }
            comps.percentEncodedQuery = rest.isEmpty ? nil : goEncodeValues(rest.map { ($0.name, $0.value ?? "") })
            redirectURI = comps.string ?? redirectURI
        }
        guard Self.validRedirect(redirectURI, role.allowedRedirectURIs) else {
            logger.warning("unauthorized redirect_uri", metadata: ["redirect_uri": "\(redirectURI)"])
            return empty
        }
        if config.oidcResponseMode == "form_post" {
            if let r = redirectURI.range(of: "ui/vault") { redirectURI.replaceSubrange(r, with: "v1") }
        }
        let doc: DiscoveryDocument
        do {
            doc = try await runtime.discover(config.oidcDiscoveryURL, caPEM: config.oidcDiscoveryCAPEM)
        } catch {
            logger.warning("error getting provider for login operation", metadata: ["error": "\(error)"])
            return empty
        }

        let implicit = config.hasResponseType("id_token")
        let state = "st_" + randomAlphanumeric(20)
        let nonce = "n_" + randomAlphanumeric(20)
        var verifier: String? = nil
        var params: [(String, String)] = [
            ("client_id", config.oidcClientID),
            ("redirect_uri", redirectURI),
            ("scope", (["openid"] + role.oidcScopes.filter { $0 != "openid" }).joined(separator: " ")),
            ("state", state),
            ("nonce", nonce),
        ]
        if implicit {
            params.append(("response_type", "id_token"))
            params.append(("response_mode", "form_post"))
        } else {
            params.append(("response_type", "code"))
            let v = randomToken(bytes: 32) + randomToken(bytes: 16)
            verifier = v
            let challenge = base64URLEncode(SHA256.hash(data: Data(v.utf8)))
            params.append(("code_challenge", challenge))
            params.append(("code_challenge_method", "S256"))
        }
        if role.maxAge > 0 { params.append(("max_age", String(role.maxAge))) }

        await runtime.storeRequest(
            OIDCRequestState(
                state: state, nonce: nonce, roleName: roleName, redirectURI: redirectURI, codeVerifier: verifier,
                clientNonce: clientNonce, audiences: role.boundAudiences,
                expires: Date().addingTimeInterval(runtime.requestTimeout)))

        let endpoint = doc.authorizationEndpoint
        let url = endpoint + (endpoint.contains("?") ? "&" : "?") + goEncodeValues(params)
        var data: [String: JSONValue] = ["auth_url": .string(url)]
        if role.callbackMode == "direct" {
            data["state"] = .string(state)
            data["poll_interval"] = .string(String(role.pollInterval != 0 ? role.pollInterval : 5))
        }
        return LogicalResponse(data: data)
    }

    /// RFC 8252 §7.3: loopback redirect URIs match regardless of port.
    static func validRedirect(_ uri: String, _ allowed: [String]) -> Bool {
        guard let input = URLComponents(string: uri) else { return false }
        guard let host = input.host, ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host) else {
            return allowed.contains(uri)
        }
        var i = input
        i.port = nil
        for a in allowed {
            guard var au = URLComponents(string: a) else { return false }
            au.port = nil
            if i.string == au.string { return true }
        }
        return false
    }

    /// What the provider (through the user's browser) sends to the callback.
    struct CallbackInput {
        var state: String
        var code: String
        var error: String
        var clientNonce: String
    }

    /// `oidc/callback` (GET): exchanges the code for tokens and logs in.
    func callback(_ request: PathRequest) async throws -> LogicalResponse? {
        let f = request.fields
        return try await callback(
            request,
            CallbackInput(
                state: try f.string("state"), code: try f.string("code"), error: try f.string("error"),
                clientNonce: try f.string("client_nonce")))
    }

    func callback(_ request: PathRequest, _ input: CallbackInput) async throws -> LogicalResponse? {
        guard let config = try await loadConfig(request.storage) else {
            throw LogicalError.invalidRequest(errLoginFailed + " Could not load configuration")
        }
        let stateID = input.state
        guard let oidcReq = await runtime.request(stateID) else {
            throw LogicalError.invalidRequest(errLoginFailed + " Expired or missing OAuth state.")
        }
        // The state is single-use whatever the outcome.
        await runtime.deleteRequest(stateID)
        guard let role = try await loadRole(request.storage, oidcReq.roleName) else {
            throw LogicalError.invalidRequest(errLoginFailed + " Role could not be found")
        }
        let oidcError = input.error.trimmingCharacters(in: .whitespaces).lowercased()
        if !oidcError.isEmpty {
            let known = [
                "invalid_request", "unauthorized_client", "access_denied", "unsupported_response_type", "invalid_scope", "server_error",
                "temporarily_unavailable",
            ]
            if known.contains(oidcError) { throw LogicalError.invalidRequest(errLoginFailed + " " + oidcError) }
            throw LogicalError.invalidRequest(
                errLoginFailed + " An unknown error occurred during OIDC authentication. Check server logs for details")
        }
        let clientNonce = input.clientNonce
        if !oidcReq.clientNonce.isEmpty && clientNonce != oidcReq.clientNonce && role.callbackMode != "direct" {
            throw LogicalError.invalidRequest("invalid client_nonce")
        }
        if !Self.allowed(request.logical.remoteAddress, role.token.boundCIDRs) {
            throw LogicalError.permissionDenied
        }
        let doc: DiscoveryDocument
        do {
            doc = try await runtime.discover(config.oidcDiscoveryURL, caPEM: config.oidcDiscoveryCAPEM)
        } catch {
            throw LogicalError.internalError("error getting provider for login operation: \(error)")
        }

        var code = input.code
        if code == "no_code" { code = oidcReq.code }
        let rawIDToken: String
        var tokenResponse: [String: JSONValue] = [:]
        if code.isEmpty {
            guard !oidcReq.idToken.isEmpty else {
                throw LogicalError.invalidRequest(errLoginFailed + " No code or id_token received.")
            }
            rawIDToken = oidcReq.idToken
        } else {
            do {
                tokenResponse = try await exchange(config: config, doc: doc, oidcReq: oidcReq, code: code)
            } catch {
                throw LogicalError.invalidRequest(errLoginFailed + " Error exchanging oidc code: \(FieldValue.goQuote(String(describing: error))).")
            }
            guard let idt = tokenResponse["id_token"]?.stringValue else {
                throw LogicalError.invalidRequest(
                    errLoginFailed + " Error exchanging oidc code: \(FieldValue.goQuote("id_token is missing from auth code exchange")).")
            }
            rawIDToken = idt
        }

        // Verify the ID token: signature, issuer, audience, times, nonce.
        var claims: [String: JSONValue]
        do {
            claims = try await verifyIDToken(rawIDToken, config: config, doc: doc, oidcReq: oidcReq)
        } catch let e as ValidationFailure {
            if code.isEmpty { throw LogicalError.invalidRequest("Token verification failed. \(e.message)") }
            throw LogicalError.invalidRequest(errLoginFailed + " Error exchanging oidc code: \(FieldValue.goQuote(e.message)).")
        }
        if let n = claims["nonce"] {
            if n != .string(oidcReq.nonce) { throw LogicalError.invalidRequest(errLoginFailed + " invalid ID token nonce.") }
            claims.removeValue(forKey: "nonce")
        }
        let subject = claims["sub"]?.stringValue ?? ""
        if !role.boundSubject.isEmpty && role.boundSubject != subject {
            throw LogicalError.invalidRequest(errLoginFailed + " sub claim does not match bound subject")
        }
        // Merge the userinfo endpoint's claims when an access token is available; failures are ignored.
        if let access = tokenResponse["access_token"]?.stringValue, !doc.userinfoEndpoint.isEmpty,
            let r = try? await IssuerHTTP.request(
                method: "GET", url: doc.userinfoEndpoint, caPEM: config.oidcDiscoveryCAPEM, headers: [("Authorization", "Bearer " + access)]),
            r.status == 200, let info = try? JSONValue.parse(r.body).objectValue,
            info["sub"]?.stringValue == subject
        {
            for (k, v) in info { claims[k] = v }
        }
        var oauth2: [String: String] = [:]
        for name in role.oauth2Metadata ?? [] {
            switch name {
            case "id_token": oauth2["oauth2_id_token"] = rawIDToken
            case "access_token": oauth2["oauth2_access_token"] = tokenResponse["access_token"]?.stringValue ?? ""
            case "refresh_token": oauth2["oauth2_refresh_token"] = tokenResponse["refresh_token"]?.stringValue ?? ""
            default: break
            }
        }
        if role.verboseOIDCLogging {
            logger.debug("OIDC provider response", metadata: ["claims": "\(JSONValue.object(claims).serialized())"])
        }
        let identity: Claims.Identity
        do {
            identity = try Claims.identity(claims, roleName: oidcReq.roleName, role: role)
        } catch {
            throw LogicalError.invalidRequest(errLoginFailed + " " + error.message)
        }
        do {
            try Claims.validateBound(type: role.boundClaimsType, bound: role.boundClaims, claims: claims)
        } catch {
            throw LogicalError.invalidRequest(errLoginFailed + " error validating claims: \(error.message)")
        }
        return LogicalResponse(auth: makeAuth(role: role, roleName: oidcReq.roleName, identity: identity, extraMetadata: oauth2))
    }

    /// Posts the authorization code to the token endpoint (client_secret_basic, PKCE verifier).
    func exchange(config: JWTConfig, doc: DiscoveryDocument, oidcReq: OIDCRequestState, code: String) async throws -> [String: JSONValue] {
        var form: [(String, String)] = [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", oidcReq.redirectURI),
        ]
        if let v = oidcReq.codeVerifier { form.append(("code_verifier", v)) }
        let basic = Data((goQueryEscape(config.oidcClientID) + ":" + goQueryEscape(config.oidcClientSecret)).utf8).base64EncodedString()
        let r = try await IssuerHTTP.request(
            method: "POST", url: doc.tokenEndpoint, caPEM: config.oidcDiscoveryCAPEM,
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Authorization", "Basic " + basic)],
            body: goEncodeValues(form))
        guard r.status >= 200 && r.status < 300 else {
            throw FetchError(
                description:
                    "Provider.Exchange: unable to exchange auth code with provider: oauth2: cannot fetch token: \(r.statusLine)\nResponse: \(String(decoding: r.body, as: UTF8.self))"
            )
        }
        guard let obj = try? JSONValue.parse(r.body).objectValue else {
            throw FetchError(description: "Provider.Exchange: unable to exchange auth code with provider: oauth2: cannot parse json")
        }
        return obj
    }

    /// OIDC ID token checks: signature from the provider's JWKS, `iss`, `aud` (client id or the role's
    /// bound audiences), `exp`/`iat`/`nbf`, and the algorithm.
    func verifyIDToken(_ token: String, config: JWTConfig, doc: DiscoveryDocument, oidcReq: OIDCRequestState) async throws
        -> [String: JSONValue]
    {
        let validator = TokenValidator(source: .remote(url: doc.jwksURI, caPEM: config.oidcDiscoveryCAPEM), runtime: runtime)
        let claims = try await validator.verifySignature(token)
        let jws: CompactJWS
        switch CompactJWS.parse(token) {
        case .success(let j): jws = j
        case .failure(.malformed(let m)): throw ValidationFailure(m)
        }
        let algs = config.jwtSupportedAlgs.isEmpty ? ["RS256"] : config.jwtSupportedAlgs
        guard algs.contains(jws.alg) else {
            throw ValidationFailure(
                "Provider.VerifyIDToken: invalid id_token signature: go-jose/go-jose: unexpected signature algorithm \(FieldValue.goQuote(jws.alg)); expected \(GoFormat.list(algs))"
            )
        }
        let iss = claims["iss"]?.stringValue ?? ""
        guard iss == doc.issuer else {
            throw ValidationFailure(
                "Provider.VerifyIDToken: invalid id_token issuer: id token issued by a different provider, expected \(FieldValue.goQuote(doc.issuer)) got \(FieldValue.goQuote(iss))"
            )
        }
        var aud: [String] = []
        if let a = claims["aud"] {
            if case .string(let s) = a { aud = [s] } else { aud = strings(a) }
        }
        let wanted = oidcReq.audiences.isEmpty ? [config.oidcClientID] : oidcReq.audiences
        guard wanted.contains(where: { aud.contains($0) }) else {
            throw ValidationFailure(
                "Provider.VerifyIDToken: invalid id_token audiences: oidc: expected audience \(FieldValue.goQuote(config.oidcClientID)) got \(GoFormat.list(aud))"
            )
        }
        let now = Date().timeIntervalSince1970
        let skew = 60.0
        if let exp = claims["exp"], let e = numeric(exp), now - skew > e {
            throw ValidationFailure("Provider.VerifyIDToken: invalid id_token expiration: oidc: token is expired")
        }
        if let nbf = claims["nbf"], let n = numeric(nbf), now + skew < n {
            throw ValidationFailure("Provider.VerifyIDToken: invalid id_token not before: oidc: current time is before the nbf (not before) time")
        }
        if let iat = claims["iat"], let i = numeric(iat), now + skew < i {
            throw ValidationFailure("Provider.VerifyIDToken: invalid id_token issued at: oidc: id token issued in the future")
        }
        if claims["nonce"]?.stringValue != oidcReq.nonce {
            throw ValidationFailure("Provider.VerifyIDToken: invalid id_token nonce: oidc: invalid nonce")
        }
        return claims
    }

    private func numeric(_ v: JSONValue) -> Double? {
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// `oidc/callback` (POST) for `form_post` response mode: records the code or ID token for the state.
    /// OpenBao answers with an HTML page that re-submits to the GET callback; this SDK has no raw-body
    /// responses, so the recorded values are used by the next GET callback with `code=no_code`.
    func callbackPost(_ request: PathRequest) async throws -> LogicalResponse? {
        guard let config = try await loadConfig(request.storage) else {
            throw LogicalError.invalidRequest(errLoginFailed + " Could not load configuration.")
        }
        // A bare 405, without a body, as OpenBao answers.
        guard config.oidcResponseMode == "form_post" else { return LogicalResponse(httpStatus: 405) }
        let stateID = try request.fields.string("state")
        guard var oidcReq = await runtime.request(stateID) else {
            throw LogicalError.invalidRequest(errLoginFailed + " Expired or missing OAuth state.")
        }
        oidcReq.code = try request.fields.string("code")
        oidcReq.idToken = try request.fields.string("id_token")
        await runtime.updateRequest(oidcReq)
        return try await callback(
            request, CallbackInput(state: stateID, code: "no_code", error: "", clientNonce: try request.fields.string("client_nonce")))
    }

    /// `oidc/poll`: only the direct/device callback modes use it; neither completes here.
    func poll(_ request: PathRequest) async throws -> LogicalResponse? {
        let stateID = try request.fields.string("state")
        guard let oidcReq = await runtime.request(stateID) else {
            throw LogicalError.invalidRequest(errLoginFailed + " Expired or missing OAuth state.")
        }
        let clientNonce = try request.fields.string("client_nonce")
        if !oidcReq.clientNonce.isEmpty && clientNonce != oidcReq.clientNonce {
            await runtime.deleteRequest(stateID)
            throw LogicalError.invalidRequest("invalid client_nonce")
        }
        guard try await loadRole(request.storage, oidcReq.roleName) != nil else {
            await runtime.deleteRequest(stateID)
            throw LogicalError.invalidRequest(errLoginFailed + " Role could not be found")
        }
        throw LogicalError.invalidRequest("authorization_pending")
    }
}
