import CofferSDK
import CofferTesting
import Crypto
import Foundation
import SwiftASN1
import Testing
import X509
import _CryptoExtras

@testable import PKIEngine

/// Serves whatever key authorization the test sets, and records the URLs fetched.
final class FakeFetcher: HTTP01Fetcher, @unchecked Sendable {
    let lock = NSLock()
    var answers: [String: String] = [:]
    var fetched: [String] = []
    var failuresLeft = 0

    func fetch(_ url: String) async throws -> [UInt8] {
        try lock.withLock {
            fetched.append(url)
            if failuresLeft > 0 {
                failuresLeft -= 1
                throw HTTP01FetchError(description: "connection refused")
            }
            guard let token = url.split(separator: "/").last, let answer = answers[String(token)] else {
                throw HTTP01FetchError(description: "the challenge URL answered 404")
            }
            return Array(answer.utf8)
        }
    }
}

/// A clock the test moves.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value = Date()
    var now: Date {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}

/// A client of the engine's ACME server: an account key, JWS signing, and the raw responses decoded.
struct ACMETestClient {
    let storage = InMemoryPhysicalBackend()
    let engine: PKIEngine
    let fetcher = FakeFetcher()
    let key = P256.Signing.PrivateKey()
    var kid: String?
    static let base = "https://coffer.test/v1/pki/"

    let clock = TestClock()

    init() {
        var services = ACMEServices(fetcher: fetcher, now: { [clock] in clock.now })
        services.retryInterval = 0
        engine = PKIEngine(mountPath: "pki/", acme: services)
    }

    struct Reply {
        var status: Int
        var body: String
        var contentType: String
        var headers: [String: JSONValue]
        var json: [String: JSONValue] { (try? JSONValue.parse(body))?.objectValue ?? [:] }
        var location: String? { headers["Location"]?.stringValue }
        var nonce: String? { headers["Replay-Nonce"]?.stringValue }
    }

    @discardableResult
    func send(_ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:]) async throws -> LogicalResponse? {
        try await EngineDispatch.send(engine, LogicalRequest(operation: op, path: path, data: data, storage: storage, mountPoint: "pki/"))
    }

    func raw(_ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:]) async throws -> Reply {
        let d = try #require(try await send(op, path, data)?.data)
        return Reply(
            status: Int(try #require(d["http_status_code"]?.intValue)), body: d["http_raw_body"]?.stringValue ?? "",
            contentType: d["http_content_type"]?.stringValue ?? "", headers: d["http_headers"]?.objectValue ?? [:])
    }

    func setUp() async throws {
        try await send(.update, "root/generate/internal", ["common_name": "ACME Test Root", "ttl": "8760h", "key_type": "ec"])
        try await send(.update, "config/cluster", ["path": "https://coffer.test/v1/pki"])
        try await send(.update, "config/acme", ["enabled": true])
    }

    var jwk: JSONValue {
        let x963 = Array(key.publicKey.x963Representation)
        return ["kty": "EC", "crv": "P-256", "x": .string(Base64URL.encode(x963[1...32])), "y": .string(Base64URL.encode(x963[33...64]))]
    }

    var thumbprint: String { (try? ACMEPublicKey.thumbprint(jwk: jwk.objectValue ?? [:])) ?? "" }

    func nonce() async throws -> String {
        try #require(try await raw(.read, "acme/new-nonce").nonce)
    }

    /// A JWS body for `path`, signed by the account key (kid when set, else jwk).
    func jws(_ path: String, _ payload: JSONValue?, nonce: String? = nil, url: String? = nil, signWith: P256.Signing.PrivateKey? = nil) async throws
        -> [String: JSONValue]
    {
        var n = nonce ?? ""
        if nonce == nil { n = try await self.nonce() }
        var header: [String: JSONValue] = ["alg": "ES256", "nonce": .string(n), "url": .string(url ?? Self.base + path)]
        if let kid { header["kid"] = .string(kid) } else { header["jwk"] = jwk }
        let p = Base64URL.encode(JSONValue.object(header).serializedBytes())
        let body = payload.map { Base64URL.encode($0.serializedBytes()) } ?? ""
        let sig = try (signWith ?? key).signature(for: Array((p + "." + body).utf8))
        return ["protected": .string(p), "payload": .string(body), "signature": .string(Base64URL.encode(sig.rawRepresentation))]
    }

    func post(_ path: String, _ payload: JSONValue?) async throws -> Reply {
        try await raw(.update, path, try await jws(path, payload))
    }

    mutating func register() async throws {
        let r = try await post("acme/new-account", ["termsOfServiceAgreed": true, "contact": ["mailto:t@example.com"]])
        #expect(r.status == 201)
        kid = try #require(r.location)
    }
}

func relative(_ url: JSONValue?) -> String {
    String((url?.stringValue ?? "").dropFirst(ACMETestClient.base.count))
}

@Suite struct ACMEJWSTests {
    @Test func thumbprintMatchesRFC7638() throws {
        let jwk: [String: JSONValue] = [
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB", "alg": "RS256", "kid": "2011-04-29",
        ]
        #expect(try ACMEPublicKey.thumbprint(jwk: jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        // The RFC's key is a valid 2048-bit RSA key.
        _ = try ACMEPublicKey(jwk: jwk)
    }

    @Test func rs256AndEdDSASignaturesVerify() throws {
        let input = Array("header.payload".utf8)
        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let p = try rsa.publicKey.getKeyPrimitives()
        let rsaKey = try ACMEPublicKey(jwk: ["kty": "RSA", "n": .string(Base64URL.encode(p.modulus)), "e": .string(Base64URL.encode(p.publicExponent))])
        let rsaSig = Array(try rsa.signature(for: input, padding: .insecurePKCS1v1_5).rawRepresentation)
        #expect(rsaKey.isValidSignature(rsaSig, for: input, alg: "RS256"))
        #expect(!rsaKey.isValidSignature(rsaSig, for: Array("other".utf8), alg: "RS256"))
        // A signature is checked only with the algorithm of its key.
        #expect(!rsaKey.isValidSignature(rsaSig, for: input, alg: "ES256"))

        let ed = Curve25519.Signing.PrivateKey()
        let edKey = try ACMEPublicKey(jwk: ["kty": "OKP", "crv": "Ed25519", "x": .string(Base64URL.encode(ed.publicKey.rawRepresentation))])
        let edSig = Array(try ed.signature(for: input))
        #expect(edKey.isValidSignature(edSig, for: input, alg: "EdDSA"))
        #expect(!edKey.isValidSignature(edSig, for: input, alg: "RS256"))

        let p384 = P384.Signing.PrivateKey()
        let x963 = Array(p384.publicKey.x963Representation)
        let ecKey = try ACMEPublicKey(jwk: ["kty": "EC", "crv": "P-384", "x": .string(Base64URL.encode(x963[1...48])), "y": .string(Base64URL.encode(x963[49...96]))])
        #expect(ecKey.isValidSignature(Array(try p384.signature(for: input).rawRepresentation), for: input, alg: "ES384"))
        // A JWK with a private member, or a short RSA key, is refused.
        #expect(throws: ACMEProblem.self) { try ACMEPublicKey(jwk: ["kty": "OKP", "crv": "Ed25519", "x": "AA", "d": "AA"]) }
        #expect(throws: ACMEProblem.self) { try ACMEPublicKey(jwk: ["kty": "RSA", "n": "AQAB", "e": "AQAB"]) }
    }

    @Test func base64URLRoundTripsAndRefusesPadding() {
        let bytes: [UInt8] = [0xFB, 0xFF, 0x00, 0x01]
        #expect(Base64URL.encode(bytes) == "-_8AAQ")
        #expect(Base64URL.decode("-_8AAQ") == bytes)
        #expect(Base64URL.decode("-_8AAQ==") == nil)
        #expect(Base64URL.decode("+/8AAQ") == nil)
    }

    @Test func goodSignatureCreatesAnAccount() async throws {
        var c = ACMETestClient()
        try await c.setUp()
        try await c.register()
        #expect(c.kid?.hasPrefix(ACMETestClient.base + "acme/account/") == true)
        // The same key again: the existing account, 200.
        c.kid = nil
        let again = try await c.post("acme/new-account", ["termsOfServiceAgreed": true])
        #expect(again.status == 200)
    }

    @Test func badSignatureIsRefused() async throws {
        let c = ACMETestClient()
        try await c.setUp()
        let body = try await c.jws("acme/new-account", ["termsOfServiceAgreed": true], signWith: P256.Signing.PrivateKey())
        let r = try await c.raw(.update, "acme/new-account", body)
        #expect(r.status == 400)
        #expect(r.contentType == "application/problem+json")
        #expect(r.json["type"]?.stringValue == "urn:ietf:params:acme:error:malformed")
        #expect(r.nonce != nil)
    }

    @Test func wrongURLIsRefused() async throws {
        let c = ACMETestClient()
        try await c.setUp()
        let body = try await c.jws("acme/new-account", ["termsOfServiceAgreed": true], url: "https://elsewhere.test/v1/pki/acme/new-account")
        let r = try await c.raw(.update, "acme/new-account", body)
        #expect(r.status == 401)
        #expect(r.json["type"]?.stringValue == "urn:ietf:params:acme:error:unauthorized")
    }

    @Test func reusedNonceIsRefused() async throws {
        let c = ACMETestClient()
        try await c.setUp()
        let nonce = try await c.nonce()
        let first = try await c.raw(.update, "acme/new-account", try await c.jws("acme/new-account", ["termsOfServiceAgreed": true], nonce: nonce))
        #expect(first.status == 201)
        let second = try await c.raw(.update, "acme/new-account", try await c.jws("acme/new-account", ["termsOfServiceAgreed": true], nonce: nonce))
        #expect(second.status == 400)
        #expect(second.json["type"]?.stringValue == "urn:ietf:params:acme:error:badNonce")
        #expect(second.nonce != nil && second.nonce != nonce)
    }

    @Test func nonceStoreIsSingleUseAndExpires() {
        let nonces = ACMENonces(lifetime: 10, capacity: 3)
        let now = Date()
        let a = nonces.issue(now: now)
        #expect(nonces.consume(a, now: now))
        #expect(!nonces.consume(a, now: now))
        let b = nonces.issue(now: now)
        #expect(!nonces.consume(b, now: now.addingTimeInterval(11)))
        #expect(!nonces.consume("never-issued", now: now))
    }

    @Test func configIsValidatedAsOpenBaoDoes() async throws {
        let c = ACMETestClient()
        try await c.send(.update, "root/generate/internal", ["common_name": "r", "key_type": "ec"])
        // Enabling needs config/cluster's path.
        await #expect(throws: LogicalError.self) { try await c.send(.update, "config/acme", ["enabled": true]) }
        try await c.send(.update, "config/cluster", ["path": "https://coffer.test/v1/pki"])
        try await c.send(.update, "roles/web", ["allow_any_name": true])
        try await c.send(.update, "roles/nostore", ["allow_any_name": true, "no_store": true])
        // A default role must be allowed, exist and store its certificates.
        await #expect(throws: LogicalError.self) {
            try await c.send(.update, "config/acme", ["enabled": true, "allowed_roles": ["other"], "default_directory_policy": "role:web"])
        }
        await #expect(throws: LogicalError.self) { try await c.send(.update, "config/acme", ["default_directory_policy": "role:nostore"]) }
        await #expect(throws: LogicalError.self) { try await c.send(.update, "config/acme", ["allowed_roles": []]) }
        let ok = try #require(try await c.send(.update, "config/acme", ["enabled": true, "allowed_roles": ["web"], "default_directory_policy": "role:web"])?.data)
        #expect(ok["default_directory_policy"]?.stringValue == "role:web")
        // A role outside allowed_roles: OpenBao's serverInternal.
        try await c.send(.update, "roles/other", ["allow_any_name": true])
        let r = try await c.raw(.read, "roles/other/acme/directory")
        #expect(r.status == 500)
        #expect(r.json["detail"]?.stringValue == "specified role not allowed by ACME policy")
    }

    @Test func disabledACMEAnswersAProblem() async throws {
        let c = ACMETestClient()
        let r = try await c.raw(.read, "acme/directory")
        #expect(r.status == 404)
        #expect(r.json["detail"]?.stringValue == "ACME feature is disabled")
    }
}

@Suite struct ACMEOrderTests {
    /// A CSR for `names` with a new P-256 key, DER.
    static func csr(_ names: [String], cn: String? = nil) throws -> [UInt8] {
        let key = P256.Signing.PrivateKey()
        let subject = try cn.map { name in try DistinguishedName { CommonName(name) } } ?? DistinguishedName()
        let ext = try Certificate.Extensions { SubjectAlternativeNames(names.map { .dnsName($0) }) }
        let attributes = CertificateSigningRequest.Attributes([try .init(ExtensionRequest(extensions: ext))])
        let csr = try CertificateSigningRequest(
            version: .v1, subject: subject, privateKey: Certificate.PrivateKey(key), attributes: attributes, signatureAlgorithm: .ecdsaWithSHA256)
        var s = DER.Serializer()
        try s.serialize(csr)
        return s.serializedBytes
    }

    @Test func orderWalkIssuesACertificate() async throws {
        var c = ACMETestClient()
        try await c.setUp()
        let dir = try await c.raw(.read, "acme/directory")
        #expect(dir.json["newOrder"]?.stringValue == ACMETestClient.base + "acme/new-order")
        try await c.register()

        let order = try await c.post("acme/new-order", ["identifiers": [["type": "dns", "value": "www.example.test"]]])
        #expect(order.status == 201)
        #expect(order.json["status"]?.stringValue == "pending")
        let orderPath = String(try #require(order.location).dropFirst(ACMETestClient.base.count))
        let authPath = relative(order.json["authorizations"]?.arrayValue?.first)

        let authz = try await c.post(authPath, nil)
        #expect(authz.json["status"]?.stringValue == "pending")
        let challenge = try #require(authz.json["challenges"]?.arrayValue?.first?.objectValue)
        #expect(challenge["type"]?.stringValue == "http-01")
        let token = try #require(challenge["token"]?.stringValue)

        // Finalizing before the challenge is valid: orderNotReady.
        let early = try await c.post(orderPath + "/finalize", ["csr": .string(Base64URL.encode(try Self.csr(["www.example.test"])))])
        #expect(early.status == 403)
        #expect(early.json["type"]?.stringValue == "urn:ietf:params:acme:error:orderNotReady")

        // One failed fetch, then the right answer on the next poll.
        c.fetcher.answers[token] = token + "." + c.thumbprint
        c.fetcher.failuresLeft = 1
        let started = try await c.post(relative(challenge["url"]), [:])
        #expect(started.json["status"]?.stringValue == "processing")
        #expect(started.headers["Retry-After"]?.stringValue == "0")
        #expect(started.headers["Link"]?.arrayValue?.contains(.string("<\(ACMETestClient.base)\(authPath)>;rel=\"up\"")) == true)
        let polled = try await c.post(authPath, nil)
        #expect(polled.json["status"]?.stringValue == "valid")
        #expect(c.fetcher.fetched == Array(repeating: "http://www.example.test/.well-known/acme-challenge/\(token)", count: 2))

        let ready = try await c.post(orderPath, nil)
        #expect(ready.json["status"]?.stringValue == "ready")

        // A CSR with another name is refused.
        let wrong = try await c.post(orderPath + "/finalize", ["csr": .string(Base64URL.encode(try Self.csr(["www.example.test", "evil.test"])))])
        #expect(wrong.json["type"]?.stringValue == "urn:ietf:params:acme:error:badCSR")

        let done = try await c.post(orderPath + "/finalize", ["csr": .string(Base64URL.encode(try Self.csr(["www.example.test"], cn: "www.example.test")))])
        #expect(done.status == 200)
        #expect(done.json["status"]?.stringValue == "valid")
        let certPath = relative(done.json["certificate"])
        let cert = try await c.post(certPath, nil)
        #expect(cert.contentType == "application/pem-certificate-chain")
        let chain = try PEMDocument.parseMultiple(pemString: cert.body).map { try Certificate(derEncoded: $0.derBytes) }
        #expect(chain.count == 2)
        let sans = try #require(try chain[0].extensions.subjectAlternativeNames)
        #expect(Array(sans) == [.dnsName("www.example.test")])
        #expect(chain[0].issuer == chain[1].subject)

        let orders = try await c.post("acme/orders", nil)
        #expect(orders.json["orders"]?.arrayValue?.count == 1)

        // Revocation by the account, then again: alreadyRevoked.
        let der = try #require(try PEMDocument.parseMultiple(pemString: cert.body).first?.derBytes)
        let revoked = try await c.post("acme/revoke-cert", ["certificate": .string(Base64URL.encode(der))])
        #expect(revoked.status == 200)
        let again = try await c.post("acme/revoke-cert", ["certificate": .string(Base64URL.encode(der))])
        #expect(again.json["type"]?.stringValue == "urn:ietf:params:acme:error:alreadyRevoked")
    }

    @Test func roleDirectoryRefusesNamesTheRoleDoesNotAllow() async throws {
        var c = ACMETestClient()
        try await c.setUp()
        try await c.send(.update, "roles/web", ["allowed_domains": "example.test", "allow_subdomains": true])
        let path = "roles/web/acme/"
        let r = try await c.raw(.update, path + "new-account", try await c.jws(path + "new-account", ["termsOfServiceAgreed": true]))
        #expect(r.status == 201)
        c.kid = r.location
        let bad = try await c.raw(.update, path + "new-order", try await c.jws(path + "new-order", ["identifiers": [["type": "dns", "value": "www.other.test"]]]))
        #expect(bad.json["type"]?.stringValue == "urn:ietf:params:acme:error:rejectedIdentifier")
        let good = try await c.raw(.update, path + "new-order", try await c.jws(path + "new-order", ["identifiers": [["type": "dns", "value": "a.example.test"]]]))
        #expect(good.status == 201)
        // The account of one directory is unknown to another.
        let other = try await c.post("acme/new-order", ["identifiers": [["type": "dns", "value": "a.example.test"]]])
        #expect(other.json["type"]?.stringValue == "urn:ietf:params:acme:error:accountDoesNotExist")
    }

    @Test func challengeBecomesInvalidAfterTheLastAttempt() async throws {
        var c = ACMETestClient()
        try await c.setUp()
        try await c.register()
        let order = try await c.post("acme/new-order", ["identifiers": [["type": "dns", "value": "x.example.test"]]])
        let authPath = relative(order.json["authorizations"]?.arrayValue?.first)
        let authz = try await c.post(authPath, nil)
        let challenge = try #require(authz.json["challenges"]?.arrayValue?.first?.objectValue)
        c.fetcher.answers[try #require(challenge["token"]?.stringValue)] = "wrong"
        _ = try await c.post(relative(challenge["url"]), [:])
        var last = authz
        for _ in 0..<5 { last = try await c.post(authPath, nil) }
        #expect(last.json["status"]?.stringValue == "invalid")
        let ch = try #require(last.json["challenges"]?.arrayValue?.first?.objectValue)
        #expect(ch["error"]?["type"]?.stringValue == "urn:ietf:params:acme:error:incorrectResponse")
        let o = try await c.post(String(try #require(order.location).dropFirst(ACMETestClient.base.count)), nil)
        #expect(o.json["status"]?.stringValue == "invalid")
    }

    @Test func keyChangeMovesTheAccountToTheNewKey() async throws {
        var c = ACMETestClient()
        try await c.setUp()
        try await c.register()
        let kid = try #require(c.kid)
        let newKey = P256.Signing.PrivateKey()
        let x963 = Array(newKey.publicKey.x963Representation)
        let newJWK: JSONValue = ["kty": "EC", "crv": "P-256", "x": .string(Base64URL.encode(x963[1...32])), "y": .string(Base64URL.encode(x963[33...64]))]
        let url = ACMETestClient.base + "acme/key-change"
        let innerHeader = Base64URL.encode(JSONValue.object(["alg": "ES256", "jwk": newJWK, "url": .string(url)]).serializedBytes())
        let innerPayload = Base64URL.encode(JSONValue.object(["account": .string(kid), "oldKey": c.jwk]).serializedBytes())
        let innerSig = try newKey.signature(for: Array((innerHeader + "." + innerPayload).utf8))
        let inner: JSONValue = [
            "protected": .string(innerHeader), "payload": .string(innerPayload), "signature": .string(Base64URL.encode(innerSig.rawRepresentation)),
        ]
        let changed = try await c.post("acme/key-change", inner)
        #expect(changed.status == 200)
        // The old key no longer signs for the account; the new one does.
        let old = try await c.post("acme/orders", nil)
        #expect(old.json["type"]?.stringValue == "urn:ietf:params:acme:error:malformed")
        let withNew = try await c.raw(.update, "acme/orders", try await c.jws("acme/orders", nil, signWith: newKey))
        #expect(withNew.status == 200)
    }

    @Test func tidyRemovesExpiredOrdersAndIdleAccounts() async throws {
        var c = ACMETestClient()
        try await c.setUp()
        try await c.register()
        let order = try await c.post("acme/new-order", ["identifiers": [["type": "dns", "value": "t.example.test"]]])
        #expect(order.status == 201)
        try await c.send(.update, "tidy", ["tidy_acme": true])
        #expect(try await c.storage.list(prefix: "acme/orders/").count == 1)
        // 24 h for the order to expire, then the 30-day buffer.
        c.clock.now = Date().addingTimeInterval(32 * 24 * 3600)
        try await c.send(.update, "tidy", ["tidy_acme": true])
        #expect(try await c.storage.list(prefix: "acme/orders/").isEmpty)
        #expect(try await c.storage.list(prefix: "acme/authorizations/").isEmpty)
        #expect(try await c.storage.list(prefix: "acme/accounts/").isEmpty)
        let status = try #require(try await c.send(.read, "tidy-status")?.data)
        #expect(status["acme_orders_deleted_count"]?.intValue == 1)
        #expect(status["acme_account_deleted_count"]?.intValue == 1)
    }
}
