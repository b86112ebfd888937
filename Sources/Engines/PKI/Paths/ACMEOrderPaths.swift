import CofferSDK
import Foundation
import SwiftASN1
import X509

/// ACME orders, authorizations, http-01 challenges, finalize (through the engine's own `sign`/`sign-verbatim`), the
/// certificate download and revocation.
///
/// Challenge validation runs when the client posts the challenge and again, while it is still `processing`, each
/// time the client polls the authorization, challenge or order (at most ``ACMEServices/maxAttempts`` fetches,
/// ``ACMEServices/retryInterval`` apart): the retries are driven by the client's polling, so the engine runs no
/// task of its own.
extension PKIEngine {
    // MARK: JSON shapes

    func orderJSON(_ o: ACMEOrder, _ dir: ACMEDirectory) -> JSONValue {
        var out: [String: JSONValue] = [
            "status": .string(o.status), "expires": .string(ACMETime.format(o.expires)),
            "identifiers": .array(o.identifiers.map(\.json)),
            "authorizations": .array(o.authorizationIDs.map { .string(dir.url("authorization/" + $0)) }),
            "finalize": .string(dir.url("order/\(o.id)/finalize")),
        ]
        if let nb = o.notBefore { out["notBefore"] = .string(nb) }
        if let na = o.notAfter { out["notAfter"] = .string(na) }
        if o.certificateChain != nil { out["certificate"] = .string(dir.url("order/\(o.id)/cert")) }
        if let e = o.error { out["error"] = e.document }
        return .object(out)
    }

    func challengeJSON(_ c: ACMEChallenge, authID: String, _ dir: ACMEDirectory) -> JSONValue {
        var out: [String: JSONValue] = [
            "type": .string(c.type), "url": .string(dir.url("challenge/\(authID)/\(c.type)")), "token": .string(c.token),
            "status": .string(c.status),
        ]
        if let v = c.validated { out["validated"] = .string(ACMETime.format(v)) }
        if let e = c.error { out["error"] = e.document }
        return .object(out)
    }

    func authorizationJSON(_ a: ACMEAuthorization, _ dir: ACMEDirectory) -> JSONValue {
        [
            "identifier": a.identifier.json, "status": .string(a.status), "expires": .string(ACMETime.format(a.expires)),
            "challenges": .array(a.challenges.map { challengeJSON($0, authID: a.id, dir) }),
        ]
    }

    // MARK: Loading what an account owns

    func ownedOrder(_ r: PathRequest, _ account: ACMEAccount, _ id: String) async throws -> ACMEOrder {
        guard let o = try await PKIStore.load(ACMEOrder.self, r.storage, ACMEStore.order(id)), o.accountID == account.id else {
            throw ACMEProblem.notFound("order \(id) not found")
        }
        return o
    }

    func ownedAuthorization(_ r: PathRequest, _ account: ACMEAccount, _ id: String) async throws -> ACMEAuthorization {
        guard let a = try await PKIStore.load(ACMEAuthorization.self, r.storage, ACMEStore.authorization(id)), a.accountID == account.id else {
            throw ACMEProblem.notFound("authorization \(id) not found")
        }
        return a
    }

    // MARK: Identifiers

    /// An order's identifiers, checked (RFC 8555 §7.4, RFC 8738) and allowed by the directory's role.
    func acmeIdentifiers(_ payload: [String: JSONValue], _ r: PathRequest, _ dir: ACMEDirectory) async throws -> [ACMEIdentifier] {
        guard let list = payload["identifiers"]?.arrayValue, !list.isEmpty else { throw ACMEProblem.malformed("an order needs identifiers") }
        guard list.count <= 100 else { throw ACMEProblem.rejectedIdentifier("an order may hold at most 100 identifiers") }
        var out: [ACMEIdentifier] = []
        for item in list {
            guard let type = item["type"]?.stringValue, let value = item["value"]?.stringValue else {
                throw ACMEProblem.malformed("an identifier needs a type and a value")
            }
            switch type {
            case "dns":
                let name = value.lowercased()
                if name.hasPrefix("*.") {
                    throw ACMEProblem.rejectedIdentifier("wildcard identifiers need dns-01 challenges, which this server does not offer")
                }
                guard RoleNamePolicy.isHostname(name, wildcard: false) else { throw ACMEProblem.rejectedIdentifier("\(value) is not a valid DNS name") }
                out.append(ACMEIdentifier(type: "dns", value: name))
            case "ip":
                guard CertificateBuilder.ipBytes(value) != nil else { throw ACMEProblem.rejectedIdentifier("\(value) is not a valid IP address") }
                out.append(ACMEIdentifier(type: "ip", value: value))
            default:
                throw ACMEProblem.unsupportedIdentifier("identifier type \(type) is not supported")
            }
        }
        if let name = dir.role {
            guard let role = try await loadRole(r.storage, name) else { throw ACMEProblem.unauthorized("role \(name) does not exist") }
            do {
                try RoleNamePolicy(role: role).check(
                    commonName: "", dns: out.filter { $0.type == "dns" }.map(\.value), emails: [],
                    ips: out.filter { $0.type == "ip" }.compactMap { CertificateBuilder.ipBytes($0.value) }, uris: [])
            } catch let e as LogicalError {
                throw ACMEProblem.rejectedIdentifier(e.messages.joined(separator: "; "))
            }
        }
        var seen = Set<ACMEIdentifier>()
        return out.filter { seen.insert($0).inserted }
    }

    // MARK: Orders

    func acmeNewOrder(_ r: PathRequest) async throws -> LogicalResponse? {
        try await acmeServe(r) { dir in
            let auth = try await acmeAuthenticate(r, dir, allowJWK: false)
            let account = try auth.requireAccount()
            let payload = try auth.jws.payloadObject()
            let identifiers = try await acmeIdentifiers(payload, r, dir)
            let now = acme.now()
            let expires = now.addingTimeInterval(acme.orderLifetime)
            let orderID = RandomID.uuid()
            var authIDs: [String] = []
            for identifier in identifiers {
                let token = Base64URL.encode((0..<32).map { _ in UInt8.random(in: .min ... .max) })
                let a = ACMEAuthorization(
                    id: RandomID.uuid(), accountID: account.id, orderID: orderID, identifier: identifier, status: "pending", expires: expires,
                    challenges: [ACMEChallenge(type: "http-01", token: token, status: "pending")])
                try await PKIStore.save(a, r.storage, ACMEStore.authorization(a.id))
                authIDs.append(a.id)
            }
            let order = ACMEOrder(
                id: orderID, accountID: account.id, status: "pending", expires: expires, identifiers: identifiers,
                notBefore: payload["notBefore"]?.stringValue, notAfter: payload["notAfter"]?.stringValue, authorizationIDs: authIDs,
                directory: dir.prefix)
            try await PKIStore.save(order, r.storage, ACMEStore.order(orderID))
            try await r.storage.put(ACMEStore.accountOrders(account.id) + orderID, Data())
            return .json(orderJSON(order, dir), status: 201, location: dir.url("order/" + orderID))
        }
    }

    func acmeOrders(_ r: PathRequest) async throws -> LogicalResponse? {
        try await acmeServe(r) { dir in
            let account = try await acmeAuthenticate(r, dir, allowJWK: false).requireAccount()
            let ids = try await r.storage.list(prefix: ACMEStore.accountOrders(account.id)).filter { !$0.hasSuffix("/") }.sorted()
            return .json(["orders": .array(ids.map { .string(dir.url("order/" + $0)) })])
        }
    }

    func acmeOrder(_ r: PathRequest) async throws -> LogicalResponse? {
        try await acmeServe(r) { dir in
            let account = try await acmeAuthenticate(r, dir, allowJWK: false).requireAccount()
            let order = try await refreshOrder(r, try await ownedOrder(r, account, try r.fields.string("order_id")))
            return .json(orderJSON(order, dir), location: dir.url("order/" + order.id))
        }
    }

    /// An order with its status brought up to date: expired, or ready/invalid from its authorizations (whose
    /// pending validations are retried first).
    func refreshOrder(_ r: PathRequest, _ order: ACMEOrder) async throws -> ACMEOrder {
        var order = order
        let now = acme.now()
        guard order.status == "pending" else { return order }
        if order.expires <= now {
            order.status = "invalid"
            order.error = .malformed("the order expired")
        } else {
            var statuses: [String] = []
            for id in order.authorizationIDs {
                guard var a = try await PKIStore.load(ACMEAuthorization.self, r.storage, ACMEStore.authorization(id)) else {
                    statuses.append("invalid")
                    continue
                }
                a = try await validatePending(r, a)
                statuses.append(a.status)
            }
            if statuses.allSatisfy({ $0 == "valid" }) {
                order.status = "ready"
            } else if statuses.contains(where: { $0 != "valid" && $0 != "pending" }) {
                order.status = "invalid"
                order.error = .unauthorized("an authorization of the order is not valid")
            }
        }
        if order.status != "pending" { try await PKIStore.save(order, r.storage, ACMEStore.order(order.id)) }
        return order
    }

    // MARK: Authorizations and challenges

    func acmeAuthorization(_ r: PathRequest) async throws -> LogicalResponse? {
        try await acmeServe(r) { dir in
            let auth = try await acmeAuthenticate(r, dir, allowJWK: false)
            let account = try auth.requireAccount()
            var a = try await ownedAuthorization(r, account, try r.fields.string("auth_id"))
            if !auth.jws.isPostAsGet {
                let payload = try auth.jws.payloadObject()
                if let status = payload["status"]?.stringValue {
                    guard status == "deactivated" else { throw ACMEProblem.malformed("an authorization can only be deactivated") }
                    guard a.status == "pending" || a.status == "valid" else { throw ACMEProblem.malformed("the authorization is \(a.status)") }
                    a.status = "deactivated"
                    try await PKIStore.save(a, r.storage, ACMEStore.authorization(a.id))
                }
            } else {
                a = try await validatePending(r, a)
            }
            var reply = ACMEReply.json(authorizationJSON(a, dir))
            if a.status == "pending", a.challenges.contains(where: { $0.status == "processing" }) { reply.retryAfter = Int(acme.retryInterval.rounded(.up)) }
            return reply
        }
    }

    func acmeChallenge(_ r: PathRequest) async throws -> LogicalResponse? {
        try await acmeServe(r) { dir in
            let auth = try await acmeAuthenticate(r, dir, allowJWK: false)
            let account = try auth.requireAccount()
            let type = try r.fields.string("challenge_type")
            let authID = try r.fields.string("auth_id")
            var a = try await ownedAuthorization(r, account, authID)
            guard let i = a.challenges.firstIndex(where: { $0.type == type }) else { throw ACMEProblem.notFound("challenge \(type) not found") }
            // A POST with a payload (`{}`) asks for validation; POST-as-GET only reads.
            if !auth.jws.isPostAsGet, a.status == "pending", a.challenges[i].status == "pending" {
                a.challenges[i].status = "processing"
                try await PKIStore.save(a, r.storage, ACMEStore.authorization(a.id))
            }
            a = try await validatePending(r, a)
            var reply = ACMEReply.json(challengeJSON(a.challenges[i], authID: a.id, dir), links: ["<\(dir.url("authorization/" + a.id))>;rel=\"up\""])
            if a.challenges[i].status == "processing" { reply.retryAfter = Int(acme.retryInterval.rounded(.up)) }
            return reply
        }
    }

    /// Makes the next validation attempt of an authorization's processing challenge, when one is due; returns the
    /// authorization as stored afterwards.
    func validatePending(_ r: PathRequest, _ a: ACMEAuthorization) async throws -> ACMEAuthorization {
        guard a.status == "pending" else { return a }
        let now = acme.now()
        if a.expires <= now {
            var expired = a
            expired.status = "expired"
            try await PKIStore.save(expired, r.storage, ACMEStore.authorization(a.id))
            return expired
        }
        guard a.challenges.contains(where: { $0.status == "processing" }) else { return a }
        return try await acme.validationLock.withLock {
            // Read again under the lock: another poll may just have validated it.
            guard var a = try await PKIStore.load(ACMEAuthorization.self, r.storage, ACMEStore.authorization(a.id)), a.status == "pending",
                let i = a.challenges.firstIndex(where: { $0.status == "processing" })
            else { return try await PKIStore.load(ACMEAuthorization.self, r.storage, ACMEStore.authorization(a.id)) ?? a }
            if let last = a.challenges[i].lastAttempt, now.timeIntervalSince(last) < acme.retryInterval { return a }
            guard let account = try await PKIStore.load(ACMEAccount.self, r.storage, ACMEStore.account(a.accountID)) else {
                throw ACMEProblem.accountDoesNotExist("the authorization's account is gone")
            }
            a.challenges[i].attempts += 1
            a.challenges[i].lastAttempt = now
            let expected = a.challenges[i].token + "." + account.thumbprint
            switch await fetchHTTP01(a.identifier, token: a.challenges[i].token) {
            case .success(let body):
                let text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                if text == expected {
                    a.challenges[i].status = "valid"
                    a.challenges[i].validated = acme.now()
                    a.challenges[i].error = nil
                    a.status = "valid"
                } else {
                    a.challenges[i].error = .incorrectResponse("the key authorization served does not match")
                }
            case .failure(let problem):
                a.challenges[i].error = problem
            }
            if a.status != "valid", a.challenges[i].attempts >= acme.maxAttempts {
                a.challenges[i].status = "invalid"
                a.status = "invalid"
            }
            try await PKIStore.save(a, r.storage, ACMEStore.authorization(a.id))
            return a
        }
    }

    /// The challenge response served for an identifier, or why it could not be fetched.
    func fetchHTTP01(_ identifier: ACMEIdentifier, token: String) async -> Result<[UInt8], ACMEProblem> {
        var host = identifier.value
        if identifier.type == "ip", host.contains(":") { host = "[" + host + "]" }
        let port = acme.http01Port == 80 ? "" : ":\(acme.http01Port)"
        let url = "http://\(host)\(port)/.well-known/acme-challenge/\(token)"
        do {
            return .success(try await acme.fetcher.fetch(url))
        } catch let e as HTTP01FetchError {
            return .failure(.connection("\(identifier.value): \(e.description)"))
        } catch {
            return .failure(.connection("\(identifier.value): could not fetch the challenge URL"))
        }
    }

    // MARK: Finalize and the certificate

    func acmeFinalize(_ r: PathRequest) async throws -> LogicalResponse? {
        try await acmeServe(r) { dir in
            let auth = try await acmeAuthenticate(r, dir, allowJWK: false)
            let account = try auth.requireAccount()
            let orderID = try r.fields.string("order_id")
            _ = try await refreshOrder(r, try await ownedOrder(r, account, orderID))
            let payload = try auth.jws.payloadObject()
            guard let csrText = payload["csr"]?.stringValue, let der = Base64URL.decode(csrText) else {
                throw ACMEProblem.malformed("finalize needs a base64url csr")
            }
            let csr: CertificateSigningRequest
            do {
                csr = try CertificateSigningRequest(derEncoded: der)
            } catch {
                throw ACMEProblem.badCSR("the CSR could not be parsed")
            }
            guard csr.publicKey.isValidSignature(csr.signature, for: csr) else { throw ACMEProblem.badCSR("the CSR signature is invalid") }
            let pem = PEMDocument(type: "CERTIFICATE REQUEST", derBytes: der).pemString
            // Under the lock and read again, so that two finalize requests cannot both issue.
            let order = try await acme.validationLock.withLock {
                var order = try await ownedOrder(r, account, orderID)
                guard order.status == "ready" else { throw ACMEProblem.orderNotReady("the order is \(order.status), not ready") }
                try Self.checkCSRNames(csr, order.identifiers)
                let chain = try await acmeSign(
                    r, dir, csrPEM: pem, identifiers: order.identifiers, commonName: CertificateBuilder.commonName(csr.subject))
                order.status = "valid"
                order.certificateSerial = chain.serial
                order.certificateChain = chain.pem
                try await PKIStore.save(order, r.storage, ACMEStore.order(order.id))
                return order
            }
            return .json(orderJSON(order, dir), location: dir.url("order/" + order.id))
        }
    }

    /// The CSR must ask for exactly the order's identifiers (RFC 8555 §7.4): its DNS and IP SANs, and its common
    /// name if it has one, which must be one of them.
    static func checkCSRNames(_ csr: CertificateSigningRequest, _ identifiers: [ACMEIdentifier]) throws {
        var dns = Set<String>()
        var ips = Set<[UInt8]>()
        for san in csrSANs(csr) {
            switch san {
            case .dnsName(let n): dns.insert(n.lowercased())
            case .ipAddress(let b): ips.insert(Array(b.bytes))
            default: throw ACMEProblem.badCSR("the CSR asks for names other than DNS names and IP addresses")
            }
        }
        let cn = CertificateBuilder.commonName(csr.subject)
        if !cn.isEmpty {
            if let b = CertificateBuilder.ipBytes(cn) { ips.insert(b) } else { dns.insert(cn.lowercased()) }
        }
        let wantDNS = Set(identifiers.filter { $0.type == "dns" }.map(\.value))
        let wantIPs = Set(identifiers.filter { $0.type == "ip" }.compactMap { CertificateBuilder.ipBytes($0.value) })
        guard dns == wantDNS, ips == wantIPs else { throw ACMEProblem.badCSR("the CSR's names do not match the order's identifiers") }
    }

    /// Signs a CSR through the mount's own `sign/<role>` or `sign-verbatim` path, from the directory's issuer; returns
    /// the serial and the PEM chain (leaf first). Under a role the names are passed explicitly (the CSR's common name,
    /// else the first DNS identifier, as the common name), so that the role's `use_csr_*` settings do not drop them.
    func acmeSign(
        _ r: PathRequest, _ dir: ACMEDirectory, csrPEM: String, identifiers: [ACMEIdentifier], commonName: String
    ) async throws -> (serial: String, pem: String) {
        let issuer: IssuerEntry
        do {
            issuer = try await resolveIssuer(r.storage, dir.issuerRef)
        } catch {
            throw ACMEProblem.serverInternal("the ACME issuer \(dir.issuerRef) could not be found")
        }
        let caNotAfter = (try? PKIFormat.parseCertificate(issuer.certificate))?.notValidAfter ?? .distantFuture
        let remaining = Int64(max(60, caNotAfter.timeIntervalSince(acme.now()).rounded(.down)))
        var ttl = min(dir.config.maxTTL, remaining)
        // A role's own TTL, when it sets one, within ACME's max_ttl.
        if let role = dir.role, let roleTTL = try await loadRole(r.storage, role)?["ttl"]?.intValue, roleTTL > 0 { ttl = min(ttl, roleTTL) }
        var data: [String: JSONValue] = ["csr": .string(csrPEM), "ttl": .string("\(ttl)s")]
        let path: String
        if let role = dir.role {
            path = "issuer/\(issuer.id)/sign/\(role)"
            let dns = identifiers.filter { $0.type == "dns" }.map(\.value)
            let cn = commonName.isEmpty ? (dns.first ?? "") : commonName
            data["common_name"] = .string(cn)
            data["alt_names"] = .string(dns.joined(separator: ","))
            data["ip_sans"] = .string(identifiers.filter { $0.type == "ip" }.map(\.value).joined(separator: ","))
        } else {
            path = "issuer/\(issuer.id)/sign-verbatim"
            data["key_usage"] = ["DigitalSignature", "KeyAgreement", "KeyEncipherment"]
            data["ext_key_usage"] = ["ServerAuth"]
        }
        let request = LogicalRequest(operation: .update, path: path, data: data, storage: r.storage, mountPoint: r.logical.mountPoint)
        let response: LogicalResponse?
        do {
            if let name = dir.role {
                // The role's rules, with OpenBao's ACME amendment: server auth only unless allow_role_ext_key_usage.
                guard var role = try await loadRole(r.storage, name), let (_, preq) = Self.router.resolve(request) else {
                    throw ACMEProblem.malformed("role does not exist")
                }
                if !dir.config.allowRoleExtKeyUsage {
                    role["ext_key_usage"] = ["ServerAuth"]
                    role["ext_key_usage_oids"] = []
                    role["server_flag"] = true
                    role["client_flag"] = false
                    role["code_signing_flag"] = false
                    role["email_protection_flag"] = false
                }
                response = try await signCSR(preq, role: role, csr: try Self.parseCSR(csrPEM))
            } else {
                response = try await Self.router.handle(self, request)
            }
        } catch let e as LogicalError {
            throw ACMEProblem.badCSR(e.messages.joined(separator: "; "))
        }
        guard let d = response?.data, let cert = d["certificate"]?.stringValue, let serial = d["serial_number"]?.stringValue else {
            throw ACMEProblem.serverInternal("the certificate could not be issued")
        }
        var chain = [cert.trimmingCharacters(in: .whitespacesAndNewlines)]
        for c in d["ca_chain"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            chain.append(c.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return (serial, chain.joined(separator: "\n") + "\n")
    }

    func acmeCertificate(_ r: PathRequest) async throws -> LogicalResponse? {
        try await acmeServe(r) { dir in
            let account = try await acmeAuthenticate(r, dir, allowJWK: false).requireAccount()
            let order = try await ownedOrder(r, account, try r.fields.string("order_id"))
            guard order.status == "valid", let chain = order.certificateChain else { throw ACMEProblem.orderNotReady("the order has no certificate") }
            return ACMEReply(status: 200, body: chain, contentType: "application/pem-certificate-chain")
        }
    }

    // MARK: Revocation

    /// `revoke-cert` (RFC 8555 §7.6): by the account that ordered the certificate (kid), or by the certificate's
    /// own key (jwk).
    func acmeRevoke(_ r: PathRequest) async throws -> LogicalResponse? {
        try await acmeServe(r) { dir in
            let auth = try await acmeAuthenticate(r, dir, allowJWK: true)
            let payload = try auth.jws.payloadObject()
            guard let text = payload["certificate"]?.stringValue, let der = Base64URL.decode(text),
                let cert = try? Certificate(derEncoded: der)
            else { throw ACMEProblem.malformed("revoke-cert needs a base64url DER certificate") }
            if let reason = payload["reason"]?.intValue, !(0...10).contains(reason) || reason == 7 {
                throw ACMEProblem.badRevocationReason("unsupported revocation reason \(reason)")
            }
            let serial = PKIFormat.serial(cert.serialNumber)
            guard let stored = try await PKIStore.load(CertRecord.self, r.storage, PKIStore.cert(serial)),
                stored.certificate.trimmingCharacters(in: .whitespacesAndNewlines) == (try PKIFormat.pem(cert)).trimmingCharacters(in: .whitespacesAndNewlines)
            else { throw ACMEProblem.unauthorized("the certificate was not issued by this mount") }
            if let account = auth.account {
                var owns = false
                for id in try await r.storage.list(prefix: ACMEStore.accountOrders(account.id)) where !id.hasSuffix("/") {
                    if let o = try await PKIStore.load(ACMEOrder.self, r.storage, ACMEStore.order(id)), o.certificateSerial == serial {
                        owns = true
                        break
                    }
                }
                guard owns else { throw ACMEProblem.unauthorized("the account did not order this certificate") }
            } else {
                guard let jwk = auth.jws.jwk, Self.sameKey(jwk, cert.publicKey) else {
                    throw ACMEProblem.unauthorized("the request is not signed by the certificate's key")
                }
            }
            if try await r.storage.get(PKIStore.revoked(serial)) != nil { throw ACMEProblem.alreadyRevoked("the certificate is already revoked") }
            _ = try await revokeSerial(r.storage, serial, leaseRevocation: false)
            return ACMEReply(status: 200)
        }
    }

    /// Whether a JWK is the public key of a certificate.
    static func sameKey(_ jwk: [String: JSONValue], _ publicKey: Certificate.PublicKey) -> Bool {
        guard let key = try? ACMEPublicKey(jwk: jwk) else { return false }
        switch key {
        case .p256(let k): return Certificate.PublicKey(k) == publicKey
        case .p384(let k): return Certificate.PublicKey(k) == publicKey
        case .rsa(let k): return Certificate.PublicKey(k) == publicKey
        case .ed25519(let k): return Certificate.PublicKey(k) == publicKey
        }
    }
}
