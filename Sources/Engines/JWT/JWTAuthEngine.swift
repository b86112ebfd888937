import CofferSDK
import Foundation
import Logging

/// Creates the `jwt` / `oidc` auth method (one engine serves both mount types, as OpenBao's plugin does).
@Sendable public func makeJWTAuth(_ config: EngineConfiguration) -> any SecretsEngine {
    JWTAuthEngine(mountType: config.type, logger: config.logger)
}

/// OpenBao's error prefix for failed OIDC logins.
let errLoginFailed = "OpenBao login failed."

/// Logins with JWTs signed by a configured key set, or through an OIDC provider's authorization-code (or implicit)
/// flow, speaking OpenBao's `jwt` / `oidc` API. The configuration is stored at `config`, each role at `role/<name>`.
struct JWTAuthEngine: FrameworkEngine {
    let mountType: String
    let logger: Logger
    let runtime = JWTRuntime()

    static let legacy: [TokenParameters.Legacy] = [.policies, .boundCIDRs, .numUses, .ttl, .maxTTL, .period]

    static let configFields: [Field] = [
        Field("oidc_discovery_url", .string, "Base URL of the OIDC provider, without the \".well-known/openid-configuration\" suffix. Excludes \"jwks_url\" and \"jwt_validation_pubkeys\"."),
        Field("oidc_discovery_ca_pem", .string, "PEM CA certificates trusted for the OIDC discovery URL; the system roots when empty."),
        Field("oidc_client_id", .string, "OAuth client ID registered with the OIDC provider."),
        Field("oidc_client_secret", .string, "OAuth client secret registered with the OIDC provider."),
        Field("oidc_response_mode", .string, "How the provider returns the authorization response: 'query' or 'form_post'."),
        Field("oidc_response_types", .commaStringSlice, "Response types to ask for: 'code' (the default) or 'id_token'."),
        Field("jwks_url", .string, "URL of a JWKS document whose keys verify JWT signatures. Excludes \"oidc_discovery_url\" and \"jwt_validation_pubkeys\"."),
        Field("jwks_ca_pem", .string, "PEM CA certificates trusted for the JWKS URL; the system roots when empty."),
        Field("default_role", .lowerCaseString, "Role used by logins that name none; without it, a login must name a role."),
        Field("jwt_validation_pubkeys", .commaStringSlice, "PEM public keys that verify JWT signatures locally. Excludes \"jwks_url\" and \"oidc_discovery_url\"."),
        Field("jwt_supported_algs", .commaStringSlice, "Signing algorithms accepted on tokens; RS256 when empty."),
        Field("bound_issuer", .string, "Value the 'iss' claim of a JWT must have, when set."),
        Field("provider_config", .map, "Settings specific to a known identity provider."),
        Field("skip_jwks_validation", .bool, "Store the configuration with a warning when the discovery or JWKS URL cannot be reached, instead of refusing it."),
        Field("override_allowed_server_names", .commaStringSlice, "Host names accepted in the TLS certificates of the OIDC and JWKS servers, instead of the URL's host."),
        Field("namespace_in_state", .bool, "Carry the namespace in the OIDC state parameter rather than in its own query parameter."),
    ]

    static let roleName = Field("name", .lowerCaseString, "Name of the role.")

    static let roleFields: [Field] = [
        roleName,
        Field("role_type", .string, "Kind of login the role serves: 'jwt' or 'oidc'."),
        Field("bound_audiences", .commaStringSlice, "'aud' claim values accepted on login; one match is enough."),
        Field("user_claim", .string, "Claim whose value names the identity entity alias."),
        Field("user_claim_json_pointer", .bool, "Read user_claim as a JSON pointer into the claims."),
        Field("clock_skew_leeway", .signedDurationSecond, "Seconds of clock skew allowed on every time claim; 0 means 60, -1 none."),
        Field("expiration_leeway", .signedDurationSecond, "Seconds of clock skew allowed on the expiration claim; 0 means 150, -1 none."),
        Field("not_before_leeway", .signedDurationSecond, "Seconds of clock skew allowed on the not-before claim; 0 means 150, -1 none."),
        Field("bound_subject", .string, "'sub' claim value a login must carry, when set."),
        Field("bound_claims_type", .string, default: "string", "How bound_claims values match: 'string' (exact) or 'glob'."),
        Field("bound_claims", .map, "Claims and the values one of which each must have on login."),
        Field("claim_mappings", .kvPairs, "Claims (keys) copied into token metadata under the given names (values)."),
        Field("oauth2_metadata", .commaStringSlice, "OIDC tokens to copy into token metadata: access_token, id_token, refresh_token."),
        Field("groups_claim", .string, "Claim whose values name the identity group aliases."),
        Field("oidc_scopes", .commaStringSlice, "OIDC scopes requested besides openid."),
        Field("allowed_redirect_uris", .commaStringSlice, "redirect_uri values an OIDC login may use."),
        Field("callback_mode", .string, default: "client", "Where the provider sends its answer: 'client', 'direct' or 'device'."),
        Field("poll_interval", .int, "Seconds between polls in the direct and device modes."),
        Field("verbose_oidc_logging", .bool, "Log OIDC tokens and claims at debug level; not for production."),
        Field("max_age", .durationSecond, "Longest time since the user last authenticated at the provider, in seconds."),
        Field("token_policies_template_claims", .bool, "Expand claim templates in token_policies at login; empty results are dropped."),
        Field("oidc_disable_confirmation", .bool, "Skip the confirmation page of the direct callback mode."),
    ] + TokenParameters.fields(legacy: legacy)

    static let callbackFields: [Field] = [
        Field("state", .string, query: true, "State value of the authorization request."),
        Field("code", .string, query: true, "Authorization code issued by the provider."),
        Field("id_token", .string, "ID token sent by the provider in form_post mode."),
        Field("client_nonce", .string, query: true, "Nonce the client sent with the authorization URL request."),
        Field("error", .string, query: true, "Error code sent by the provider."),
        Field("error_description", .string, query: true, "Error text sent by the provider."),
        Field("error_uri", .string, query: true, "Error page sent by the provider."),
        Field("confirmation", .string, query: true, "Answer of the direct mode's confirmation page."),
    ]

    static let router = PathRouter<JWTAuthEngine>([
        EnginePath(
            "config",
            fields: configFields,
            operations: [
                .read: .init("Read the configuration.", method: JWTAuthEngine.readConfig),
                .update: .init("Configure the key source and OIDC settings.", method: JWTAuthEngine.writeConfig),
            ],
            synopsis: "Configure how JWTs are verified and how OIDC logins reach the provider.",
            description: "Sets exactly one source of signing keys (local public keys, a JWKS URL, or OIDC discovery) and, for OIDC logins, the client credentials and response settings."),
        EnginePath(
            "role/?",
            fields: [
                Field("after", .string, "List only the names after this one (it need not exist)."),
                Field("limit", .int, "Largest number of names to return; all when 0."),
            ],
            operations: [.list: .init("List the roles.", method: JWTAuthEngine.listRoles)],
            synopsis: "List the roles.",
            description: "Returns the names of the roles of this mount."),
        EnginePath(
            "role/{name}",
            fields: roleFields,
            operations: [
                .read: .init("Read a role.", method: JWTAuthEngine.readRole),
                .create: .init("Create a role.", method: JWTAuthEngine.writeRole),
                .update: .init("Update a role.", method: JWTAuthEngine.writeRole),
                .delete: .init("Delete a role.", noContent: true, method: JWTAuthEngine.deleteRole),
            ],
            existenceCheck: { engine, req in try await engine.loadRole(req.storage, try req.fields.string("name")) != nil },
            synopsis: "Manage the roles logins are made against.",
            description: "A role says which tokens may log in (bound claims, audiences, subject, CIDRs), how their claims become identity and metadata, and the settings of the tokens it issues."),
        EnginePath(
            "login",
            fields: [
                Field("role", .lowerCaseString, "Role to log in against; the configured default role when empty."),
                Field("jwt", .string, "The signed JWT."),
            ],
            operations: [
                .update: .init("Log in with a JWT.", method: JWTAuthEngine.login),
                .renew: .init(method: JWTAuthEngine.renew),
            ],
            unauthenticated: true,
            synopsis: "Log in with a signed JWT.",
            description: "Verifies the JWT against the configured keys and the role's bindings, and issues a token."),
        EnginePath(
            "oidc/auth_url",
            fields: [
                Field("role", .lowerCaseString, "Role the OIDC login is for; the configured default role when empty."),
                Field("redirect_uri", .string, "redirect_uri to put in the authorization URL."),
                Field("client_nonce", .string, "Nonce the callback must repeat; required by the direct callback mode."),
            ],
            operations: [.update: .init("Start an OIDC login.", method: JWTAuthEngine.authURL)],
            unauthenticated: true,
            synopsis: "Get the provider's authorization URL for an OIDC login.",
            description: "Starts an authorization-code (or implicit) flow for a role and returns the URL the user visits."),
        EnginePath(
            "oidc/callback",
            fields: callbackFields,
            operations: [
                .read: .init("Finish an OIDC login.", method: JWTAuthEngine.callback),
                .update: .init("Receive a form_post answer from the provider.", method: JWTAuthEngine.callbackPost),
            ],
            unauthenticated: true,
            synopsis: "Complete an OIDC login.",
            description: "Exchanges the provider's answer for an ID token, checks it against the role, and issues a token."),
        EnginePath(
            "oidc/poll",
            fields: [
                Field("state", .string, "State value returned with the authorization URL."),
                Field("client_nonce", .string, "Nonce sent with the authorization URL request."),
            ],
            operations: [.update: .init("Poll for the result of an OIDC login.", method: JWTAuthEngine.poll)],
            unauthenticated: true,
            synopsis: "Poll for the result of a direct or device mode OIDC login.",
            description: "Answers authorization_pending until the login completes."),
    ],
    help: "The JWT/OIDC auth method issues tokens for JWTs signed by trusted keys, or for users who log in at an OIDC provider.",
    lockoutLookahead: false)

    func loginIdentifier(_ request: LogicalRequest) -> String? { nil }

    /// Whether a login from `remote` is inside the role's bound CIDRs (always, when there are none).
    static func allowed(_ remote: String?, _ cidrs: [String]) -> Bool {
        cidrs.isEmpty || cidrs.contains { CIDRBlock($0)?.contains(remote ?? "") ?? false }
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

    func readConfig(_ request: PathRequest) async throws -> LogicalResponse? {
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

    func writeConfig(_ request: PathRequest) async throws -> LogicalResponse? {
        var config = JWTConfig()
        let f = request.fields
        config.oidcDiscoveryURL = try f.string("oidc_discovery_url")
        config.oidcDiscoveryCAPEM = try f.string("oidc_discovery_ca_pem")
        config.oidcClientID = try f.string("oidc_client_id")
        config.oidcClientSecret = try f.string("oidc_client_secret")
        config.oidcResponseMode = try f.string("oidc_response_mode")
        config.oidcResponseTypes = try f.strings("oidc_response_types")
        config.jwksURL = try f.string("jwks_url")
        config.jwksCAPEM = try f.string("jwks_ca_pem")
        config.defaultRole = try f.string("default_role")
        config.jwtValidationPubKeys = try f.strings("jwt_validation_pubkeys")
        config.jwtSupportedAlgs = try f.strings("jwt_supported_algs")
        config.boundIssuer = try f.string("bound_issuer")
        config.providerConfig = try f.object("provider_config")
        config.overrideAllowedServerNames = try f.strings("override_allowed_server_names")
        let skipJWKSValidation = try f.bool("skip_jwks_validation")

        let existing = try await loadConfig(request.storage)
        if let ns = try f.boolIfSet("namespace_in_state") {
            config.namespaceInState = ns
        } else {
            config.namespaceInState = existing?.namespaceInState ?? true
        }

        var methodCount = 0
        if !config.oidcDiscoveryURL.isEmpty { methodCount += 1 }
        if !config.jwtValidationPubKeys.isEmpty { methodCount += 1 }
        if !config.jwksURL.isEmpty { methodCount += 1 }

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
        } else {
            // Exactly one source is set: the public keys.
            for pem in config.jwtValidationPubKeys where VerificationKey.parsePEM(pem) == nil {
                throw LogicalError.invalidRequest("error parsing public key: data does not contain any valid public keys")
            }
        }

        for alg in config.jwtSupportedAlgs where !supportedSigningAlgorithms.contains(alg) {
            throw LogicalError.invalidRequest("invalid jwt_supported_algs: unsupported signing algorithm \(FieldValue.goQuote(alg))")
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
            throw LogicalError.invalidRequest("invalid response_mode: \(FieldValue.goQuote(config.oidcResponseMode))")
        }
        if !config.providerConfig.isEmpty {
            guard let name = config.providerConfig["provider"]?.stringValue else {
                throw LogicalError.invalidRequest("invalid provider_config: 'provider' field not found in provider_config")
            }
            guard Self.knownProviders.contains(name) else {
                throw LogicalError.invalidRequest("invalid provider_config: provider \(FieldValue.goQuote(name)) not found in custom providers")
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

}
