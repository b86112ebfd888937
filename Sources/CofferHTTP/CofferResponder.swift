import CofferCore
import CofferSDK
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The only code that knows Vault's wire format: paths under `/v1/`, verbs, headers, the JSON envelope and the
/// `{"errors":[...]}` body with its status code.
public struct CofferResponder: HTTPResponder {
    public typealias Context = CofferRequestContext

    /// Request bodies above this are refused (413), as Vault's default max_request_size.
    public static let maxRequestSize = 32 * 1024 * 1024

    let core: Core
    let logger: Logger
    /// The listener's `telemetry { unauthenticated_metrics_access = true }`.
    public var unauthenticatedMetricsAccess = false
    /// The `Strict-Transport-Security` value sent with every response, set on HTTPS listeners only (a browser ignores
    /// the header over plain HTTP, RFC 6797 §8.1).
    public var strictTransportSecurity: String? = nil
    /// On a node of an HA cluster: how a standby sends requests to the active node.
    public var forwarder: (any RequestForwarder)? = nil
    /// True on the cluster listener: requests come from other nodes (the client's address is in
    /// ``forwardedForHeader``), and a standby refuses them instead of forwarding them again.
    public var isClusterListener = false

    /// OpenBao's value: one year, subdomains included.
    public static let defaultStrictTransportSecurity = "max-age=31536000; includeSubDomains"

    public init(core: Core, logger: Logger) {
        self.core = core
        self.logger = logger
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        var response = try await respondWithoutTransportHeaders(to: request, context: context)
        if let hsts = strictTransportSecurity { response.headers[.strictTransportSecurity] = hsts }
        return response
    }

    private func respondWithoutTransportHeaders(to request: Request, context: Context) async throws -> Response {
        let requestID = Self.requestID()
        do {
            var remoteAddress = context.remoteAddress?.ipAddress
            var tls = context.tls
            if isClusterListener {
                // The node that forwarded the request says how the client connected; the cluster connection's own
                // certificate is the node's, never the client's.
                if let forwarded = request.headers[Self.forwardedForHeader] { remoteAddress = forwarded }
                tls = Self.forwardedTLS(request.headers[Self.forwardedClientCertificatesHeader])
            }
            let response = try await route(request, requestID: requestID, remoteAddress: remoteAddress, tls: tls)
            logger.trace("request", metadata: ["coffer.request_id": "\(requestID)", "coffer.method": "\(request.method)", "coffer.status": "\(response.status.code)"])
            return response
        } catch let e as LogicalError {
            logger.debug("request failed", metadata: ["coffer.request_id": "\(requestID)", "coffer.method": "\(request.method)", "coffer.status": "\(Self.status(e.code))"])
            return Self.errorResponse(e)
        } catch let e as BarrierError {
            if case .sealed = e { return Self.errorResponse(LogicalError.sealed) }
            logger.error("storage integrity error", metadata: ["coffer.request_id": "\(requestID)", "coffer.error": "\(e)"])
            return Self.errorResponse(LogicalError.internalError(Core.multiError("\(e)")))
        } catch {
            logger.error("internal error", metadata: ["coffer.request_id": "\(requestID)", "coffer.error": "\(String(describing: type(of: error)))"])
            return Self.errorResponse(LogicalError.internalError(Core.multiError("internal error")))
        }
    }

    /// A random (version 4) UUID in lower case, without Foundation's UUID string round trip.
    static func requestID() -> String {
        var rng = SystemRandomNumberGenerator()
        var bytes = (rng.next() as UInt64, rng.next() as UInt64)
        return withUnsafeMutableBytes(of: &bytes) { b in
            b[6] = (b[6] & 0x0F) | 0x40
            b[8] = (b[8] & 0x3F) | 0x80
            let h = Array(hexEncoded(b).utf8)
            var out: [UInt8] = []
            out.reserveCapacity(36)
            out += h[0..<8]
            out.append(UInt8(ascii: "-"))
            out += h[8..<12]
            out.append(UInt8(ascii: "-"))
            out += h[12..<16]
            out.append(UInt8(ascii: "-"))
            out += h[16..<20]
            out.append(UInt8(ascii: "-"))
            out += h[20..<32]
            return String(decoding: out, as: UTF8.self)
        }
    }

    static let vaultTokenHeader = HTTPField.Name("X-Vault-Token")!
    static let wrapTTLHeader = HTTPField.Name("X-Vault-Wrap-TTL")!

    static func status(_ code: LogicalError.Code) -> Int { code.httpStatus }

    static func errorResponse(_ e: LogicalError) -> Response {
        let body = JSONValue.object(["errors": .array(e.messages.map { .string($0) })])
        return json(status: status(e.code), body.serialized())
    }

    static func json(status: Int, _ text: String) -> Response {
        json(status: status, bytes: ByteBuffer(string: text))
    }

    static func json(status: Int, bytes: ByteBuffer) -> Response {
        var headers = HTTPFields()
        headers.reserveCapacity(2)
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        return response(status: serverStatus(status), headers: headers, body: bytes)
    }

    /// 307 to the canonical form of a path, keeping the query (Go's ServeMux answer to an unclean path).
    static func redirect(to path: String, query: String?) -> Response {
        var headers = HTTPFields()
        var location = path
        if let q = query, !q.isEmpty { location += "?" + q }
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        return Response(status: .temporaryRedirect, headers: headers)
    }

    static func noContent() -> Response {
        var headers = HTTPFields()
        headers[.cacheControl] = "no-store"
        return Response(status: .noContent, headers: headers)
    }

    // MARK: Routing

    func route(_ request: Request, requestID: String, remoteAddress: String?, tls: TLSConnectionState?) async throws -> Response {
        let rawPath = request.uri.path
        guard rawPath.hasPrefix("/v1/") else {
            throw LogicalError(.unsupportedPath, messages: [])
        }
        var path = String(rawPath.dropFirst(4))
        let encoded = path.utf8.contains(UInt8(ascii: "%"))
        if encoded {
            guard let decoded = path.removingPercentEncoding else { throw LogicalError.invalidRequest("invalid request path") }
            path = decoded
        }
        let method = request.method
        // Canonical paths before anything else (RequestPath): `a//b`, `./` and `../` are redirected to the clean
        // path as OpenBao's mux does; a control character (`%00`) or a traversal spelled with escapes is refused.
        switch RequestPath.verdict(path) {
        case .canonical:
            break
        case .redirect(let clean) where !encoded:
            return Self.redirect(to: clean, query: request.uri.query)
        case .redirect, .invalid:
            throw LogicalError.invalidRequest("invalid request path")
        }
        if path.hasSuffix("/"), method == .post || method == .put || method == .patch || method == .delete {
            throw LogicalError.invalidRequest("cannot write to a path ending in '/'")
        }

        // Endpoints that work while sealed or uninitialized.
        switch path {
        case "sys/health":
            return try await health(request)
        case "sys/seal-status":
            guard method == .get else { throw LogicalError(.unsupportedOperation, messages: []) }
            return Self.json(status: 200, sealStatusJSON(core.sealStatus()).serialized())
        case "sys/init":
            return try await initialize(request)
        case "sys/unseal":
            return try await unseal(request)
        case "sys/metrics" where unauthenticatedMetricsAccess && method == .get:
            guard !core.isSealed else { throw LogicalError.sealed }
            let format = request.uri.queryParameters["format"].map(String.init) ?? ""
            return envelope(try await core.metricsResponse(format: format), requestID: requestID)
        case "sys/leader":
            guard method == .get else { throw LogicalError(.unsupportedOperation, messages: []) }
            // Uninitialized is sealed here, as in OpenBao: `bao status` reads a sealed answer and still prints the
            // seal status (and exits 2), where any other error makes it print nothing.
            guard core.isInitialized, !core.isSealed else { throw LogicalError.sealed }
            return Self.json(status: 200, leaderJSON().serialized())
        case "sys/step-down" where !core.haEnabled:
            // Nothing to step down from: OpenBao answers 204 before looking at the token.
            guard method == .put || method == .post else { throw LogicalError(.unsupportedOperation, messages: []) }
            return Self.noContent()
        default:
            break
        }

        guard !core.isSealed else { throw LogicalError.sealed }
        var request = request
        var standby = false
        if core.haEnabled, core.haRole == .standby {
            // A standby cannot check the token, and forwarding would seal the active node instead (Vault stopped
            // doing that after operators were surprised by it): refused, as Vault refuses it.
            if path == "sys/seal" {
                throw LogicalError.internalError(Core.multiError("vault cannot seal when in standby mode; please restart instead"))
            }
            guard !isClusterListener, let forwarder else { throw Self.noActiveNode }
            // Reads it can serve itself (the rest, and a read that turns out to write, are the active node's).
            guard core.servesStandbyReads, request.headers[Self.wrapTTLHeader] == nil, request.uri.queryParameters["help"] == nil,
                let op = Self.standbyOperation(method)
            else {
                return try await forwarder.forward(request, remoteAddress: remoteAddress, tls: tls)
            }
            let target = op == .list && !path.hasSuffix("/") ? path + "/" : path
            guard core.standbyMayServe(path: target, operation: op) else {
                return try await forwarder.forward(request, remoteAddress: remoteAddress, tls: tls)
            }
            standby = true
        }

        let operation: CofferSDK.Operation
        var data: [String: JSONValue] = [:]
        switch method {
        case .get:
            let q = request.uri.queryParameters
            // Go's strconv.ParseBool: hvac sends `list=True`.
            operation = (q["list"].flatMap { FieldValue.goBool($0) } ?? false) ? .list : .read
            for (k, v) in q where k != "list" {
                let key = String(k).removingPercentEncoding ?? String(k)
                data[key] = .string(String(v).removingPercentEncoding ?? String(v))
            }
        case .post, .put:
            operation = .update
            data = try await body(&request)
        case .head where Self.isACMENewNonce(path):
            // RFC 8555 §7.2: a fresh nonce by HEAD. The only HEAD served under `/v1/` besides sys/health; the
            // read's body is dropped below.
            operation = .read
        case .patch:
            operation = .patch
            data = try await body(&request)
        case .delete:
            operation = .delete
            data = try await body(&request)
            for (k, v) in request.uri.queryParameters { data[String(k)] = .string(String(v)) }
        default:
            if method.rawValue == "LIST" || method.rawValue == ListMethodRewriter.substituteMethod {
                operation = .list
                for (k, v) in request.uri.queryParameters { data[String(k)] = .string(String(v)) }
            } else {
                throw LogicalError(.unsupportedOperation, messages: [])
            }
        }
        // Vault lists a folder: the path always ends with a slash.
        if operation == .list, !path.hasSuffix("/") { path += "/" }
        // Path-help: any non-empty `help` query value, on any method; the answer is the help document itself.
        if let h = request.uri.queryParameters["help"], !h.isEmpty {
            let coreRequest = CoreRequest(
                id: requestID, operation: .help, path: path, data: [:], token: token(request), remoteAddress: remoteAddress, tls: tls)
            let resp = try await core.handle(coreRequest)
            return Self.json(status: 200, JSONValue.object(resp.data ?? [:]).serialized())
        }

        let coreRequest = CoreRequest(
            id: requestID, operation: operation, path: path, data: data, token: token(request),
            contentType: request.headers[.contentType], wrapTTL: try wrapTTL(request), remoteAddress: remoteAddress, tls: tls)
        if standby {
            if let resp = try await core.handleOnStandby(coreRequest) { return envelope(resp, requestID: requestID) }
            // It writes, or the standby could not catch up: the active node answers (this node, if it just became it).
            if core.haRole == .standby {
                guard let forwarder else { throw Self.noActiveNode }
                return try await forwarder.forward(request, remoteAddress: remoteAddress, tls: tls)
            }
        }
        let resp = try await core.handle(coreRequest)
        let out = envelope(resp, requestID: requestID)
        // HEAD new-nonce answers 200 where GET answers 204 (RFC 8555 §7.2), without a body.
        if method == .head { return Response(status: out.status == .noContent ? .ok : out.status, headers: out.headers) }
        return out
    }

    /// An ACME directory's `new-nonce` (`<mount>/acme/new-nonce`, `<mount>/roles/r/acme/new-nonce`…), the one engine
    /// path answered for HEAD.
    static func isACMENewNonce(_ path: String) -> Bool {
        path.hasSuffix("/acme/new-nonce")
    }

    /// The operation of a request a standby may serve itself, by method alone (GET with `list=true` is a list).
    static func standbyOperation(_ method: HTTPRequest.Method) -> CofferSDK.Operation? {
        switch method {
        case .get: return .read
        case .post, .put: return .update
        default:
            return method.rawValue == "LIST" || method.rawValue == ListMethodRewriter.substituteMethod ? .list : nil
        }
    }

    /// `X-Vault-Wrap-TTL`, parsed before authentication as OpenBao does: whole seconds or a Go duration; 0 means no
    /// wrapping; anything the parser cannot represent is a 400, never a trap.
    func wrapTTL(_ request: Request) throws -> Int64? {
        guard let h = request.headers[Self.wrapTTLHeader], !h.isEmpty else { return nil }
        switch GoDuration.parseSeconds(h) {
        case .failure(let e):
            throw LogicalError.invalidRequest("error parsing X-Vault-Wrap-TTL header: " + e.message)
        case .success(let ttl):
            if ttl < 0 { throw LogicalError.invalidRequest("error parsing X-Vault-Wrap-TTL header: requested wrap ttl cannot be negative") }
            return ttl == 0 ? nil : ttl
        }
    }

    func token(_ request: Request) -> String? {
        if let t = request.headers[Self.vaultTokenHeader], !t.isEmpty { return t }
        if let a = request.headers[.authorization], a.lowercased().hasPrefix("bearer ") {
            return String(a.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    func body(_ request: inout Request) async throws -> [String: JSONValue] {
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: Self.maxRequestSize)
        } catch let e as any HTTPResponseError where e.status == .contentTooLarge {
            // NIOTooManyBytesError (Hummingbird makes it an HTTPResponseError) or an HTTPError saying the same.
            throw LogicalError(.payloadTooLarge, "http: request body too large")
        } catch {
            // The body could not be read (malformed framing, a closed connection): the connection is failed too.
            throw LogicalError.invalidRequest("error reading request body")
        }
        guard buffer.readableBytes > 0 else { return [:] }
        let bytes = buffer.readableBytesView
        // A binary request body (an OCSP request) is handed to the engine as it came, base64 inside the data.
        if let type = request.headers[.contentType], Self.binaryRequestTypes.contains(type.lowercased().split(separator: ";").first.map(String.init) ?? "") {
            return [Self.binaryBodyKey: .string(Data(bytes).base64EncodedString())]
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes)
        } catch {
            throw LogicalError.invalidRequest("failed to decode JSON input: \(error)")
        }
        switch value {
        case .object(let o): return o
        case .null: return [:]
        default:
            throw LogicalError.invalidRequest("failed to decode JSON input: json: cannot unmarshal non-object into Go value of type map[string]interface {}")
        }
    }

    /// Request bodies passed on raw (base64 under ``binaryBodyKey``) instead of parsed as JSON.
    static let binaryRequestTypes: Set<String> = ["application/ocsp-request"]
    public static let binaryBodyKey = "http_request_body_base64"

    func envelope(_ r: CoreResponse, requestID: String) -> Response {
        if r.isEmpty { return Self.noContent() }
        if let d = r.data, let status = d["http_status_code"]?.intValue, d["http_raw_body"] != nil || d["http_content_type"] != nil {
            // Raw responses (OIDC discovery, JWKS, metrics): the body is sent as the engine gave it, within limits.
            return Self.rawResponse(d, statusCode: status)
        }
        if let status = r.httpStatus, r.data == nil, r.auth == nil, r.warnings.isEmpty, r.wrapInfo == nil {
            // A bare status (kv v2 PATCH of a missing secret answers 404 with no body).
            var headers = HTTPFields()
            headers[.cacheControl] = "no-store"
            return Response(status: Self.serverStatus(status), headers: headers)
        }
        var out: [UInt8] = []
        out.reserveCapacity(512)
        out.append(UInt8(ascii: "{"))
        if r.duplicateDataAtTopLevel, let d = r.data {
            for (k, v) in d.sorted(by: { $0.key < $1.key }) where !Self.envelopeKeys.contains(k) {
                JSONValue.writeStringPublic(k, to: &out)
                out.append(UInt8(ascii: ":"))
                v.write(to: &out)
                out.append(UInt8(ascii: ","))
            }
        }
        // A wrapped response carries no request id, as OpenBao answers.
        out += "\"request_id\":\"".utf8
        if r.wrapInfo == nil { out += requestID.utf8 }
        out += "\",\"lease_id\":".utf8
        JSONValue.writeStringPublic(r.leaseID, to: &out)
        out += ",\"renewable\":".utf8
        out += (r.renewable ? "true" : "false").utf8
        out += ",\"lease_duration\":".utf8
        JSONValue.int(r.leaseDuration).write(to: &out)
        out += ",\"data\":".utf8
        if let d = r.data { JSONValue.object(d).write(to: &out) } else { out += "null".utf8 }
        out += ",\"wrap_info\":".utf8
        if let w = r.wrapInfo { w.write(to: &out) } else { out += "null".utf8 }
        out += ",\"warnings\":".utf8
        if r.warnings.isEmpty { out += "null".utf8 } else { JSONValue.array(r.warnings.map { .string($0) }).write(to: &out) }
        out += ",\"auth\":".utf8
        if let a = r.auth { a.write(to: &out) } else { out += "null".utf8 }
        out.append(UInt8(ascii: "}"))
        return Self.json(status: r.httpStatus ?? 200, bytes: ByteBuffer(bytes: out))
    }

    static let envelopeKeys: Set<String> = ["request_id", "lease_id", "renewable", "lease_duration", "data", "wrap_info", "warnings", "auth"]
}
