import CofferSDK
import Foundation
import Synchronization

/// The identity token backend under `identity/oidc/`: config, named keys, roles, token generation, introspection and
/// the discovery documents.
extension IdentityStore {
    /// Every OIDC handler first makes sure the built-in `default` key exists.
    static func oidc(
        _ summary: String, noContent: Bool = false,
        _ method: @escaping Method
    ) -> Handler {
        Handler(summary, noContent: noContent) { store, request in
            try await store.ensureDefaultKey()
            return try await method(store)(request)
        }
    }

    /// `oidc/<kind>/?` to list, and `oidc/<kind>/{name}` to read, write and delete one object (with an existence
    /// check, so that a write to a new name needs the `create` capability).
    static func oidcObjectRoutes(
        _ kind: String, fields: [Field], read: @escaping Method, write: @escaping Method, delete: @escaping Method,
        list: @escaping Method, exists: @escaping @Sendable (IdentityStore, String) async throws -> Bool
    ) -> [Route] {
        [
            Route("oidc/\(kind)/?", operations: [.list: oidc("List the \(kind)s.", list)], synopsis: "List the \(kind)s."),
            Route(
                "oidc/\(kind)/{name}", fields: [Field("name", .string, "The name of the \(kind).")] + fields,
                operations: [
                    .read: oidc("Read a \(kind).", read),
                    .update: oidc("Create or update a \(kind).", noContent: true, write),
                    .delete: oidc("Delete a \(kind).", noContent: true, delete),
                ],
                existenceCheck: { store, request in
                    try await store.ensureDefaultKey()
                    return try await exists(store, try request.fields.string("name"))
                },
                synopsis: "Manage a \(kind) of identity tokens."),
        ]
    }

    static let oidcRoutes: [Route] =
        [
            Route(
                "oidc/config/?", fields: [Field("issuer", .string, "The issuer URL of identity tokens (scheme, host and optional port); empty to use the server's api_addr.")],
                operations: [
                    .read: oidc("Read the OIDC configuration.", IdentityStore.readOIDCConfig),
                    .update: oidc("Write the OIDC configuration.", IdentityStore.writeOIDCConfig),
                ],
                synopsis: "The configuration of identity tokens."),
            Route(
                "oidc/key/{name}/rotate/?",
                fields: [
                    Field("name", .string, "The name of the key."),
                    Field("verification_ttl", .durationSecond, "How long the rotated-out public key stays published; the key's own setting when absent."),
                ],
                operations: [.update: oidc("Rotate a named key.", noContent: true, IdentityStore.rotateNamedKey)],
                synopsis: "Rotate a named key now."),
        ]
        + oidcObjectRoutes(
            "key",
            fields: [
                Field("rotation_period", .durationSecond, default: .int(OIDCLayout.defaultPeriod), "How often the signing key is rotated."),
                Field("verification_ttl", .durationSecond, default: .int(OIDCLayout.defaultPeriod), "How long a rotated-out public key stays published for verification."),
                Field("algorithm", .string, default: "RS256", "The signing algorithm: RS256, RS384, RS512, ES256, ES384, ES512 or EdDSA."),
                Field("allowed_client_ids", .commaStringSlice, "The client IDs of the roles that may sign with the key; \"*\" for all."),
            ],
            read: IdentityStore.readNamedKey, write: IdentityStore.writeNamedKey, delete: IdentityStore.deleteNamedKey,
            list: IdentityStore.listNamedKeys, exists: { store, name in try await store.loadNamedKey(name) != nil })
        + oidcObjectRoutes(
            "role",
            fields: [
                Field("key", .string, "The named key that signs the role's tokens."),
                Field("template", .string, "A JSON template of extra claims (plain or base64)."),
                Field("client_id", .string, "The audience of the role's tokens; generated when absent."),
                Field("ttl", .durationSecond, default: .int(OIDCLayout.defaultPeriod), "The lifetime of the role's tokens."),
            ],
            read: IdentityStore.readOIDCRole, write: IdentityStore.writeOIDCRole, delete: IdentityStore.deleteOIDCRole,
            list: IdentityStore.listOIDCRoles, exists: { store, name in try await store.loadOIDCRole(name) != nil })
        + [
            Route(
                "oidc/token/{name}", fields: [Field("name", .string, "The name of the role.")],
                operations: [.read: oidc("Issue an identity token for the calling entity.", IdentityStore.generateIDToken)],
                synopsis: "Issue an identity token signed by the role's key."),
            Route(
                "oidc/introspect/?",
                fields: [
                    Field("token", .string, "The identity token to check."),
                    Field("client_id", .string, "When set, the token's audience must include it."),
                ],
                operations: [.update: oidc("Check an identity token.", IdentityStore.introspect)],
                synopsis: "Check whether an identity token is active."),
            Route(
                "oidc/.well-known/openid-configuration/?",
                operations: [.read: oidc("Read the OpenID discovery document.", IdentityStore.discoveryDocument)],
                unauthenticated: true, synopsis: "The OpenID discovery document of identity tokens."),
            Route(
                "oidc/.well-known/keys/?",
                operations: [.read: oidc("Read the public keys.", IdentityStore.publicKeySet)],
                unauthenticated: true, synopsis: "The public keys that verify identity tokens (JWKS)."),
        ]

    // MARK: Storage

    func loadOIDC<T: Decodable>(_ type: T.Type, _ key: String) async throws -> T? {
        guard let data = try await storage.get(key) else { return nil }
        return try IdentityLayout.decode(type, data)
    }

    func saveOIDC<T: Encodable>(_ value: T, _ key: String) async throws {
        try await storage.put(key, IdentityLayout.encode(value))
    }

    func loadNamedKey(_ name: String) async throws -> OIDCNamedKey? {
        try await loadOIDC(OIDCNamedKey.self, OIDCLayout.keyKey(name))
    }

    func loadOIDCRole(_ name: String) async throws -> OIDCRole? {
        try await loadOIDC(OIDCRole.self, OIDCLayout.roleKey(name))
    }

    func allOIDCRoles() async throws -> [OIDCRole] {
        var out: [OIDCRole] = []
        for name in try await storage.list(prefix: OIDCLayout.rolePrefix).sorted() where !name.hasSuffix("/") {
            if let r = try await loadOIDCRole(name) { out.append(r) }
        }
        return out
    }

    func allNamedKeys() async throws -> [OIDCNamedKey] {
        var out: [OIDCNamedKey] = []
        for name in try await storage.list(prefix: OIDCLayout.keyPrefix).sorted() where !name.hasSuffix("/") {
            if let k = try await loadNamedKey(name) { out.append(k) }
        }
        return out
    }

    /// Creates the built-in `default` key (all clients allowed) the first time the backend is used.
    func ensureDefaultKey() async throws {
        if oidcDefaultKeyReady.withLock({ $0 }) { return }
        try await oidcLock.withLock {
            if try await loadNamedKey(OIDCLayout.defaultKeyName) == nil {
                let key = OIDCNamedKey(
                    name: OIDCLayout.defaultKeyName, algorithm: "RS256", rotationPeriod: OIDCLayout.defaultPeriod,
                    verificationTTL: OIDCLayout.defaultPeriod, allowedClientIDs: ["*"], current: nil, next: nil,
                    nextRotation: Date().addingTimeInterval(Double(OIDCLayout.defaultPeriod)))
                try await saveOIDC(key, OIDCLayout.keyKey(key.name))
            }
        }
        oidcDefaultKeyReady.withLock { $0 = true }
    }

    func listNamedKeys(_ request: PathRequest) async throws -> LogicalResponse? { try await listNames(prefix: OIDCLayout.keyPrefix) }
    func listOIDCRoles(_ request: PathRequest) async throws -> LogicalResponse? { try await listNames(prefix: OIDCLayout.rolePrefix) }

    func listNames(prefix: String) async throws -> LogicalResponse? {
        let names = try await storage.list(prefix: prefix).filter { !$0.hasSuffix("/") }.sorted()
        if names.isEmpty { throw LogicalError.notFound }
        return LogicalResponse(data: ["keys": names.json])
    }

    // MARK: Config

    func readOIDCConfig(_ request: PathRequest) async throws -> LogicalResponse? {
        let config = try await loadOIDC(OIDCConfig.self, OIDCLayout.configKey) ?? OIDCConfig()
        return LogicalResponse(data: ["issuer": .string(config.issuer)])
    }

    static let issuerWarning = "If \"issuer\" is set explicitly, all tokens must be validated against that address, including those issued by secondary clusters. Setting issuer to \"\" will restore the default behavior of using the cluster's api_addr as the issuer."

    func writeOIDCConfig(_ request: PathRequest) async throws -> LogicalResponse? {
        guard let issuer = try request.fields.stringIfSet("issuer") else { return nil }
        if !issuer.isEmpty, !Self.isValidIssuer(issuer) {
            throw LogicalError.invalidRequest(
                "invalid issuer, which must include only a scheme, host, and optional port (e.g. https://example.com:8200)")
        }
        try await oidcLock.withLock { try await saveOIDC(OIDCConfig(issuer: issuer), OIDCLayout.configKey) }
        return issuer.isEmpty ? nil : LogicalResponse(warnings: [Self.issuerWarning])
    }

    /// `scheme://host[:port]` with an http(s) scheme and nothing else.
    static func isValidIssuer(_ issuer: String) -> Bool {
        guard let sep = issuer.range(of: "://") else { return false }
        let scheme = issuer[..<sep.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return false }
        let authority = issuer[sep.upperBound...]
        guard !authority.isEmpty, !authority.contains(where: { "/?#@ \\".contains($0) }) else { return false }
        var host = Substring(authority)
        var port: Substring? = nil
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return false }
            host = authority[...close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return false }
                port = after.dropFirst()
            }
        } else if let colon = authority.firstIndex(of: ":") {
            host = authority[..<colon]
            port = authority[authority.index(after: colon)...]
        }
        guard !host.isEmpty else { return false }
        if let port, !port.allSatisfy(\.isASCII) || !port.allSatisfy(\.isNumber) { return false }
        return true
    }

    /// The issuer tokens carry: the configured one or the server's API address, plus the backend's path.
    func effectiveIssuer() async throws -> String {
        let config = try await loadOIDC(OIDCConfig.self, OIDCLayout.configKey) ?? OIDCConfig()
        var base = config.issuer.isEmpty ? apiAddress() : config.issuer
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/v1/identity/oidc"
    }

    // MARK: Named keys

    func readNamedKey(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try request.fields.string("name")
        guard let key = try await loadNamedKey(name) else { throw LogicalError.notFound }
        return LogicalResponse(data: [
            "algorithm": .string(key.algorithm),
            "allowed_client_ids": key.allowedClientIDs.json,
            "rotation_period": .int(key.rotationPeriod),
            "verification_ttl": .int(key.verificationTTL),
        ])
    }

    func writeNamedKey(_ request: PathRequest) async throws -> LogicalResponse? {
        let fields = request.fields
        let name = try fields.string("name")
        return try await oidcLock.withLock {
            let now = Date()
            let existing = try await loadNamedKey(name)
            let rotationPeriod = try fields.durationIfSet("rotation_period") ?? existing?.rotationPeriod ?? OIDCLayout.defaultPeriod
            let verificationTTL = try fields.durationIfSet("verification_ttl") ?? existing?.verificationTTL ?? OIDCLayout.defaultPeriod
            if rotationPeriod < 60 { throw LogicalError.invalidRequest("rotation_period must be at least one minute") }
            if verificationTTL > 10 * rotationPeriod {
                throw LogicalError.invalidRequest("verification_ttl cannot be longer than 10x rotation_period")
            }
            let algorithm = try fields.stringIfSet("algorithm") ?? existing?.algorithm ?? "RS256"
            guard OIDCAlgorithm.all.contains(algorithm) else {
                throw LogicalError.invalidRequest("unknown signing algorithm \"\(algorithm)\"")
            }
            let allowed = try fields.stringsIfSet("allowed_client_ids") ?? existing?.allowedClientIDs ?? []
            if let existing, verificationTTL < existing.verificationTTL {
                let roles = try await allOIDCRoles()
                if roles.contains(where: { $0.key == name && $0.ttl > verificationTTL }) {
                    throw LogicalError.invalidRequest(
                        "unable to update key \"\(name)\" because it is currently referenced by one or more roles with a token ttl greater than \(verificationTTL) seconds")
                }
            }
            var key = existing ?? OIDCNamedKey(
                name: name, algorithm: algorithm, rotationPeriod: rotationPeriod, verificationTTL: verificationTTL,
                allowedClientIDs: allowed, current: nil, next: nil,
                nextRotation: now.addingTimeInterval(Double(rotationPeriod)))
            if key.rotationPeriod != rotationPeriod { key.nextRotation = now.addingTimeInterval(Double(rotationPeriod)) }
            key.rotationPeriod = rotationPeriod
            key.verificationTTL = verificationTTL
            key.allowedClientIDs = allowed
            if key.algorithm != algorithm {
                // New key pairs in the new algorithm; the old ones stay verifiable for the verification TTL.
                let expiry = now.addingTimeInterval(Double(verificationTTL))
                for var old in [key.current, key.next].compactMap({ $0 }) {
                    old.expireAt = expiry
                    key.retired.append(old)
                }
                key.current = nil
                key.next = nil
                key.algorithm = algorithm
            }
            try await saveOIDC(key, OIDCLayout.keyKey(name))
            return nil
        }
    }

    func deleteNamedKey(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try request.fields.string("name")
        if name == OIDCLayout.defaultKeyName {
            throw LogicalError.invalidRequest("deletion of key \"\(name)\" not allowed")
        }
        return try await oidcLock.withLock {
            let users = try await allOIDCRoles().filter { $0.key == name }.map(\.name)
            if !users.isEmpty {
                throw LogicalError.invalidRequest(
                    "unable to delete key \"\(name)\" because it is currently referenced by these roles: \(users.joined(separator: ", "))")
            }
            try await storage.delete(OIDCLayout.keyKey(name))
            return nil
        }
    }

    func rotateNamedKey(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try request.fields.string("name")
        let override = try request.fields.durationIfSet("verification_ttl")
        return try await oidcLock.withLock {
            guard var key = try await loadNamedKey(name) else {
                throw LogicalError.invalidRequest("no named key found at \"\(name)\"")
            }
            try Self.rotate(&key, now: Date(), verificationTTL: override ?? key.verificationTTL)
            try await saveOIDC(key, OIDCLayout.keyKey(name))
            return nil
        }
    }

    /// Retires the current key (verifiable for `verificationTTL` more seconds), promotes the next one and generates
    /// a new next key.
    static func rotate(_ key: inout OIDCNamedKey, now: Date, verificationTTL: Int64) throws {
        if var old = key.current {
            old.expireAt = now.addingTimeInterval(Double(verificationTTL))
            key.retired.append(old)
        }
        key.current = try key.next ?? OIDCCrypto.generate(algorithm: key.algorithm)
        key.next = try OIDCCrypto.generate(algorithm: key.algorithm)
        key.nextRotation = now.addingTimeInterval(Double(key.rotationPeriod))
    }

    /// Generates missing key material, rotates when due and drops expired keys. Returns whether `key` changed.
    static func maintain(_ key: inout OIDCNamedKey, now: Date) throws -> Bool {
        let before = key
        if key.nextRotation <= now {
            try rotate(&key, now: now, verificationTTL: key.verificationTTL)
        }
        if key.current == nil { key.current = try OIDCCrypto.generate(algorithm: key.algorithm) }
        if key.next == nil { key.next = try OIDCCrypto.generate(algorithm: key.algorithm) }
        key.retired.removeAll { ($0.expireAt ?? .distantFuture) <= now }
        return key != before
    }

    /// The named key ready to sign (material generated, rotation applied), persisted if that changed it.
    func maintainedKey(_ name: String, now: Date) async throws -> OIDCNamedKey? {
        try await oidcLock.withLock {
            guard var key = try await loadNamedKey(name) else { return nil }
            if try Self.maintain(&key, now: now) { try await saveOIDC(key, OIDCLayout.keyKey(name)) }
            return key
        }
    }

    // MARK: Roles

    func readOIDCRole(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try request.fields.string("name")
        guard let role = try await loadOIDCRole(name) else { throw LogicalError.notFound }
        return LogicalResponse(data: [
            "client_id": .string(role.clientID),
            "key": .string(role.key),
            "template": .string(role.template),
            "ttl": .int(role.ttl),
        ])
    }

    func writeOIDCRole(_ request: PathRequest) async throws -> LogicalResponse? {
        let fields = request.fields
        let name = try fields.string("name")
        return try await oidcLock.withLock {
            let existing = try await loadOIDCRole(name)
            var role = existing ?? OIDCRole(name: name, key: "", template: "", clientID: "", ttl: OIDCLayout.defaultPeriod)
            if let key = try fields.stringIfSet("key") { role.key = key }
            if role.key.isEmpty { throw LogicalError.invalidRequest("the key parameter is required") }
            if var template = try fields.stringIfSet("template") {
                if let decoded = Data(base64Encoded: template), let text = String(data: decoded, encoding: .utf8) {
                    template = text
                }
                do {
                    _ = try OIDCTemplate.claims(template, context: OIDCTemplateContext(entity: nil, groups: [], now: Date()))
                } catch let failure as OIDCTemplate.Failure {
                    throw LogicalError.invalidRequest(failure.message)
                }
                role.template = template
            }
            if let ttl = try fields.durationIfSet("ttl") { role.ttl = ttl }
            let clientID = try fields.string("client_id")
            if !clientID.isEmpty { role.clientID = clientID }
            if role.clientID.isEmpty { role.clientID = OIDCIDs.clientID() }
            guard let key = try await loadNamedKey(role.key) else {
                throw LogicalError.invalidRequest("cannot find key \"\(role.key)\"")
            }
            if role.ttl > key.verificationTTL {
                throw LogicalError.invalidRequest(
                    "a role's token ttl cannot be longer than the verification_ttl of the key it references")
            }
            try await saveOIDC(role, OIDCLayout.roleKey(name))
            return nil
        }
    }

    func deleteOIDCRole(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try request.fields.string("name")
        try await oidcLock.withLock { try await storage.delete(OIDCLayout.roleKey(name)) }
        return nil
    }

    // MARK: Tokens

    func generateIDToken(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try request.fields.string("name")
        let entityID = request.logical.entityID
        guard let role = try await loadOIDCRole(name) else {
            throw LogicalError.invalidRequest("role \"\(name)\" not found")
        }
        guard let stored = try await loadNamedKey(role.key) else {
            throw LogicalError.invalidRequest("key \"\(role.key)\" not found")
        }
        guard stored.allows(clientID: role.clientID) else {
            throw LogicalError.invalidRequest(
                "the key \"\(role.key)\" does not list the client ID of the role \"\(name)\" as an allowed client ID")
        }
        guard !entityID.isEmpty else {
            throw LogicalError.invalidRequest("no entity associated with the request's token")
        }
        let state = try await snapshot()
        guard let entity = state.entity(id: entityID) else {
            throw LogicalError.invalidRequest("error loading entity")
        }
        let now = Date()
        let groups = Self.allGroupIDs(of: entity.id, state).compactMap { state.group(id: $0) }
        var claims: [String: JSONValue]
        do {
            claims = try OIDCTemplate.claims(role.template, context: OIDCTemplateContext(entity: entity, groups: groups, now: now))
        } catch let failure as OIDCTemplate.Failure {
            throw LogicalError.invalidRequest(failure.message)
        }
        guard let key = try await maintainedKey(role.key, now: now), let signer = key.current else {
            throw LogicalError.invalidRequest("key \"\(role.key)\" not found")
        }
        let iat = Int64(now.timeIntervalSince1970)
        claims["iss"] = .string(try await effectiveIssuer())
        claims["sub"] = .string(entity.id)
        claims["aud"] = .string(role.clientID)
        claims["iat"] = .int(iat)
        claims["exp"] = .int(iat + role.ttl)
        claims["namespace"] = .string("root")
        let token = try OIDCCrypto.compactJWS(payload: .object(claims), key: signer)
        return LogicalResponse(data: [
            "client_id": .string(role.clientID), "token": .string(token), "ttl": .int(role.ttl),
        ])
    }

    /// A response the HTTP layer sends as is (OpenBao's raw-body convention), not in the usual envelope.
    static func rawJSON(_ body: String, status: Int = 200) -> LogicalResponse {
        LogicalResponse(data: [
            "http_content_type": .string("application/json"),
            "http_raw_body": .string(body),
            "http_status_code": .int(Int64(status)),
        ])
    }

    func introspect(_ request: PathRequest) async throws -> LogicalResponse? {
        let token = try request.fields.string("token")
        let clientID = try request.fields.string("client_id")
        if let failure = try await introspectionFailure(token: token, clientID: clientID, now: Date()) {
            var body = "{\"active\":false,\"error\":"
            JSONValue.writeStringPublic(failure, to: &body)
            return Self.rawJSON(body + "}")
        }
        return Self.rawJSON("{\"active\":true}")
    }

    /// Why `token` is not an active ID token of this backend, or nil when it is.
    func introspectionFailure(token: String, clientID: String, now: Date) async throws -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else { return "error parsing token: go-jose/go-jose: compact JWS format must have three parts" }
        var decoded: [Data] = []
        for part in parts {
            switch OIDCCrypto.decodeBase64URL(part) {
            case .success(let d): decoded.append(d)
            case .failure(let f): return "error parsing token: \(f.description)"
            }
        }
        guard let header = (try? JSONValue.parse(decoded[0]))?.objectValue else {
            return "error parsing token: invalid character looking for beginning of value"
        }
        let kid = header["kid"]?.stringValue ?? ""
        let alg = header["alg"]?.stringValue ?? ""
        let accepted = ["ES256", "ES384", "ES512", "EdDSA", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
        guard accepted.contains(alg) else {
            var quotedAlg = ""
            JSONValue.writeStringPublic(alg, to: &quotedAlg)
            let list = accepted.map { "\"\($0)\"" }.joined(separator: " ")
            return "error parsing token: unexpected signature algorithm \(quotedAlg); expected [\(list)]"
        }
        let input = Data((parts[0] + "." + parts[1]).utf8)
        var verified = false
        for key in try await allNamedKeys() {
            for k in key.publishedKeys(now: now) where k.kid == kid && k.algorithm == alg {
                if OIDCCrypto.verify(decoded[2], over: input, with: k) { verified = true }
            }
        }
        guard verified else { return "unable to validate the token signature" }
        guard let claims = (try? JSONValue.parse(decoded[1]))?.objectValue else {
            return "error parsing token: invalid claims"
        }
        let prefix = "error validating claims: go-jose/go-jose/jwt: validation failed, "
        if claims["iss"]?.stringValue != (try await effectiveIssuer()) { return prefix + "invalid issuer claim (iss)" }
        if !clientID.isEmpty {
            let audience: [String]
            switch claims["aud"] {
            case .string(let s): audience = [s]
            case .array(let a): audience = a.compactMap(\.stringValue)
            default: audience = []
            }
            if !audience.contains(clientID) { return prefix + "invalid audience claim (aud)" }
        }
        let leeway: Double = 60
        let nowSeconds = now.timeIntervalSince1970
        if let nbf = claims["nbf"]?.intValue, nowSeconds + leeway < Double(nbf) { return prefix + "token not valid yet (nbf)" }
        if let exp = claims["exp"]?.intValue, nowSeconds - leeway > Double(exp) { return prefix + "token is expired (exp)" }
        if let iat = claims["iat"]?.intValue, nowSeconds + leeway < Double(iat) { return prefix + "token issued in the future (iat)" }
        let state = try await snapshot()
        guard let entity = state.entity(id: claims["sub"]?.stringValue ?? "") else { return "entity was not found" }
        if entity.disabled { return "entity is disabled" }
        return nil
    }

    // MARK: Discovery

    func discoveryDocument(_ request: PathRequest) async throws -> LogicalResponse? {
        let issuer = try await effectiveIssuer()
        var body = "{\"issuer\":"
        JSONValue.writeStringPublic(issuer, to: &body)
        body += ",\"jwks_uri\":"
        JSONValue.writeStringPublic(issuer + "/.well-known/keys", to: &body)
        body += ",\"response_types_supported\":[\"id_token\"],\"subject_types_supported\":[\"public\"]"
        body += ",\"id_token_signing_alg_values_supported\":" + OIDCAlgorithm.all.json.serialized() + "}"
        return Self.rawJSON(body)
    }

    /// The JWKS: every published key of the named keys roles use.
    func publicKeySet(_ request: PathRequest) async throws -> LogicalResponse? {
        let now = Date()
        let used = Set(try await allOIDCRoles().map(\.key)).sorted()
        var jwks: [String] = []
        for name in used {
            guard let key = try await maintainedKey(name, now: now) else { continue }
            for k in key.publishedKeys(now: now) { jwks.append(try OIDCCrypto.publicJWK(k)) }
        }
        return Self.rawJSON("{\"keys\":[" + jwks.joined(separator: ",") + "]}")
    }
}
