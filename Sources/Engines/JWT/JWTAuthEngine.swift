import CofferSDK
import Foundation
import Logging

/// Creates the `jwt` / `oidc` auth method (one engine serves both mount types, as OpenBao's plugin does).
@Sendable public func makeJWTAuth(_ config: EngineConfiguration) -> any SecretsEngine {
    JWTAuthEngine(mountType: config.type, logger: config.logger)
}

/// OpenBao's error prefix for failed OIDC logins.
let errLoginFailed = "OpenBao login failed."

struct JWTAuthEngine: SecretsEngine {
    let mountType: String
    let logger: Logger
    let runtime = JWTRuntime()

    var specialPaths: SpecialPaths {
        SpecialPaths(unauthenticated: ["login", "oidc/auth_url", "oidc/callback", "oidc/poll"])
    }

    func handle(_ request: LogicalRequest) async throws -> LogicalResponse? {
        let path = request.path
        let op = request.operation
        switch path {
        case "config":
            switch op {
            case .read: return try await readConfig(request)
            case .update, .create: return try await writeConfig(request)
            default: throw LogicalError.unsupportedOperation
            }
        case "role", "role/":
            guard op == .list else { throw LogicalError.unsupportedOperation }
            return try await listRoles(request)
        case "login":
            switch op {
            case .update, .create: return try await login(request)
            case .renew: return try await renew(request)
            default: throw LogicalError.unsupportedOperation
            }
        case "oidc/auth_url":
            guard op == .update || op == .create else { throw LogicalError.unsupportedOperation }
            return try await authURL(request)
        case "oidc/callback":
            switch op {
            case .read: return try await callback(request)
            case .update, .create: return try await callbackPost(request)
            default: throw LogicalError.unsupportedOperation
            }
        case "oidc/poll":
            guard op == .update || op == .create else { throw LogicalError.unsupportedOperation }
            return try await poll(request)
        default:
            if path.hasPrefix("role/"), let name = Self.roleName(path) {
                switch op {
                case .read: return try await readRole(request, name)
                case .create, .update: return try await writeRole(request, name)
                case .delete: return try await deleteRole(request, name)
                default: throw LogicalError.unsupportedOperation
                }
            }
            throw LogicalError.unsupportedPath(path)
        }
    }

    func existenceCheck(_ request: LogicalRequest) async throws -> Bool? {
        guard request.path.hasPrefix("role/"), let name = Self.roleName(request.path) else { return nil }
        return try await loadRole(request.storage, name) != nil
    }

    func loginIdentifier(_ request: LogicalRequest) -> String? { nil }

    /// `framework.GenericNameRegex`: `\w(([\w-.@]+)?\w)?`, lowercased.
    static func roleName(_ path: String) -> String? {
        let name = String(path.dropFirst("role/".count))
        guard !name.isEmpty else { return nil }
        func word(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber || c == "_") }
        guard let first = name.first, let last = name.last, word(first), word(last) else { return nil }
        for c in name where !(word(c) || c == "-" || c == "." || c == "@") { return nil }
        return name.lowercased()
    }

    // MARK: Storage

    func loadConfig(_ storage: any LogicalStorage) async throws -> JWTConfig? {
        guard let v = try await storage.getJSON("config") else { return nil }
        return JWTConfig(json: v)
    }

    func loadRole(_ storage: any LogicalStorage, _ name: String) async throws -> JWTRole? {
        guard let v = try await storage.getJSON("role/" + name) else { return nil }
        return JWTRole(json: v)
    }

    // MARK: Config

    func readConfig(_ request: LogicalRequest) async throws -> LogicalResponse? {
        guard let config = try await loadConfig(request.storage) else { throw LogicalError.notFound }
        var providerConfig = config.providerConfig
        if let provider = providerConfig["provider"]?.stringValue, let sensitive = Self.providerSensitiveKeys[provider] {
            for k in sensitive { providerConfig.removeValue(forKey: k) }
        }
        var data: [String: JSONValue] = [
            "oidc_discovery_url": .string(config.oidcDiscoveryURL),
            "oidc_discovery_ca_pem": .string(config.oidcDiscoveryCAPEM),
            "oidc_client_id": .string(config.oidcClientID),
            "oidc_response_mode": .string(config.oidcResponseMode),
            "oidc_response_types": .array(config.oidcResponseTypes.map { .string($0) }),
            "default_role": .string(config.defaultRole),
            "jwt_validation_pubkeys": .array(config.jwtValidationPubKeys.map { .string($0) }),
            "jwt_supported_algs": .array(config.jwtSupportedAlgs.map { .string($0) }),
            "jwks_url": .string(config.jwksURL),
            "jwks_ca_pem": .string(config.jwksCAPEM),
            "bound_issuer": .string(config.boundIssuer),
            "provider_config": .object(providerConfig),
            "override_allowed_server_names": .array(config.overrideAllowedServerNames.map { .string($0) }),
            "namespace_in_state": .bool(config.namespaceInState),
        ]
        var warnings: [String] = []
        do {
            _ = try await keySource(config)
            data["status"] = "valid"
        } catch {
            warnings.append("failed to construct JWK validator: \(error.message)")
            data["status"] = "invalid"
        }
        return LogicalResponse(data: data, warnings: warnings)
    }

    static let knownProviders: Set<String> = ["azure", "gsuite", "ibmisam", "secureauth", "kubernetes"]
    static let providerSensitiveKeys: [String: [String]] = ["gsuite": ["gsuite_service_account"]]

    func writeConfig(_ request: LogicalRequest) async throws -> LogicalResponse? {
        var config = JWTConfig()
        config.oidcDiscoveryURL = try request.jwtString("oidc_discovery_url") ?? ""
        config.oidcDiscoveryCAPEM = try request.jwtString("oidc_discovery_ca_pem") ?? ""
        config.oidcClientID = try request.jwtString("oidc_client_id") ?? ""
        config.oidcClientSecret = try request.jwtString("oidc_client_secret") ?? ""
        config.oidcResponseMode = try request.jwtString("oidc_response_mode") ?? ""
        config.oidcResponseTypes = try request.jwtStringList("oidc_response_types") ?? []
        config.jwksURL = try request.jwtString("jwks_url") ?? ""
        config.jwksCAPEM = try request.jwtString("jwks_ca_pem") ?? ""
        config.defaultRole = (try request.jwtString("default_role") ?? "").lowercased()
        config.jwtValidationPubKeys = try request.jwtStringList("jwt_validation_pubkeys") ?? []
        config.jwtSupportedAlgs = try request.jwtStringList("jwt_supported_algs") ?? []
        config.boundIssuer = try request.jwtString("bound_issuer") ?? ""
        config.providerConfig = try request.jwtMap("provider_config") ?? [:]
        config.overrideAllowedServerNames = try request.jwtStringList("override_allowed_server_names") ?? []
        let skipJWKSValidation = try request.jwtBool("skip_jwks_validation") ?? false
        let jwksPairs = request.data["jwks_pairs"]?.arrayValue ?? []

        let existing = try await loadConfig(request.storage)
        if let ns = try request.jwtBool("namespace_in_state") {
            config.namespaceInState = ns
        } else {
            config.namespaceInState = existing?.namespaceInState ?? true
        }

        var methodCount = 0
        if !config.oidcDiscoveryURL.isEmpty { methodCount += 1 }
        if !config.jwtValidationPubKeys.isEmpty { methodCount += 1 }
        if !config.jwksURL.isEmpty { methodCount += 1 }
        if !jwksPairs.isEmpty { methodCount += 1 }

        var warnings: [String] = []
        if methodCount != 1 {
            throw LogicalError.invalidRequest(
                "exactly one of 'jwt_validation_pubkeys', 'jwks_url', 'jwks_pairs', 'oidc_discovery_url', or 'provider_config' must be set")
        }
        if config.oidcClientID.isEmpty != config.oidcClientSecret.isEmpty {
            throw LogicalError.invalidRequest("both 'oidc_client_id' and 'oidc_client_secret' must be set for OIDC")
        }
        if !config.oidcDiscoveryURL.isEmpty {
            if config.oidcDiscoveryURL.contains(".well-known") {
                throw LogicalError.invalidRequest("'oidc_discovery_url' contains '.well-known' component")
            }
            do {
                _ = try await runtime.discover(config.oidcDiscoveryURL, caPEM: config.oidcDiscoveryCAPEM, force: true)
            } catch {
                logger.error("error checking oidc discovery URL", metadata: ["error": "\(error)"])
                let detail =
                    config.oidcClientID.isEmpty
                    ? "\(error)" : "error creating provider with given values: NewProvider: unable to create provider: \(error)"
                if !skipJWKSValidation { throw LogicalError.invalidRequest("error checking oidc discovery URL: \(detail)") }
                warnings.append("error checking oidc discovery URL")
            }
        } else if !config.oidcClientID.isEmpty {
            throw LogicalError.invalidRequest("'oidc_discovery_url' must be set for OIDC")
        } else if !config.jwksURL.isEmpty {
            do {
                _ = try IssuerHTTP.tlsConfiguration(caPEM: config.jwksCAPEM)
            } catch {
                throw LogicalError.invalidRequest("error checking jwks_ca_pem")
            }
            do {
                _ = try await runtime.keys(url: config.jwksURL, caPEM: config.jwksCAPEM, force: true)
            } catch {
                logger.error("error checking jwks URL", metadata: ["error": "\(error)"])
                if !skipJWKSValidation { throw LogicalError.invalidRequest("error checking jwks URL") }
                warnings.append("error checking jwks URL")
            }
        } else if !config.jwtValidationPubKeys.isEmpty {
            for pem in config.jwtValidationPubKeys where VerificationKey.parsePEM(pem) == nil {
                throw LogicalError.invalidRequest("error parsing public key: data does not contain any valid public keys")
            }
        } else {
            throw LogicalError.invalidRequest("'jwks_pairs' is not supported by this server")
        }

        for alg in config.jwtSupportedAlgs where !supportedSigningAlgorithms.contains(alg) {
            throw LogicalError.invalidRequest("invalid jwt_supported_algs: unsupported signing algorithm \(GoFormat.quote(alg))")
        }
        if !config.oidcResponseTypes.allSatisfy({ $0 == "code" || $0 == "id_token" }) {
            throw LogicalError.invalidRequest(
                "invalid response_types \(GoFormat.list(config.oidcResponseTypes)). 'code' and 'id_token' are allowed")
        }
        switch config.oidcResponseMode {
        case "", "query":
            if config.hasResponseType("id_token") {
                throw LogicalError.invalidRequest("query response_mode may not be used with an id_token response_type")
            }
        case "form_post": break
        default:
            throw LogicalError.invalidRequest("invalid response_mode: \(GoFormat.quote(config.oidcResponseMode))")
        }
        if !config.providerConfig.isEmpty {
            guard let provider = config.providerConfig["provider"] else {
                throw LogicalError.invalidRequest("invalid provider_config: 'provider' field not found in provider_config")
            }
            let name = provider.stringValue ?? GoFormat.value(provider)
            guard Self.knownProviders.contains(name) else {
                throw LogicalError.invalidRequest("invalid provider_config: provider \(GoFormat.quote(name)) not found in custom providers")
            }
        }

        try await request.storage.putJSON("config", config.json)
        await runtime.reset()
        if warnings.isEmpty { return nil }
        return LogicalResponse(warnings: warnings)
    }

    /// The key set for JWT logins (OpenBao's `jwtValidator`).
    func keySource(_ config: JWTConfig) async throws(ValidationFailure) -> KeySource {
        switch config.authType {
        case .staticKeys:
            var keys: [VerificationKey] = []
            for pem in config.jwtValidationPubKeys {
                guard let k = VerificationKey.parsePEM(pem) else {
                    throw ValidationFailure("keyset configuration error: data does not contain any valid public keys")
                }
                keys.append(k)
            }
            return .staticKeys(keys)
        case .jwks:
            do {
                _ = try IssuerHTTP.tlsConfiguration(caPEM: config.jwksCAPEM)
            } catch {
                throw ValidationFailure("keyset configuration error: could not parse CA PEM value successfully")
            }
            return .remote(url: config.jwksURL, caPEM: config.jwksCAPEM)
        case .oidcDiscovery, .oidcFlow:
            do {
                let doc = try await runtime.discover(config.oidcDiscoveryURL, caPEM: config.oidcDiscoveryCAPEM)
                return .remote(url: doc.jwksURI, caPEM: config.oidcDiscoveryCAPEM)
            } catch {
                throw ValidationFailure("keyset configuration error: \(error)")
            }
        case .unconfigured:
            throw ValidationFailure("unsupported config type")
        }
    }

    // MARK: Roles

    func listRoles(_ request: LogicalRequest) async throws -> LogicalResponse? {
        let keys = try await request.storage.list(prefix: "role/")
        if keys.isEmpty { throw LogicalError.notFound }
        return LogicalResponse(data: ["keys": .array(keys.sorted().map { .string($0) })])
    }

    func readRole(_ request: LogicalRequest, _ name: String) async throws -> LogicalResponse? {
        guard let role = try await loadRole(request.storage, name) else { throw LogicalError.notFound }
        return LogicalResponse(data: role.readData)
    }

    func deleteRole(_ request: LogicalRequest, _ name: String) async throws -> LogicalResponse? {
        try await request.storage.delete("role/" + name)
        return nil
    }

    func writeRole(_ request: LogicalRequest, _ name: String) async throws -> LogicalResponse? {
        var role: JWTRole
        if let existing = try await loadRole(request.storage, name) {
            role = existing
        } else {
            role = JWTRole()
        }

        var roleType = try request.jwtString("role_type") ?? ""
        if roleType.isEmpty { roleType = "oidc" }
        guard roleType == "jwt" || roleType == "oidc" else { throw LogicalError.invalidRequest("invalid 'role_type': \(roleType)") }
        role.roleType = roleType

        try parseTokenFields(request, &role)
        try upgradeLegacy(request, &role)

        if let v = try request.jwtDuration("expiration_leeway") { role.expirationLeeway = v }
        if let v = try request.jwtDuration("not_before_leeway") { role.notBeforeLeeway = v }
        if let v = try request.jwtDuration("clock_skew_leeway") { role.clockSkewLeeway = v }
        if let v = try request.jwtStringList("bound_audiences") { role.boundAudiences = v }
        if let v = try request.jwtString("bound_subject") { role.boundSubject = v }
        if let v = try request.jwtBool("verbose_oidc_logging") { role.verboseOIDCLogging = v }
        if let v = try request.jwtDuration("max_age") { role.maxAge = v }
        if let v = try request.jwtBool("token_policies_template_claims") { role.tokenPoliciesTemplateClaims = v }
        if let v = try request.jwtBool("oidc_disable_confirmation") { role.oidcDisableConfirmation = v }

        let boundClaimsType = try request.jwtString("bound_claims_type") ?? "string"
        guard boundClaimsType == "string" || boundClaimsType == "glob" else {
            throw LogicalError.invalidRequest("invalid 'bound_claims_type': \(boundClaimsType)")
        }
        role.boundClaimsType = boundClaimsType

        if let bc = try request.jwtMap("bound_claims") {
            role.boundClaims = bc
            if boundClaimsType == "glob" {
                for key in bc.keys.sorted() {
                    let values = bc[key]!
                    let list: [JSONValue]
                    switch values {
                    case .array(let a): list = a
                    case .string, .bool, .int, .double: list = [values]
                    default: throw LogicalError.invalidRequest("claim is not a string or list: \(GoFormat.value(values))")
                    }
                    for v in list {
                        guard case .string = v else { throw LogicalError.invalidRequest("claim is not a string: \(GoFormat.value(v))") }
                    }
                }
            }
        }

        if let mappings = try request.jwtKVPairs("claim_mappings") {
            var targets: Set<String> = []
            for source in mappings.keys.sorted() {
                let target = mappings[source]!
                if target == "role" {
                    throw LogicalError.invalidRequest("metadata key \(GoFormat.quote(target)) is reserved and may not be a mapping destination")
                }
                if targets.contains(target) {
                    throw LogicalError.invalidRequest("multiple keys are mapped to metadata key \(GoFormat.quote(target))")
                }
                targets.insert(target)
            }
            role.claimMappings = mappings
        }

        if let md = try request.jwtStringList("oauth2_metadata") {
            for m in md where !["id_token", "refresh_token", "access_token"].contains(m) {
                throw LogicalError.invalidRequest("Unrecognized oauth2 metadata name " + m)
            }
            role.oauth2Metadata = md
        }

        if let v = try request.jwtString("user_claim") { role.userClaim = v }
        if role.userClaim.isEmpty { throw LogicalError.invalidRequest("a user claim must be defined on the role") }
        if let v = try request.jwtBool("user_claim_json_pointer") { role.userClaimJSONPointer = v }
        if let v = try request.jwtString("groups_claim") { role.groupsClaim = v }
        if let v = try request.jwtStringList("oidc_scopes") { role.oidcScopes = v }
        if let v = try request.jwtStringList("allowed_redirect_uris") { role.allowedRedirectURIs = v }
        if let v = try request.jwtInt("poll_interval") { role.pollInterval = v }

        let callbackMode = try request.jwtString("callback_mode") ?? "client"
        guard ["device", "direct", "client"].contains(callbackMode) else {
            throw LogicalError.invalidRequest("invalid 'callback_mode': \(callbackMode)")
        }
        role.callbackMode = callbackMode

        if role.roleType == "oidc" && role.allowedRedirectURIs.isEmpty {
            throw LogicalError.invalidRequest("'allowed_redirect_uris' must be set if 'role_type' is 'oidc' or unspecified.")
        }
        if roleType != "oidc" && role.boundAudiences.isEmpty && role.tokenBoundCIDRs.isEmpty && role.boundSubject.isEmpty
            && (role.boundClaims ?? [:]).isEmpty
        {
            throw LogicalError.invalidRequest("must have at least one bound constraint when creating/updating a role")
        }
        if role.tokenMaxTTL > 0 && role.tokenTTL > role.tokenMaxTTL {
            throw LogicalError.invalidRequest("ttl should not be greater than max ttl")
        }

        var warnings: [String] = []
        if role.verboseOIDCLogging {
            warnings.append(
                "verbose_oidc_logging has been enabled for this role. This is not recommended in production since sensitive information may be present in OIDC responses."
            )
        }
        try await request.storage.putJSON("role/" + name, role.json)
        if warnings.isEmpty { return nil }
        return LogicalResponse(warnings: warnings)
    }

    /// `tokenutil.ParseTokenFields`.
    func parseTokenFields(_ request: LogicalRequest, _ role: inout JWTRole) throws {
        if let cidrs = try request.jwtStringList("token_bound_cidrs") { role.tokenBoundCIDRs = try parseAddrs(cidrs) }
        if let v = try request.jwtDuration("token_explicit_max_ttl") { role.tokenExplicitMaxTTL = v }
        if let v = try request.jwtDuration("token_max_ttl") { role.tokenMaxTTL = v }
        if role.tokenMaxTTL < 0 { throw LogicalError.invalidRequest("'token_max_ttl' cannot be negative") }
        if let v = try request.jwtBool("token_no_default_policy") { role.tokenNoDefaultPolicy = v }
        if let v = try request.jwtDuration("token_period") { role.tokenPeriod = v }
        if role.tokenPeriod < 0 { throw LogicalError.invalidRequest("'token_period' cannot be negative") }
        if let v = try request.jwtStringList("token_policies") { role.tokenPolicies = v }
        if let t = try request.jwtString("token_type") {
            switch t {
            case "", "default": role.tokenType = "default"
            case "service": role.tokenType = "service"
            case "batch": role.tokenType = "batch"
            default: throw LogicalError.invalidRequest("invalid 'token_type' value \(GoFormat.quote(t))")
            }
        }
        if let v = try request.jwtInt("token_num_uses") { role.tokenNumUses = v }
        if role.tokenNumUses < 0 { throw LogicalError.invalidRequest("'token_num_uses' cannot be negative") }
        if role.tokenType == "batch" {
            if role.tokenPeriod != 0 {
                throw LogicalError.invalidRequest("'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens")
            }
            if role.tokenNumUses != 0 {
                throw LogicalError.invalidRequest(
                    "'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with limited use count")
            }
        }
        if let v = try request.jwtDuration("token_ttl") { role.tokenTTL = v }
        if role.tokenTTL < 0 { throw LogicalError.invalidRequest("'token_ttl' cannot be negative") }
        if role.tokenTTL > 0 && role.tokenMaxTTL > 0 && role.tokenTTL > role.tokenMaxTTL {
            throw LogicalError.invalidRequest("'token_ttl' cannot be greater than 'token_max_ttl'")
        }
        if let v = try request.jwtBool("token_strictly_bind_ip") { role.tokenStrictlyBindIP = v }
    }

    /// `tokenutil.UpgradeValue` for the deprecated fields.
    func upgradeLegacy(_ request: LogicalRequest, _ role: inout JWTRole) throws {
        if request.has("token_policies") {
            role.policies = request.has("policies") ? role.tokenPolicies : []
        } else if request.has("policies") {
            let p = (try request.jwtStringList("policies") ?? []).map { $0.lowercased() }
            var seen: Set<String> = []
            role.policies = p.filter { !$0.isEmpty && seen.insert($0).inserted }.sorted()
            role.tokenPolicies = role.policies
        }
        if request.has("token_bound_cidrs") {
            role.boundCIDRs = request.has("bound_cidrs") ? role.tokenBoundCIDRs : []
        } else if request.has("bound_cidrs") {
            role.boundCIDRs = try parseAddrs(try request.jwtStringList("bound_cidrs") ?? [])
            role.tokenBoundCIDRs = role.boundCIDRs
        }
        func upgrade(_ old: String, _ new: String, _ oldVal: inout Int64, _ newVal: inout Int64, duration: Bool) throws {
            if request.has(new) {
                oldVal = request.has(old) ? newVal : 0
            } else if request.has(old) {
                oldVal = (duration ? try request.jwtDuration(old) : try request.jwtInt(old)) ?? 0
                newVal = oldVal
            }
        }
        try upgrade("num_uses", "token_num_uses", &role.numUses, &role.tokenNumUses, duration: false)
        try upgrade("ttl", "token_ttl", &role.ttl, &role.tokenTTL, duration: true)
        try upgrade("max_ttl", "token_max_ttl", &role.maxTTL, &role.tokenMaxTTL, duration: true)
        try upgrade("period", "token_period", &role.period, &role.tokenPeriod, duration: true)
    }

    // MARK: Login

    func login(_ request: LogicalRequest) async throws -> LogicalResponse? {
        guard let config = try await loadConfig(request.storage) else {
            throw LogicalError.invalidRequest("could not load configuration")
        }
        var roleName = (try request.jwtString("role") ?? "").lowercased()
        if roleName.isEmpty { roleName = config.defaultRole }
        if roleName.isEmpty { throw LogicalError.invalidRequest("missing role") }
        guard let role = try await loadRole(request.storage, roleName) else {
            throw LogicalError.invalidRequest("role \(GoFormat.quote(roleName)) could not be found")
        }
        if role.roleType == "oidc" { throw LogicalError.invalidRequest("role with oidc role_type is not allowed") }
        let token = try request.jwtString("jwt") ?? ""
        if token.isEmpty { throw LogicalError.invalidRequest("missing token") }
        if !role.tokenBoundCIDRs.isEmpty && !remoteAddrAllowed(request.remoteAddress, role.tokenBoundCIDRs) {
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
        let maxTTL = role.tokenExplicitMaxTTL > 0 ? role.tokenExplicitMaxTTL : role.tokenMaxTTL
        return AuthInfo(
            policies: role.tokenPolicies,
            metadata: metadata,
            displayName: identity.userName,
            ttl: role.tokenTTL > 0 ? role.tokenTTL : nil,
            maxTTL: maxTTL > 0 ? maxTTL : nil,
            period: role.tokenPeriod > 0 ? role.tokenPeriod : nil,
            numUses: Int(role.tokenNumUses),
            renewable: true,
            alias: AuthAlias(name: identity.userName, metadata: identity.metadata),
            boundCIDRs: role.tokenBoundCIDRs,
            noDefaultPolicy: role.tokenNoDefaultPolicy,
            tokenType: role.tokenType,
            internalData: ["role": roleName])
    }

    func renew(_ request: LogicalRequest) async throws -> LogicalResponse? {
        guard var auth = request.auth else { throw LogicalError.invalidRequest("request auth was nil") }
        guard let roleName = auth.internalData["role"], !roleName.isEmpty else {
            throw LogicalError.internalError("failed to fetch role_name during renewal")
        }
        guard let role = try await loadRole(request.storage, roleName) else {
            throw LogicalError.invalidRequest("role \(roleName) does not exist during renewal")
        }
        auth.ttl = role.tokenTTL > 0 ? role.tokenTTL : nil
        let maxTTL = role.tokenExplicitMaxTTL > 0 ? role.tokenExplicitMaxTTL : role.tokenMaxTTL
        auth.maxTTL = maxTTL > 0 ? maxTTL : nil
        auth.period = role.tokenPeriod > 0 ? role.tokenPeriod : nil
        return LogicalResponse(auth: auth)
    }
}
