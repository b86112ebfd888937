import CofferSDK

/// `role/`, `role/:name`.
extension JWTAuthEngine {
    /// Names in order, after `after` when given, at most `limit` when positive (OpenBao's `ListPage`).
    func listRoles(_ request: PathRequest) async throws -> LogicalResponse? {
        let after = try request.fields.string("after")
        let limit = try request.fields.int("limit")
        var keys = try await request.storage.list(prefix: "role/").sorted()
        if !after.isEmpty { keys = keys.filter { $0 > after } }
        if limit > 0 { keys = Array(keys.prefix(Int(clamping: limit))) }
        if keys.isEmpty { throw LogicalError.notFound }
        return LogicalResponse(data: ["keys": .array(keys.map { .string($0) })])
    }

    func readRole(_ request: PathRequest) async throws -> LogicalResponse? {
        guard let role = try await loadRole(request.storage, try request.fields.string("name")) else { throw LogicalError.notFound }
        return LogicalResponse(data: role.readData)
    }

    func deleteRole(_ request: PathRequest) async throws -> LogicalResponse? {
        try await request.storage.delete("role/" + (try request.fields.string("name")))
        return nil
    }

    static let oauth2MetadataNames: Set<String> = ["id_token", "refresh_token", "access_token"]

    /// Creates or updates a role; fields not sent keep their stored values, except `role_type`, `bound_claims_type`
    /// and `callback_mode`, which fall back to their defaults as in OpenBao.
    func writeRole(_ request: PathRequest) async throws -> LogicalResponse? {
        let f = request.fields
        let name = try f.string("name")
        var role = try await loadRole(request.storage, name) ?? JWTRole()

        var roleType = try f.string("role_type")
        if roleType.isEmpty { roleType = "oidc" }
        guard roleType == "jwt" || roleType == "oidc" else { throw LogicalError.invalidRequest("invalid 'role_type': \(roleType)") }
        role.roleType = roleType

        try role.token.parse(f)
        role.recordLegacy(sent: try role.token.upgradeLegacy(f, from: Self.legacy), f)

        if let v = try f.durationIfSet("expiration_leeway") { role.expirationLeeway = v }
        if let v = try f.durationIfSet("not_before_leeway") { role.notBeforeLeeway = v }
        if let v = try f.durationIfSet("clock_skew_leeway") { role.clockSkewLeeway = v }
        if let v = try f.stringsIfSet("bound_audiences") { role.boundAudiences = v }
        if let v = try f.stringIfSet("bound_subject") { role.boundSubject = v }
        if let v = try f.boolIfSet("verbose_oidc_logging") { role.verboseOIDCLogging = v }
        if let v = try f.durationIfSet("max_age") { role.maxAge = v }
        if let v = try f.boolIfSet("token_policies_template_claims") { role.tokenPoliciesTemplateClaims = v }
        if let v = try f.boolIfSet("oidc_disable_confirmation") { role.oidcDisableConfirmation = v }

        let boundClaimsType = try f.string("bound_claims_type")
        guard boundClaimsType == "string" || boundClaimsType == "glob" else {
            throw LogicalError.invalidRequest("invalid 'bound_claims_type': \(boundClaimsType)")
        }
        role.boundClaimsType = boundClaimsType

        if let bc = try f.objectIfSet("bound_claims") {
            role.boundClaims = bc
            if boundClaimsType == "glob" { try Self.checkGlobClaims(bc) }
        }

        if let mappings = try f.pairsIfSet("claim_mappings") {
            var targets: Set<String> = []
            for source in mappings.keys.sorted() {
                let target = mappings[source]!
                if target == "role" {
                    throw LogicalError.invalidRequest(
                        "metadata key \(FieldValue.goQuote(target)) is reserved and may not be a mapping destination")
                }
                if !targets.insert(target).inserted {
                    throw LogicalError.invalidRequest("multiple keys are mapped to metadata key \(FieldValue.goQuote(target))")
                }
            }
            role.claimMappings = mappings
        }

        if let md = try f.stringsIfSet("oauth2_metadata") {
            for m in md where !Self.oauth2MetadataNames.contains(m) {
                throw LogicalError.invalidRequest("Unrecognized oauth2 metadata name " + m)
            }
            role.oauth2Metadata = md
        }

        if let v = try f.stringIfSet("user_claim") { role.userClaim = v }
        if role.userClaim.isEmpty { throw LogicalError.invalidRequest("a user claim must be defined on the role") }
        if let v = try f.boolIfSet("user_claim_json_pointer") { role.userClaimJSONPointer = v }
        if let v = try f.stringIfSet("groups_claim") { role.groupsClaim = v }
        if let v = try f.stringsIfSet("oidc_scopes") { role.oidcScopes = v }
        if let v = try f.stringsIfSet("allowed_redirect_uris") { role.allowedRedirectURIs = v }
        if let v = try f.intIfSet("poll_interval") { role.pollInterval = v }

        let callbackMode = try f.string("callback_mode")
        guard ["device", "direct", "client"].contains(callbackMode) else {
            throw LogicalError.invalidRequest("invalid 'callback_mode': \(callbackMode)")
        }
        role.callbackMode = callbackMode

        if role.roleType == "oidc" && role.allowedRedirectURIs.isEmpty {
            throw LogicalError.invalidRequest("'allowed_redirect_uris' must be set if 'role_type' is 'oidc' or unspecified.")
        }
        if roleType != "oidc" && role.boundAudiences.isEmpty && role.token.boundCIDRs.isEmpty && role.boundSubject.isEmpty
            && (role.boundClaims ?? [:]).isEmpty
        {
            throw LogicalError.invalidRequest("must have at least one bound constraint when creating/updating a role")
        }
        if role.token.maxTTL > 0 && role.token.ttl > role.token.maxTTL {
            throw LogicalError.invalidRequest("ttl should not be greater than max ttl")
        }

        try await request.storage.putJSON("role/" + name, role.json)
        guard role.verboseOIDCLogging else { return nil }
        return LogicalResponse(warnings: [
            "verbose_oidc_logging has been enabled for this role. This is not recommended in production since sensitive information may be present in OIDC responses."
        ])
    }

    /// Glob bound claims: each value a string, or a list of strings.
    static func checkGlobClaims(_ claims: [String: JSONValue]) throws {
        for key in claims.keys.sorted() {
            let values = claims[key]!
            let list: [JSONValue]
            switch values {
            case .array(let a): list = a
            case .string, .bool, .int, .double: list = [values]
            default: throw LogicalError.invalidRequest("claim is not a string or list: \(FieldValue.goFormat(values))")
            }
            for v in list {
                guard case .string = v else { throw LogicalError.invalidRequest("claim is not a string: \(FieldValue.goFormat(v))") }
            }
        }
    }
}
