import Foundation
import NIOCore

/// A small client for the Vault / OpenBao HTTP API.
///
/// Each request opens its own connection (TLS verified as Go's `crypto/x509` does, see ``ServerCertificateVerifier``)
/// and fails at once when the server cannot be reached; ``ClientConfiguration/timeout`` bounds a whole request.
///
/// ```swift
/// let client = try VaultClient(configuration: .init(address: "http://127.0.0.1:8200", token: "root"))
/// defer { Task { try? await client.shutdown() } }
/// let secret = try await client.read("secret/data/foo")
/// ```
public final class VaultClient: Sendable {
    public let configuration: ClientConfiguration
    private let transport: HTTPTransport

    /// Creates the client and loads its TLS trust (`caCertFile`, else `caPath`, else the system roots).
    ///
    /// - Throws: ``ClientSetupError`` when the CA certificate file or directory cannot be loaded.
    public init(configuration: ClientConfiguration) throws {
        self.configuration = configuration
        transport = try HTTPTransport(
            caCertFile: configuration.caCertFile, caPath: configuration.caPath, skipVerify: configuration.tlsSkipVerify,
            serverName: configuration.tlsServerName)
    }

    /// Nothing to release: every request uses its own connection, closed when the response has been read.
    public func shutdown() async throws {}

    /// The configured address without trailing slashes.
    public var address: String {
        var address = configuration.address
        while address.hasSuffix("/") { address.removeLast() }
        return address
    }

    /// Sends one request to `/v1/<path>`.
    ///
    /// - Parameters:
    ///   - method: HTTP method (`GET`, `PUT`, `POST`, `PATCH`, `DELETE` or `LIST`).
    ///   - path: path below `/v1/`, e.g. `secret/data/foo`.
    ///   - body: JSON body, if any.
    ///   - query: query items.
    ///   - token: overrides the configured token; `.some(nil)` sends none.
    ///   - contentType: content type of the body.
    ///   - wrapTTL: overrides the configured response-wrapping TTL; `.some(nil)` asks for no wrapping.
    /// - Returns: the status and decoded body (`nil` for an empty body).
    /// - Throws: ``ClientError`` for an HTTP status of 400 or more, or when the request could not be made.
    public func request(
        method: String,
        path: String,
        body: JSON? = nil,
        query: [(String, String)] = [],
        token: String?? = .none,
        contentType: String = "application/json",
        wrapTTL: String?? = .none
    ) async throws -> (status: Int, body: JSON?) {
        let url = makeURL(path: path, query: query)
        var headers: [(String, String)] = [("X-Vault-Request", "true")]
        let effectiveToken: String? = token ?? configuration.token
        if let effectiveToken, !effectiveToken.isEmpty {
            headers.append(("X-Vault-Token", effectiveToken))
        }
        let effectiveWrapTTL: String? = wrapTTL ?? configuration.wrapTTL
        if let effectiveWrapTTL, !effectiveWrapTTL.isEmpty {
            headers.append(("X-Vault-Wrap-TTL", effectiveWrapTTL))
        }
        var requestBody: ByteBuffer?
        if let body {
            headers.append(("Content-Type", contentType))
            requestBody = ByteBuffer(string: body.serialized(pretty: false, escapeHTML: false))
        }
        var response: HTTPTransport.Response
        var target = url
        var redirected = false
        while true {
            do {
                response = try await transport.execute(
                    method: method.uppercased(), url: target, headers: headers, body: requestBody, timeout: configuration.timeout,
                    maxBodySize: 64 * 1024 * 1024)
            } catch let failure as TransportFailure {
                throw ClientError(status: 0, messages: [failure.message], method: method.uppercased(), url: target,
                    urlInMessage: failure.prefixed)
            }
            // As the Go client: one redirect (301, 302, 307) is followed with the same method and body, never from
            // HTTPS to HTTP.
            guard !redirected, [301, 302, 307].contains(response.status), let location = response.location,
                let next = URL(string: location, relativeTo: URL(string: target))?.absoluteString
            else { break }
            if target.lowercased().hasPrefix("https:") && !next.lowercased().hasPrefix("https:") {
                throw ClientError(status: 0, messages: ["redirect would cause protocol downgrade"], method: method.uppercased(), url: target,
                    urlInMessage: false)
            }
            target = next
            redirected = true
        }
        let bytes = response.body
        let status = response.status
        let raw = String(buffer: bytes)
        var decoded: JSON?
        if !raw.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            decoded = try? JSON.parse(Array(bytes.readableBytesView))
        }
        if status >= 400 {
            let messages = decoded?["errors"]?.arrayValue?.compactMap { value -> String? in
                if let string = value.stringValue { return string }
                return value.serialized(pretty: false)
            } ?? []
            throw ClientError(
                status: status,
                messages: messages,
                method: method.uppercased(),
                url: target,
                body: decoded,
                rawBody: decoded == nil ? raw : nil
            )
        }
        return (status, decoded)
    }

    // MARK: Convenience

    /// Reads a path (`GET`). Returns `nil` when the server answers 404 without data or warnings, as the Go client does.
    public func read(_ path: String, query: [(String, String)] = []) async throws -> JSON? {
        do {
            return try await request(method: "GET", path: path, query: query).body
        } catch let error as ClientError where error.status == 404 {
            if let body = error.body, Self.hasDataOrWarnings(body) { return body }
            return nil
        }
    }

    /// Writes a path (`PUT`). Returns the response body, `nil` for an empty (204) response.
    public func write(_ path: String, data: JSON?) async throws -> JSON? {
        try await request(method: "PUT", path: path, body: data ?? .object([])).body
    }

    /// Sends a JSON merge patch (`PATCH`, `application/merge-patch+json`).
    public func patch(_ path: String, data: JSON) async throws -> JSON? {
        try await request(method: "PATCH", path: path, body: data, contentType: "application/merge-patch+json").body
    }

    /// Lists a path with the `LIST` method. Returns `nil` when nothing is found (404).
    public func list(_ path: String) async throws -> JSON? {
        do {
            return try await request(method: "LIST", path: path).body
        } catch let error as ClientError where error.status == 404 {
            if let body = error.body, Self.hasDataOrWarnings(body) { return body }
            return nil
        }
    }

    /// Deletes a path (`DELETE`).
    @discardableResult
    public func delete(_ path: String, query: [(String, String)] = []) async throws -> JSON? {
        try await request(method: "DELETE", path: path, query: query).body
    }

    // MARK: Helpers

    static func hasDataOrWarnings(_ body: JSON) -> Bool {
        if let data = body["data"], !data.isNull, !(data.members?.isEmpty ?? false) { return true }
        if let warnings = body["warnings"]?.arrayValue, !warnings.isEmpty { return true }
        return false
    }

    private static let pathAllowed: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "-._~/!$&'()*+,;=:@")
        return set
    }()

    private static let queryAllowed: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "-._~")
        return set
    }()

    func makeURL(path: String, query: [(String, String)]) -> String {
        var trimmed = Substring(path)
        while trimmed.hasPrefix("/") { trimmed = trimmed.dropFirst() }
        if trimmed.hasPrefix("v1/") { trimmed = trimmed.dropFirst(3) }
        let encoded = String(trimmed).addingPercentEncoding(withAllowedCharacters: Self.pathAllowed) ?? String(trimmed)
        var url = "\(address)/v1/\(encoded)"
        if !query.isEmpty {
            url += "?" + query.map { key, value in
                let k = key.addingPercentEncoding(withAllowedCharacters: Self.queryAllowed) ?? key
                let v = value.addingPercentEncoding(withAllowedCharacters: Self.queryAllowed) ?? value
                return "\(k)=\(v)"
            }.joined(separator: "&")
        }
        return url
    }
}
