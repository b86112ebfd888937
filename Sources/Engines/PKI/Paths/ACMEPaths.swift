import CofferSDK
import Foundation

/// The ACME server (RFC 8555) of a PKI mount, at OpenBao's paths: `acme/…`, `roles/:role/acme/…`,
/// `issuer/:ref/acme/…` and `issuer/:ref/roles/:role/acme/…`. The paths are unauthenticated for Vault tokens; each
/// POST is a JWS checked here (signature, single-use nonce, `url`). Every answer is a raw response (RFC 8555 JSON,
/// problem documents, the PEM chain) with `Replay-Nonce` and `Link: <directory>;rel="index"`.
///
/// URLs are built from `config/cluster`'s `path` (as OpenBao does), and each request's JWS `url` must equal
/// `<path>/<request path below the mount>`: the mount must therefore be reached at exactly that URL.
extension PKIEngine {
    /// The directory prefixes below the mount.
    static let acmePrefixes = ["", "roles/{role}/", "issuer/{issuer_ref}/", "issuer/{issuer_ref}/roles/{role}/"]

    static let acmeJWSFields: [Field] = [
        .string("protected", "JWS protected header (base64url)."), .string("payload", "JWS payload (base64url)."),
        .string("signature", "JWS signature (base64url)."),
    ]

    static var acmePaths: [EnginePath<PKIEngine>] {
        typealias Handler = @Sendable (PKIEngine) -> @Sendable (PathRequest) async throws -> LogicalResponse?
        let post: [(String, String, Handler)] = [
            ("new-account", "Create or find an account.", PKIEngine.acmeNewAccount),
            ("account/{kid}", "Read, update or deactivate an account.", PKIEngine.acmeAccount),
            ("new-order", "Create an order.", PKIEngine.acmeNewOrder),
            ("orders", "List an account's orders.", PKIEngine.acmeOrders),
            ("order/{order_id}", "Read an order.", PKIEngine.acmeOrder),
            ("order/{order_id}/finalize", "Finalize an order with a CSR.", PKIEngine.acmeFinalize),
            ("order/{order_id}/cert", "Download an order's certificate chain.", PKIEngine.acmeCertificate),
            ("authorization/{auth_id}", "Read or deactivate an authorization.", PKIEngine.acmeAuthorization),
            ("challenge/{auth_id}/{challenge_type}", "Start a challenge's validation.", PKIEngine.acmeChallenge),
            ("revoke-cert", "Revoke a certificate.", PKIEngine.acmeRevoke),
            ("key-change", "Change an account's key.", PKIEngine.acmeKeyChange),
        ]
        let scope: [Field] = [.string("role", "Role whose rules ACME issues under."), .string("issuer_ref", "Issuer ACME issues from.")]
        var out: [EnginePath<PKIEngine>] = []
        for prefix in acmePrefixes {
            out.append(
                EnginePath(
                    prefix + "acme/directory", fields: scope, operations: [.read: .init("The ACME directory.", method: PKIEngine.acmeServeDirectory)],
                    unauthenticated: true, synopsis: "The ACME directory."))
            out.append(
                EnginePath(
                    prefix + "acme/new-nonce", fields: scope, operations: [.read: .init("A fresh nonce.", method: PKIEngine.acmeNewNonce)],
                    unauthenticated: true, synopsis: "A fresh anti-replay nonce (GET or HEAD)."))
            for (suffix, summary, handler) in post {
                out.append(
                    EnginePath(
                        prefix + "acme/" + suffix,
                        fields: scope + acmeJWSFields + [.string("kid"), .string("order_id"), .string("auth_id"), .string("challenge_type")],
                        operations: [.update: .init(summary, method: handler)], unauthenticated: true, synopsis: summary))
            }
        }
        out.append(
            EnginePath(
                "config/acme", fields: acmeConfigFields,
                operations: [.read: .init("Read the ACME settings.", method: PKIEngine.readACMEConfig), .update: .init("Set the ACME settings.", method: PKIEngine.writeACMEConfig)],
                sudo: true, synopsis: "The ACME server's settings."))
        out.append(
            EnginePath(
                "config/cluster", fields: [.string("path", "This mount's URL, e.g. https://host:8200/v1/pki."), .string("aia_path", "This mount's URL for AIA.")],
                operations: [.read: .init("Read the cluster URLs.", method: PKIEngine.readClusterConfig), .update: .init("Set the cluster URLs.", method: PKIEngine.writeClusterConfig)],
                synopsis: "The URLs this mount is reached at."))
        return out
    }

    // MARK: The request's directory

    /// One request's directory: where it is, under which issuer and role it issues, and the URL its paths start with.
    struct ACMEDirectory: Sendable {
        /// The prefix below the mount, ending in `acme/`.
        var prefix: String
        /// `<cluster path>/<prefix>`.
        var base: String
        /// `<cluster path>/` + the request's path: what the JWS `url` must be.
        var requestURL: String
        var config: ACMEConfig
        var issuerRef: String
        /// nil: sign-verbatim.
        var role: String?

        func url(_ suffix: String) -> String { base + suffix }
        var indexLink: String { "<\(base)directory>;rel=\"index\"" }
    }

    /// The directory of a request, with the mount's ACME policy applied.
    func acmeDirectory(_ r: PathRequest) async throws -> ACMEDirectory {
        let config = try await loadACMEConfig(r.storage)
        guard config.enabled else { throw ACMEProblem.disabled() }
        let cluster = try await loadClusterConfig(r.storage)
        guard !cluster.path.isEmpty else {
            throw ACMEProblem.serverInternal("ACME feature requires local cluster 'path' field configuration to be set")
        }
        guard let range = r.path.range(of: "acme/") else { throw ACMEProblem.malformed("not an ACME path") }
        let prefix = String(r.path[..<range.upperBound])
        var root = cluster.path
        while root.hasSuffix("/") { root.removeLast() }
        var dir = ACMEDirectory(
            prefix: prefix, base: root + "/" + prefix, requestURL: root + "/" + r.path, config: config, issuerRef: "default", role: nil)

        let issuer = try r.fields.string("issuer_ref")
        if !issuer.isEmpty {
            if !config.allowedIssuers.contains("*") {
                let resolved = try? await resolveIssuer(r.storage, issuer)
                guard config.allowedIssuers.contains(issuer) || (resolved.map { config.allowedIssuers.contains($0.id) || (!$0.name.isEmpty && config.allowedIssuers.contains($0.name)) } ?? false)
                else { throw ACMEProblem.serverInternal("specified issuer not allowed by ACME policy") }
            }
            dir.issuerRef = issuer
        }
        let role = try r.fields.string("role")
        if !role.isEmpty {
            guard config.allowedRoles.contains("*") || config.allowedRoles.contains(role) else {
                throw ACMEProblem.serverInternal("specified role not allowed by ACME policy")
            }
            dir.role = role
        } else {
            let policy = config.defaultDirectoryPolicy
            if policy == "forbid" { throw ACMEProblem.serverInternal("default directory not allowed by ACME policy") }
            if policy.hasPrefix("role:") { dir.role = String(policy.dropFirst(5)) }
        }
        if let name = dir.role {
            guard let entry = try await loadRole(r.storage, name) else { throw ACMEProblem.malformed("role does not exist") }
            if entry["no_store"]?.boolValue == true {
                throw ACMEProblem.serverInternal("role can not be used as NoStore is set to true")
            }
            if issuer.isEmpty, let ref = entry["issuer_ref"]?.stringValue, !ref.isEmpty { dir.issuerRef = ref }
        }
        return dir
    }

    // MARK: Replies

    /// An ACME answer before it becomes a raw response.
    struct ACMEReply: Sendable {
        var status: Int = 200
        var body: String = ""
        var contentType = "application/json"
        var location: String?
        var links: [String] = []
        /// Seconds before the client should poll again (RFC 8555 §8.2), for objects still being validated.
        var retryAfter: Int?

        static func json(_ value: JSONValue, status: Int = 200, location: String? = nil, links: [String] = []) -> ACMEReply {
            ACMEReply(status: status, body: value.serialized(), location: location, links: links)
        }
    }

    /// The raw response for a reply, with a new nonce and the index link.
    func acmeResponse(_ reply: ACMEReply, directory: ACMEDirectory?) -> LogicalResponse {
        var headers: [String: JSONValue] = ["Replay-Nonce": .string(acme.nonces.issue(now: acme.now()))]
        var links = reply.links
        if let directory { links.insert(directory.indexLink, at: 0) }
        if !links.isEmpty { headers["Link"] = .array(links.map { .string($0) }) }
        if let l = reply.location { headers["Location"] = .string(l) }
        if let s = reply.retryAfter { headers["Retry-After"] = .string(String(s)) }
        return LogicalResponse(data: [
            "http_status_code": .int(Int64(reply.status)), "http_content_type": .string(reply.contentType),
            "http_raw_body": .string(reply.body), "http_headers": .object(headers),
        ])
    }

    /// Runs an ACME handler: its directory first, then the handler; an ``ACMEProblem`` (or any other error, as
    /// `serverInternal` without its text) becomes a problem document.
    func acmeServe(_ r: PathRequest, _ body: (ACMEDirectory) async throws -> ACMEReply) async throws -> LogicalResponse? {
        var directory: ACMEDirectory?
        do {
            let dir = try await acmeDirectory(r)
            directory = dir
            return acmeResponse(try await body(dir), directory: dir)
        } catch let p as ACMEProblem {
            return acmeResponse(ACMEReply(status: p.status, body: p.document.serialized(), contentType: "application/problem+json"), directory: directory)
        } catch let e as LogicalError where e.code == .invalidRequest {
            let p = ACMEProblem.malformed(e.messages.joined(separator: "; "))
            return acmeResponse(ACMEReply(status: p.status, body: p.document.serialized(), contentType: "application/problem+json"), directory: directory)
        } catch {
            let p = ACMEProblem.serverInternal("internal error")
            return acmeResponse(ACMEReply(status: p.status, body: p.document.serialized(), contentType: "application/problem+json"), directory: directory)
        }
    }

    // MARK: Authentication of a request

    /// A verified request: its JWS, and the account that signed it (nil when signed with a `jwk`).
    struct ACMEAuthenticated: Sendable {
        var jws: ACMEJWS
        var key: ACMEPublicKey
        var account: ACMEAccount?

        func requireAccount() throws(ACMEProblem) -> ACMEAccount {
            guard let account else { throw .malformed("this request must be signed with the account's kid") }
            return account
        }
    }

    /// Checks a request's JWS: shape, `url`, nonce, key (`jwk` only where `allowJWK`), signature and account status.
    func acmeAuthenticate(_ r: PathRequest, _ dir: ACMEDirectory, allowJWK: Bool) async throws -> ACMEAuthenticated {
        let jws = try ACMEJWS(body: r.data)
        guard jws.url == dir.requestURL else {
            throw ACMEProblem.unauthorized("the JWS url \(jws.url) does not match the request URL \(dir.requestURL)")
        }
        guard acme.nonces.consume(jws.nonce, now: acme.now()) else { throw ACMEProblem.badNonce("the nonce is unknown, used or expired") }
        if let jwk = jws.jwk {
            guard allowJWK else { throw ACMEProblem.malformed("this request must be signed with the account's kid, not a jwk") }
            let key = try ACMEPublicKey(jwk: jwk)
            try jws.verify(with: key)
            return ACMEAuthenticated(jws: jws, key: key, account: nil)
        }
        let kid = jws.kid ?? ""
        let accountPrefix = dir.url("account/")
        guard kid.hasPrefix(accountPrefix) else { throw ACMEProblem.accountDoesNotExist("unknown account \(kid)") }
        let id = String(kid.dropFirst(accountPrefix.count))
        guard !id.isEmpty, !id.contains("/"), let account = try await PKIStore.load(ACMEAccount.self, r.storage, ACMEStore.account(id)),
            account.directory == dir.prefix
        else { throw ACMEProblem.accountDoesNotExist("unknown account \(kid)") }
        let key = try ACMEPublicKey(jwk: account.jwk)
        try jws.verify(with: key)
        guard account.status == "valid" else { throw ACMEProblem.unauthorized("the account is \(account.status)") }
        return ACMEAuthenticated(jws: jws, key: key, account: account)
    }

    // MARK: Directory, nonces, accounts

    func acmeServeDirectory(_ r: PathRequest) async throws -> LogicalResponse? {
        try await acmeServe(r) { dir in
            .json([
                "newNonce": .string(dir.url("new-nonce")), "newAccount": .string(dir.url("new-account")), "newOrder": .string(dir.url("new-order")),
                "revokeCert": .string(dir.url("revoke-cert")), "keyChange": .string(dir.url("key-change")),
                "meta": ["externalAccountRequired": false],
            ])
        }
    }

    /// `new-nonce`: 204 with the nonce (the HTTP layer answers a HEAD 200, RFC 8555 §7.2).
    func acmeNewNonce(_ r: PathRequest) async throws -> LogicalResponse? {
        try await acmeServe(r) { _ in ACMEReply(status: 204) }
    }

    func accountJSON(_ a: ACMEAccount, _ dir: ACMEDirectory) -> JSONValue {
        ["status": .string(a.status), "contact": .array(a.contact.map { .string($0) }), "orders": .string(dir.url("orders"))]
    }

    func acmeNewAccount(_ r: PathRequest) async throws -> LogicalResponse? {
        try await acmeServe(r) { dir in
            let auth = try await acmeAuthenticate(r, dir, allowJWK: true)
            guard let jwk = auth.jws.jwk else { throw ACMEProblem.malformed("new-account must be signed with a jwk") }
            let payload = try auth.jws.payloadObject()
            let thumbprint = try ACMEPublicKey.thumbprint(jwk: jwk)
            return try await lock.withLock {
                if let id = try await r.storage.get(ACMEStore.accountKey(thumbprint)).map({ String(decoding: $0, as: UTF8.self) }),
                    let existing = try await PKIStore.load(ACMEAccount.self, r.storage, ACMEStore.account(id))
                {
                    guard existing.directory == dir.prefix else {
                        throw ACMEProblem.unauthorized("this key belongs to an account of another ACME directory")
                    }
                    guard existing.status == "valid" else { throw ACMEProblem.unauthorized("the account is \(existing.status)") }
                    return .json(accountJSON(existing, dir), location: dir.url("account/" + id))
                }
                if payload["onlyReturnExisting"]?.boolValue == true { throw ACMEProblem.accountDoesNotExist("no account exists for this key") }
                let contact = payload["contact"]?.arrayValue?.compactMap(\.stringValue) ?? []
                for c in contact where !c.hasPrefix("mailto:") {
                    throw ACMEProblem.init("unsupportedContact", "only mailto: contacts are supported")
                }
                let account = ACMEAccount(
                    id: RandomID.uuid(), status: "valid", jwk: jwk, thumbprint: thumbprint, contact: contact, createdAt: acme.now(),
                    directory: dir.prefix)
                try await PKIStore.save(account, r.storage, ACMEStore.account(account.id))
                try await r.storage.put(ACMEStore.accountKey(thumbprint), Data(account.id.utf8))
                return .json(accountJSON(account, dir), status: 201, location: dir.url("account/" + account.id))
            }
        }
    }

    func acmeAccount(_ r: PathRequest) async throws -> LogicalResponse? {
        try await acmeServe(r) { dir in
            var account = try await acmeAuthenticate(r, dir, allowJWK: false).requireAccount()
            guard account.id == (try r.fields.string("kid")) else { throw ACMEProblem.unauthorized("the kid does not match the account URL") }
            let auth = try ACMEJWS(body: r.data)
            if !auth.isPostAsGet {
                let payload = try auth.payloadObject()
                if let contact = payload["contact"]?.arrayValue {
                    account.contact = contact.compactMap(\.stringValue)
                }
                if let status = payload["status"]?.stringValue {
                    guard status == "deactivated" else { throw ACMEProblem.malformed("an account's status can only be set to deactivated") }
                    account.status = status
                }
                try await PKIStore.save(account, r.storage, ACMEStore.account(account.id))
            }
            return .json(accountJSON(account, dir), location: dir.url("account/" + account.id))
        }
    }

    /// `key-change` (RFC 8555 §7.3.5): the inner JWS, signed by the new key, names the account and its old key.
    func acmeKeyChange(_ r: PathRequest) async throws -> LogicalResponse? {
        try await acmeServe(r) { dir in
            let outer = try await acmeAuthenticate(r, dir, allowJWK: false)
            var account = try outer.requireAccount()
            let innerBody = try outer.jws.payloadObject()
            guard let innerProtected = innerBody["protected"]?.stringValue, let bytes = Base64URL.decode(innerProtected),
                case .object(let header)? = try? JSONValue.parse(bytes)
            else { throw ACMEProblem.malformed("the key-change payload must be a JWS") }
            guard header["nonce"] == nil else { throw ACMEProblem.malformed("the inner JWS must not have a nonce") }
            // The inner JWS has no nonce: parse it with a placeholder so that the shape checks are shared.
            var withNonce = header
            withNonce["nonce"] = "inner"
            var innerFields = innerBody
            innerFields["protected"] = .string(Base64URL.encode(JSONValue.object(withNonce).serializedBytes()))
            var inner = try ACMEJWS(body: innerFields)
            inner.signingInput = Array((innerProtected + "." + (innerBody["payload"]?.stringValue ?? "")).utf8)
            guard let newJWK = inner.jwk else { throw ACMEProblem.malformed("the inner JWS must carry the new key as a jwk") }
            guard inner.url == outer.jws.url else { throw ACMEProblem.malformed("the inner JWS url must be the outer one") }
            let newKey = try ACMEPublicKey(jwk: newJWK)
            try inner.verify(with: newKey)
            let change = try inner.payloadObject()
            guard change["account"]?.stringValue == dir.url("account/" + account.id) else {
                throw ACMEProblem.malformed("the key-change account does not match the signer")
            }
            guard let old = change["oldKey"]?.objectValue, (try? ACMEPublicKey.thumbprint(jwk: old)) == account.thumbprint else {
                throw ACMEProblem.malformed("oldKey is not the account's key")
            }
            let newThumbprint = try ACMEPublicKey.thumbprint(jwk: newJWK)
            return try await lock.withLock {
                if try await r.storage.get(ACMEStore.accountKey(newThumbprint)) != nil {
                    throw ACMEProblem.init("conflict", "the new key is already in use", status: 409)
                }
                try await r.storage.delete(ACMEStore.accountKey(account.thumbprint))
                account.jwk = newJWK
                account.thumbprint = newThumbprint
                try await PKIStore.save(account, r.storage, ACMEStore.account(account.id))
                try await r.storage.put(ACMEStore.accountKey(newThumbprint), Data(account.id.utf8))
                return .json(accountJSON(account, dir), location: dir.url("account/" + account.id))
            }
        }
    }
}
