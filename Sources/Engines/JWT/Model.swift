import CofferSDK
import Foundation

/// The mount's configuration, stored at `config` as OpenBao stores its `jwtConfig`.
struct JWTConfig: Sendable, Equatable {
    var oidcDiscoveryURL = ""
    var oidcDiscoveryCAPEM = ""
    var oidcClientID = ""
    var oidcClientSecret = ""
    var oidcResponseMode = ""
    var oidcResponseTypes: [String] = []
    var jwksURL = ""
    var jwksCAPEM = ""
    var jwtValidationPubKeys: [String] = []
    var jwtSupportedAlgs: [String] = []
    var boundIssuer = ""
    var defaultRole = ""
    var providerConfig: [String: JSONValue] = [:]
    var overrideAllowedServerNames: [String] = []
    var namespaceInState = false

    enum AuthType { case staticKeys, jwks, oidcDiscovery, oidcFlow, unconfigured }

    var authType: AuthType {
        if !jwtValidationPubKeys.isEmpty { return .staticKeys }
        if !jwksURL.isEmpty { return .jwks }
        if !oidcDiscoveryURL.isEmpty {
            return (!oidcClientID.isEmpty && !oidcClientSecret.isEmpty) ? .oidcFlow : .oidcDiscovery
        }
        return .unconfigured
    }

    func hasResponseType(_ t: String) -> Bool {
        if oidcResponseTypes.isEmpty && t == "code" { return true }
        return oidcResponseTypes.contains(t)
    }

    var json: JSONValue {
        .object([
            "oidc_discovery_url": .string(oidcDiscoveryURL),
            "oidc_discovery_ca_pem": .string(oidcDiscoveryCAPEM),
            "oidc_client_id": .string(oidcClientID),
            "oidc_client_secret": .string(oidcClientSecret),
            "oidc_response_mode": .string(oidcResponseMode),
            "oidc_response_types": .array(oidcResponseTypes.map { .string($0) }),
            "jwks_url": .string(jwksURL),
            "jwks_ca_pem": .string(jwksCAPEM),
            "jwt_validation_pubkeys": .array(jwtValidationPubKeys.map { .string($0) }),
            "jwt_supported_algs": .array(jwtSupportedAlgs.map { .string($0) }),
            "bound_issuer": .string(boundIssuer),
            "default_role": .string(defaultRole),
            "provider_config": .object(providerConfig),
            "override_allowed_server_names": .array(overrideAllowedServerNames.map { .string($0) }),
            "namespace_in_state": .bool(namespaceInState),
        ])
    }

    init() {}

    init(json v: JSONValue) {
        oidcDiscoveryURL = v["oidc_discovery_url"]?.stringValue ?? ""
        oidcDiscoveryCAPEM = v["oidc_discovery_ca_pem"]?.stringValue ?? ""
        oidcClientID = v["oidc_client_id"]?.stringValue ?? ""
        oidcClientSecret = v["oidc_client_secret"]?.stringValue ?? ""
        oidcResponseMode = v["oidc_response_mode"]?.stringValue ?? ""
        oidcResponseTypes = strings(v["oidc_response_types"])
        jwksURL = v["jwks_url"]?.stringValue ?? ""
        jwksCAPEM = v["jwks_ca_pem"]?.stringValue ?? ""
        jwtValidationPubKeys = strings(v["jwt_validation_pubkeys"])
        jwtSupportedAlgs = strings(v["jwt_supported_algs"])
        boundIssuer = v["bound_issuer"]?.stringValue ?? ""
        defaultRole = v["default_role"]?.stringValue ?? ""
        providerConfig = v["provider_config"]?.objectValue ?? [:]
        overrideAllowedServerNames = strings(v["override_allowed_server_names"])
        namespaceInState = v["namespace_in_state"]?.boolValue ?? false
    }
}

func strings(_ v: JSONValue?) -> [String] {
    v?.arrayValue?.compactMap(\.stringValue) ?? []
}

/// A role, stored at `role/<name>` with OpenBao's field names; durations in seconds. The token settings are the
/// shared ``TokenParameters`` (stored under their `token_*` names); the deprecated names keep their own values, as
/// OpenBao's role does: equal to the `token_*` value when the last write sent them, zero otherwise.
struct JWTRole: Sendable, Equatable {
    var roleType = "oidc"
    var expirationLeeway: Int64 = 0
    var notBeforeLeeway: Int64 = 0
    var clockSkewLeeway: Int64 = 0
    var boundAudiences: [String] = []
    var boundSubject = ""
    var boundClaimsType = "string"
    var boundClaims: [String: JSONValue]? = nil
    var claimMappings: [String: String]? = nil
    var oauth2Metadata: [String]? = nil
    var userClaim = ""
    var userClaimJSONPointer = false
    var groupsClaim = ""
    var oidcScopes: [String] = []
    var allowedRedirectURIs: [String] = []
    var callbackMode = "client"
    var pollInterval: Int64 = 0
    var verboseOIDCLogging = false
    var maxAge: Int64 = 0
    var tokenPoliciesTemplateClaims = false
    var oidcDisableConfirmation = false

    var token = TokenParameters()

    // Deprecated fields kept for read-back.
    var policies: [String] = []
    var numUses: Int64 = 0
    var ttl: Int64 = 0
    var maxTTL: Int64 = 0
    var period: Int64 = 0
    var boundCIDRs: [String] = []

    var json: JSONValue {
        var o = token.responseData
        let own: [String: JSONValue] = [
            "role_type": .string(roleType),
            "expiration_leeway": .int(expirationLeeway),
            "not_before_leeway": .int(notBeforeLeeway),
            "clock_skew_leeway": .int(clockSkewLeeway),
            "bound_audiences": .array(boundAudiences.map { .string($0) }),
            "bound_subject": .string(boundSubject),
            "bound_claims_type": .string(boundClaimsType),
            "user_claim": .string(userClaim),
            "user_claim_json_pointer": .bool(userClaimJSONPointer),
            "groups_claim": .string(groupsClaim),
            "oidc_scopes": .array(oidcScopes.map { .string($0) }),
            "allowed_redirect_uris": .array(allowedRedirectURIs.map { .string($0) }),
            "callback_mode": .string(callbackMode),
            "poll_interval": .int(pollInterval),
            "verbose_oidc_logging": .bool(verboseOIDCLogging),
            "max_age": .int(maxAge),
            "token_policies_template_claims": .bool(tokenPoliciesTemplateClaims),
            "oidc_disable_confirmation": .bool(oidcDisableConfirmation),
            "policies": .array(policies.map { .string($0) }),
            "num_uses": .int(numUses),
            "ttl": .int(ttl),
            "max_ttl": .int(maxTTL),
            "period": .int(period),
            "bound_cidrs": .array(boundCIDRs.map { .string($0) }),
        ]
        o.merge(own) { $1 }
        if let boundClaims { o["bound_claims"] = .object(boundClaims) }
        if let claimMappings { o["claim_mappings"] = .object(claimMappings.mapValues { .string($0) }) }
        if let oauth2Metadata { o["oauth2_metadata"] = .array(oauth2Metadata.map { .string($0) }) }
        return .object(o)
    }

    init() {}

    init(json v: JSONValue) {
        roleType = v["role_type"]?.stringValue ?? ""
        if roleType.isEmpty { roleType = "jwt" }  // legacy roles report as jwt
        expirationLeeway = v["expiration_leeway"]?.intValue ?? 0
        notBeforeLeeway = v["not_before_leeway"]?.intValue ?? 0
        clockSkewLeeway = v["clock_skew_leeway"]?.intValue ?? 0
        boundAudiences = strings(v["bound_audiences"])
        boundSubject = v["bound_subject"]?.stringValue ?? ""
        boundClaimsType = v["bound_claims_type"]?.stringValue ?? ""
        if boundClaimsType.isEmpty { boundClaimsType = "string" }
        boundClaims = v["bound_claims"]?.objectValue
        if let cm = v["claim_mappings"]?.objectValue { claimMappings = cm.compactMapValues(\.stringValue) }
        if let om = v["oauth2_metadata"]?.arrayValue { oauth2Metadata = om.compactMap(\.stringValue) }
        userClaim = v["user_claim"]?.stringValue ?? ""
        userClaimJSONPointer = v["user_claim_json_pointer"]?.boolValue ?? false
        groupsClaim = v["groups_claim"]?.stringValue ?? ""
        oidcScopes = strings(v["oidc_scopes"])
        allowedRedirectURIs = strings(v["allowed_redirect_uris"])
        callbackMode = v["callback_mode"]?.stringValue ?? "client"
        pollInterval = v["poll_interval"]?.intValue ?? 0
        verboseOIDCLogging = v["verbose_oidc_logging"]?.boolValue ?? false
        maxAge = v["max_age"]?.intValue ?? 0
        tokenPoliciesTemplateClaims = v["token_policies_template_claims"]?.boolValue ?? false
        oidcDisableConfirmation = v["oidc_disable_confirmation"]?.boolValue ?? false
        token = TokenParameters(stored: v.objectValue ?? [:])
        policies = strings(v["policies"])
        numUses = v["num_uses"]?.intValue ?? 0
        ttl = v["ttl"]?.intValue ?? 0
        maxTTL = v["max_ttl"]?.intValue ?? 0
        period = v["period"]?.intValue ?? 0
        boundCIDRs = strings(v["bound_cidrs"])
        // Upgrade legacy values as OpenBao does on load.
        if token.ttl == 0 && ttl > 0 { token.ttl = ttl }
        if token.maxTTL == 0 && maxTTL > 0 { token.maxTTL = maxTTL }
        if token.period == 0 && period > 0 { token.period = period }
        if token.numUses == 0 && numUses > 0 { token.numUses = numUses }
        if token.policies.isEmpty && !policies.isEmpty { token.policies = policies }
        if token.boundCIDRs.isEmpty && !boundCIDRs.isEmpty { token.boundCIDRs = boundCIDRs }
    }

    /// After a write's token fields: a deprecated name the write sent takes the `token_*` value (which it set when
    /// sent alone); one not sent while its `token_*` name was is cleared (OpenBao's `UpgradeValue`).
    mutating func recordLegacy(sent: Set<TokenParameters.Legacy>, _ d: FieldData) {
        for l in JWTAuthEngine.legacy {
            let keep = sent.contains(l)
            guard keep || d.has(l.newName) else { continue }
            switch l {
            case .policies: policies = keep ? token.policies : []
            case .boundCIDRs: boundCIDRs = keep ? token.boundCIDRs : []
            case .numUses: numUses = keep ? token.numUses : 0
            case .ttl: ttl = keep ? token.ttl : 0
            case .maxTTL: maxTTL = keep ? token.maxTTL : 0
            case .period: period = keep ? token.period : 0
            }
        }
    }

    /// The role as `GET role/:name` shows it.
    var readData: [String: JSONValue] {
        func strList(_ l: [String]?) -> JSONValue {
            guard let l, !l.isEmpty else { return .null }
            return .array(l.map { .string($0) })
        }
        var d = token.responseData
        let own: [String: JSONValue] = [
            "role_type": .string(roleType),
            "expiration_leeway": .int(expirationLeeway),
            "not_before_leeway": .int(notBeforeLeeway),
            "clock_skew_leeway": .int(clockSkewLeeway),
            "bound_audiences": strList(boundAudiences),
            "bound_subject": .string(boundSubject),
            "bound_claims_type": .string(boundClaimsType),
            "bound_claims": boundClaims.map { .object($0) } ?? .null,
            "claim_mappings": claimMappings.map { .object($0.mapValues { .string($0) }) } ?? .null,
            "oauth2_metadata": strList(oauth2Metadata),
            "user_claim": .string(userClaim),
            "user_claim_json_pointer": .bool(userClaimJSONPointer),
            "groups_claim": .string(groupsClaim),
            "allowed_redirect_uris": strList(allowedRedirectURIs),
            "callback_mode": .string(callbackMode),
            "oidc_scopes": strList(oidcScopes),
            "verbose_oidc_logging": .bool(verboseOIDCLogging),
            "max_age": .int(maxAge),
            "token_policies_template_claims": .bool(tokenPoliciesTemplateClaims),
            "oidc_disable_confirmation": .bool(oidcDisableConfirmation),
        ]
        d.merge(own) { $1 }
        if pollInterval > 0 { d["poll_interval"] = .int(pollInterval) }
        if !policies.isEmpty { d["policies"] = d["token_policies"] }
        if !boundCIDRs.isEmpty { d["bound_cidrs"] = d["token_bound_cidrs"] }
        if ttl > 0 { d["ttl"] = .int(ttl) }
        if maxTTL > 0 { d["max_ttl"] = .int(maxTTL) }
        if period > 0 { d["period"] = .int(period) }
        if numUses > 0 { d["num_uses"] = .int(numUses) }
        return d
    }
}
