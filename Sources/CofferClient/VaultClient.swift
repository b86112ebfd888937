import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// A small client for the Vault / OpenBao HTTP API.
///
/// One instance owns one `HTTPClient`; call ``shutdown()`` when done.
///
/// ```swift
/// let client = try VaultClient(configuration: .init(address: "http://127.0.0.1:8200", token: "root"))
/// defer { Task { try? await client.shutdown() } }
/// let secret = try await client.read("secret/data/foo")
/// ```
public final class VaultClient: Sendable {
    public let configuration: ClientConfiguration
    private let http: HTTPClient

    /// Creates the client and its HTTP connection pool.
    ///
    /// - Throws: an error when the CA certificate file or directory cannot be loaded.
    public init(configuration: ClientConfiguration) throws {
        self.configuration = configuration
        var tls = TLSConfiguration.makeClientConfiguration()
        if configuration.tlsSkipVerify {
            tls.certificateVerification = .none
        }
        var roots: [NIOSSLCertificate] = []
        if let file = configuration.caCertFile, !file.isEmpty {
            roots += try NIOSSLCertificate.fromPEMFile(file)
        }
        if let directory = configuration.caPath, !directory.isEmpty {
            let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
            for name in names where name.hasSuffix(".pem") || name.hasSuffix(".crt") {
                roots += try NIOSSLCertificate.fromPEMFile((directory as NSString).appendingPathComponent(name))
            }
        }
        if !roots.isEmpty {
            tls.trustRoots = .certificates(roots)
        }
        var httpConfiguration = HTTPClient.Configuration(tlsConfiguration: tls)
        httpConfiguration.timeout = .init(connect: .seconds(10))
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
    }

    /// Closes the connection pool.
    public func shutdown() async throws {
        try await http.shutdown()
    }

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
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method.uppercased())
        request.headers.add(name: "X-Vault-Request", value: "true")
        let effectiveToken: String? = token ?? configuration.token
        if let effectiveToken, !effectiveToken.isEmpty {
            request.headers.add(name: "X-Vault-Token", value: effectiveToken)
        }
        let effectiveWrapTTL: String? = wrapTTL ?? configuration.wrapTTL
        if let effectiveWrapTTL, !effectiveWrapTTL.isEmpty {
            request.headers.add(name: "X-Vault-Wrap-TTL", value: effectiveWrapTTL)
        }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(string: body.serialized(pretty: false, escapeHTML: false)))
        }
        if let serverName = configuration.tlsServerName, !serverName.isEmpty {
            request.headers.replaceOrAdd(name: "Host", value: serverName)
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await http.execute(request, timeout: .seconds(configuration.timeout.components.seconds))
            bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
        } catch {
            throw ClientError(status: 0, messages: [Self.describeTransportError(error, url: url)], method: method.uppercased(), url: url)
        }
        let status = Int(response.status.code)
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
                url: url,
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

    /// A short, Go-like reason for a failed connection (`dial tcp 127.0.0.1:1: connect: connection refused`).
    static func describeTransportError(_ error: any Error, url: String) -> String {
        let text = String(describing: error)
        var dial = "dial tcp"
        if let components = URLComponents(string: url), let host = components.host {
            let port = components.port ?? (components.scheme == "https" ? 443 : 80)
            dial += " \(host):\(port)"
        }
        if text.localizedCaseInsensitiveContains("connection refused") {
            return "\(dial): connect: connection refused"
        }
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "tls: failed to verify certificate: x509: certificate signed by unknown authority"
        }
        if let clientError = error as? HTTPClientError {
            if clientError == .connectTimeout { return "\(dial): i/o timeout" }
            if clientError == .deadlineExceeded { return "context deadline exceeded" }
        }
        return text
    }

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
