import AsyncHTTPClient
import CofferSDK
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// A fetch failure, described as Go's net/http client would (`Get "url": ...`) or as `<status>: <body>`.
struct FetchError: Error, CustomStringConvertible {
    var description: String
}

struct HTTPResult: Sendable {
    var status: Int
    var statusLine: String
    var body: [UInt8]
}

/// HTTP calls to identity providers: discovery documents, JWKS, token endpoints.
enum IssuerHTTP {
    static let timeout: TimeAmount = .seconds(30)

    static func tlsConfiguration(caPEM: String) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if !caPEM.isEmpty {
            let certs = (try? NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8))) ?? []
            guard !certs.isEmpty else { throw FetchError(description: "could not parse CA PEM value successfully") }
            tls.trustRoots = .certificates(certs)
        }
        return tls
    }

    static func request(
        method: String, url: String, caPEM: String, headers: [(String, String)] = [], body: String? = nil
    ) async throws -> HTTPResult {
        let tls = try tlsConfiguration(caPEM: caPEM)
        var config = HTTPClient.Configuration(tlsConfiguration: tls)
        config.timeout = .init(connect: .seconds(10), read: timeout)
        // Fail at once on a refused connection, as Go's client does, instead of retrying until the deadline.
        config.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        let verb = method == "POST" ? "Post" : "Get"
        do {
            var req = HTTPClientRequest(url: url)
            req.method = method == "POST" ? .POST : .GET
            for (k, v) in headers { req.headers.add(name: k, value: v) }
            if let body { req.body = .bytes(ByteBuffer(string: body)) }
            let resp = try await client.execute(req, timeout: timeout)
            var buf = try await resp.body.collect(upTo: 8 << 20)
            let bytes = buf.readBytes(length: buf.readableBytes) ?? []
            try? await client.shutdown()
            let code = Int(resp.status.code)
            return HTTPResult(status: code, statusLine: "\(code) \(resp.status.reasonPhrase)", body: bytes)
        } catch let e as FetchError {
            try? await client.shutdown()
            throw e
        } catch {
            try? await client.shutdown()
            throw FetchError(description: "\(verb) \(FieldValue.goQuote(url)): \(describe(error, url: url))")
        }
    }

    /// GET returning the body of a 200 response, else `<status>: <body>`.
    static func getOK(_ url: String, caPEM: String) async throws -> [UInt8] {
        let r = try await request(method: "GET", url: url, caPEM: caPEM)
        guard r.status == 200 else {
            throw FetchError(description: "\(r.statusLine): \(String(decoding: r.body, as: UTF8.self))")
        }
        return r.body
    }

    private static func describe(_ error: any Error, url: String) -> String {
        let text = String(describing: error)
        if text.contains("connectTimeout") { return "dial tcp: i/o timeout" }
        if text.lowercased().contains("connection refused") || text.contains("connectionRefused") || text.contains("ECONNREFUSED") {
            return "dial tcp \(hostPort(url)): connect: connection refused"
        }
        if error is NIOSSLError || text.contains("handshakeFailed") || text.contains("certificate") {
            return "tls: failed to verify certificate: x509: certificate signed by unknown authority"
        }
        return text
    }

    private static func hostPort(_ url: String) -> String {
        guard let u = URL(string: url), let host = u.host else { return url }
        let port = u.port ?? (u.scheme == "https" ? 443 : 80)
        return "\(host):\(port)"
    }
}

/// The parts of an OIDC discovery document the plugin uses.
struct DiscoveryDocument: Sendable {
    var issuer: String
    var jwksURI: String
    var authorizationEndpoint: String
    var tokenEndpoint: String
    var userinfoEndpoint: String
    var idTokenSigningAlgs: [String]
}

/// Remote key material and OIDC flow state, shared by all requests to one mount.
actor JWTRuntime {
    struct CachedKeys {
        var keys: [VerificationKey]
        var fetched: Date
    }

    private var jwks: [String: CachedKeys] = [:]  // key: url + "\n" + ca
    private var discovery: [String: (doc: DiscoveryDocument, fetched: Date)] = [:]
    private var oidcRequests: [String: OIDCRequestState] = [:]

    /// How long fetched keys are trusted before refetching.
    let keyTTL: TimeInterval = 60
    let requestTimeout: TimeInterval = 600

    func discover(_ issuerURL: String, caPEM: String, force: Bool = false) async throws -> DiscoveryDocument {
        let cacheKey = issuerURL + "\n" + caPEM
        if !force, let c = discovery[cacheKey], Date().timeIntervalSince(c.fetched) < 300 { return c.doc }
        let wellKnown = (issuerURL.hasSuffix("/") ? String(issuerURL.dropLast()) : issuerURL) + "/.well-known/openid-configuration"
        let body = try await IssuerHTTP.getOK(wellKnown, caPEM: caPEM)
        guard let doc = try? JSONValue.parse(body), doc.objectValue != nil else {
            throw FetchError(
                description: "failed to decode OIDC discovery document: expected Content-Type = application/json, got \"\": invalid character looking for beginning of value"
            )
        }
        let issuer = doc["issuer"]?.stringValue ?? ""
        guard issuer == issuerURL else {
            throw FetchError(
                description: "issuer did not match the returned issuer, expected \(FieldValue.goQuote(issuerURL)) got \(FieldValue.goQuote(issuer))")
        }
        let d = DiscoveryDocument(
            issuer: issuer, jwksURI: doc["jwks_uri"]?.stringValue ?? "",
            authorizationEndpoint: doc["authorization_endpoint"]?.stringValue ?? "",
            tokenEndpoint: doc["token_endpoint"]?.stringValue ?? "",
            userinfoEndpoint: doc["userinfo_endpoint"]?.stringValue ?? "",
            idTokenSigningAlgs: strings(doc["id_token_signing_alg_values_supported"]))
        discovery[cacheKey] = (d, Date())
        return d
    }

    func keys(url: String, caPEM: String, force: Bool) async throws -> [VerificationKey] {
        let cacheKey = url + "\n" + caPEM
        if !force, let c = jwks[cacheKey], Date().timeIntervalSince(c.fetched) < keyTTL { return c.keys }
        let r: HTTPResult
        do {
            r = try await IssuerHTTP.request(method: "GET", url: url, caPEM: caPEM)
        } catch let e as FetchError {
            throw FetchError(description: "fetching keys oidc: get keys failed \(e.description)")
        }
        guard r.status == 200 else {
            throw FetchError(description: "fetching keys oidc: get keys failed: \(r.statusLine) \(String(decoding: r.body, as: UTF8.self))")
        }
        let body = r.body
        guard let doc = try? JSONValue.parse(body) else {
            throw FetchError(description: "fetching keys oidc: failed to decode keys: invalid character looking for beginning of value")
        }
        let parsed = VerificationKey.parseJWKS(doc)
        jwks[cacheKey] = CachedKeys(keys: parsed, fetched: Date())
        return parsed
    }

    func lastFetch(url: String, caPEM: String) -> Date? { jwks[url + "\n" + caPEM]?.fetched }

    func reset() {
        jwks.removeAll()
        discovery.removeAll()
    }

    // MARK: OIDC request state

    func storeRequest(_ r: OIDCRequestState) {
        purgeExpired()
        oidcRequests[r.state] = r
    }

    func request(_ state: String) -> OIDCRequestState? {
        purgeExpired()
        return oidcRequests[state]
    }

    func updateRequest(_ r: OIDCRequestState) { oidcRequests[r.state] = r }

    func deleteRequest(_ state: String) { oidcRequests.removeValue(forKey: state) }

    private func purgeExpired() {
        let now = Date()
        oidcRequests = oidcRequests.filter { $0.value.expires > now }
    }
}

/// One OIDC authorization flow, from `auth_url` to `callback`.
struct OIDCRequestState: Sendable {
    var state: String
    var nonce: String
    var roleName: String
    var redirectURI: String
    var codeVerifier: String?
    var clientNonce: String
    var audiences: [String]
    var expires: Date
    var code = ""
    var idToken = ""
}
