import CofferSDK
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SwiftASN1
import X509

/// One HTTP/1.1 exchange per connection, over plain TCP or TLS, with Go's client defaults and Go's error texts.
///
/// The client makes a few requests per command, so a connection pool buys nothing; what matters is that a refused
/// connection fails at once (no retries), that a stalled server is given up on after the client timeout, and that TLS
/// verification follows Go's `crypto/x509` (see ``ServerCertificateVerifier``), which needs a hook on the handshake
/// that a pooled client does not offer.
struct HTTPTransport: Sendable {
    /// Go's `net.Dialer` timeout in the Vault client's transport.
    static let dialTimeout: Duration = .seconds(30)

    let tlsContext: NIOSSLContext
    /// `nil` when verification is off (`VAULT_SKIP_VERIFY`).
    let verifier: ServerCertificateVerifier?
    /// `VAULT_TLS_SERVER_NAME`: the name sent as SNI and verified instead of the URL's host.
    let serverName: String?

    init(caCertFile: String?, caPath: String?, skipVerify: Bool, serverName: String?) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if skipVerify {
            tls.certificateVerification = .none
            verifier = nil
        } else {
            // The host is checked by our own verifier, with Go's rules and texts.
            tls.certificateVerification = .noHostnameVerification
            if let pool = try TrustPool.load(caCertFile: caCertFile, caPath: caPath) {
                verifier = ServerCertificateVerifier(roots: .pool(pool))
            } else {
                verifier = ServerCertificateVerifier(roots: .system)
            }
        }
        tlsContext = try NIOSSLContext(configuration: tls)
        self.serverName = serverName.flatMap { $0.isEmpty ? nil : $0 }
    }

    struct Response: Sendable {
        var status: Int
        var body: ByteBuffer
        /// The `Location` header, for a redirect.
        var location: String?
    }

    /// Sends one request and reads the whole response.
    ///
    /// - Parameter timeout: the whole exchange's limit (Go's `http.Client.Timeout`); `nil` or not positive for none.
    /// - Throws: ``TransportFailure`` with Go's wording.
    func execute(
        method: String, url: String, headers: [(String, String)], body: ByteBuffer?, timeout: Duration?, maxBodySize: Int
    ) async throws -> Response {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            var host = components.host, !host.isEmpty
        else {
            throw TransportFailure("parse \(FieldValue.goQuote(url)): invalid URL", prefixed: false)
        }
        guard scheme == "http" || scheme == "https" else {
            throw TransportFailure("unsupported protocol scheme \(FieldValue.goQuote(scheme))")
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let isTLS = scheme == "https"
        let port = components.port ?? (isTLS ? 443 : 80)
        var target = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        if let query = components.percentEncodedQuery { target += "?" + query }
        let hostHeader = (host.contains(":") ? "[\(host)]" : host) + (components.port.map { ":\($0)" } ?? "")

        let exchange = Exchange(
            transport: self, host: host, port: port, isTLS: isTLS, method: method, target: target, hostHeader: hostHeader,
            headers: headers, body: body, maxBodySize: maxBodySize)
        guard let timeout, timeout > .zero else {
            return try await exchange.run(dialTimeout: Self.dialTimeout)
        }
        return try await withThrowingTaskGroup(of: Response?.self) { group in
            group.addTask { try await exchange.run(dialTimeout: min(Self.dialTimeout, timeout)) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let response = next { return response }
                // The timer fired first: close the connection so the exchange ends now.
                exchange.abort()
                throw TransportFailure("context deadline exceeded", prefixed: false)
            }
            throw TransportFailure("context deadline exceeded", prefixed: false)
        }
    }

    /// The TLS name to verify and send as SNI.
    func verificationName(host: String) -> String { serverName ?? host }
}

/// A transport failure, worded as Go's `net/http` client words it.
struct TransportFailure: Error, Sendable, CustomStringConvertible {
    var message: String
    /// Whether the text follows `Get "<url>": ` (Go's `url.Error`); a client timeout is reported bare.
    var prefixed: Bool

    init(_ message: String, prefixed: Bool = true) {
        self.message = message
        self.prefixed = prefixed
    }

    var description: String { message }
}

/// One request on its own connection.
private final class Exchange: Sendable {
    let transport: HTTPTransport
    let host: String
    let port: Int
    let isTLS: Bool
    let method: String
    let target: String
    let hostHeader: String
    let headers: [(String, String)]
    let body: ByteBuffer?
    let maxBodySize: Int
    /// The channel once connected (to close it on timeout), and whether the exchange was aborted.
    private let state = NIOLockedValueBox<(channel: (any Channel)?, aborted: Bool)>((nil, false))
    /// Why our certificate verification refused the server, if it did: the handshake error itself says only that
    /// verification failed.
    private let verificationFailure = NIOLockedValueBox<String?>(nil)

    init(
        transport: HTTPTransport, host: String, port: Int, isTLS: Bool, method: String, target: String, hostHeader: String,
        headers: [(String, String)], body: ByteBuffer?, maxBodySize: Int
    ) {
        self.transport = transport
        self.host = host
        self.port = port
        self.isTLS = isTLS
        self.method = method
        self.target = target
        self.hostHeader = hostHeader
        self.headers = headers
        self.body = body
        self.maxBodySize = maxBodySize
    }

    func abort() {
        let channel = state.withLockedValue { state -> (any Channel)? in
            state.aborted = true
            return state.channel
        }
        channel?.close(promise: nil)
    }

    func run(dialTimeout: Duration) async throws -> HTTPTransport.Response {
        let asyncChannel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
        do {
            asyncChannel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.nanoseconds(Int64(dialTimeout.components.seconds) * 1_000_000_000 + dialTimeout.components.attoseconds / 1_000_000_000))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if self.isTLS { try self.addTLS(to: channel) }
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw TransportFailure(describeDialError(error))
        }
        let aborted = state.withLockedValue { state -> Bool in
            state.channel = asyncChannel.channel
            return state.aborted
        }
        if aborted { try? await asyncChannel.channel.close() }

        do {
            return try await asyncChannel.executeThenClose { inbound, outbound in
                var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: target)
                head.headers.add(name: "Host", value: hostHeader)
                for (name, value) in headers { head.headers.add(name: name, value: value) }
                if let body {
                    head.headers.add(name: "Content-Length", value: String(body.readableBytes))
                } else if ["POST", "PUT", "PATCH"].contains(method) {
                    head.headers.add(name: "Content-Length", value: "0")
                }
                try await outbound.write(.head(head))
                if let body { try await outbound.write(.body(.byteBuffer(body))) }
                try await outbound.write(.end(nil))

                var status: Int?
                var location: String?
                var collected = ByteBuffer()
                for try await part in inbound {
                    switch part {
                    case .head(let responseHead):
                        // An interim 1xx response (100 Continue) is followed by the real one.
                        if responseHead.status.code >= 200 {
                            status = Int(responseHead.status.code)
                            location = responseHead.headers.first(name: "Location")
                        }
                    case .body(var chunk):
                        guard status != nil else { continue }
                        if collected.readableBytes + chunk.readableBytes > maxBodySize {
                            throw TransportFailure("http: response body too large")
                        }
                        collected.writeBuffer(&chunk)
                    case .end:
                        if let status { return HTTPTransport.Response(status: status, body: collected, location: location) }
                    }
                }
                throw TransportFailure(status == nil ? "EOF" : "unexpected EOF")
            }
        } catch let failure as TransportFailure {
            throw failure
        } catch {
            throw TransportFailure(describeExchangeError(error))
        }
    }

    private func addTLS(to channel: any Channel) throws {
        let name = transport.verificationName(host: host)
        // Go sends no SNI for an IP address; BoringSSL refuses one.
        let sni = ServerCertificateVerifier.parseIP(name) == nil ? name : nil
        let handler: NIOSSLClientHandler
        if let verifier = transport.verifier {
            let failure = verificationFailure
            handler = try NIOSSLClientHandler(context: transport.tlsContext, serverHostname: sni) { presented, promise in
                let chain: [Certificate]
                do {
                    chain = try presented.map { try Certificate(derEncoded: try $0.toDERBytes()) }
                } catch {
                    failure.withLockedValue { $0 = "x509: \(error)" }
                    promise.succeed(.failed)
                    return
                }
                promise.completeWithTask {
                    if let reason = await verifier.verify(chain: chain, serverName: name, now: Date()) {
                        failure.withLockedValue { $0 = reason }
                        return .failed
                    }
                    return .certificateVerified
                }
            }
        } else {
            handler = try NIOSSLClientHandler(context: transport.tlsContext, serverHostname: sni)
        }
        try channel.pipeline.syncOperations.addHandler(handler)
    }

    /// `dial tcp 127.0.0.1:8200: connect: connection refused`, `dial tcp 10.0.0.1:8200: i/o timeout`,
    /// `dial tcp: lookup nosuch.example: no such host`.
    private func describeDialError(_ error: any Error) -> String {
        let target = "\(host.contains(":") ? "[\(host)]" : host):\(port)"
        if let connection = error as? NIOConnectionError {
            if let first = connection.connectionErrors.first {
                return "dial tcp \(formatAddress(first.target) ?? target): \(describeSocketError(first.error))"
            }
            if connection.dnsAError != nil || connection.dnsAAAAError != nil {
                return "dial tcp: lookup \(host): no such host"
            }
            return "dial tcp: lookup \(host): no such host"
        }
        if let channelError = error as? ChannelError, case .connectTimeout(_) = channelError {
            return "dial tcp \(target): i/o timeout"
        }
        return "dial tcp \(target): \(describeSocketError(error))"
    }

    private func describeSocketError(_ error: any Error) -> String {
        if let io = error as? IOError {
            return "connect: " + Self.errnoText(io.errnoCode)
        }
        if let channelError = error as? ChannelError, case .connectTimeout(_) = channelError {
            return "i/o timeout"
        }
        return String(describing: error)
    }

    private func formatAddress(_ address: SocketAddress) -> String? {
        guard let ip = address.ipAddress, let port = address.port else { return nil }
        if case .v6 = address { return "[\(ip)]:\(port)" }
        return "\(ip):\(port)"
    }

    /// Go's wording of an error during the TLS handshake or the exchange.
    private func describeExchangeError(_ error: any Error) -> String {
        if let reason = verificationFailure.withLockedValue({ $0 }) {
            return "tls: failed to verify certificate: \(reason)"
        }
        if state.withLockedValue({ $0.aborted }) { return "context deadline exceeded" }
        let text = String(describing: error)
        if let ssl = error as? NIOSSLError {
            switch ssl {
            case .uncleanShutdown: return "EOF"
            case .handshakeFailed:
                if text.contains("WRONG_VERSION_NUMBER") { return "http: server gave HTTP response to HTTPS client" }
                for (code, goText) in Self.alerts where text.contains(code) { return "remote error: tls: \(goText)" }
                return "tls: handshake failure: \(text)"
            default: return text
            }
        }
        if let channelError = error as? ChannelError {
            switch channelError {
            case .eof, .ioOnClosedChannel, .alreadyClosed, .outputClosed, .inputClosed: return "EOF"
            default: break
            }
        }
        if let io = error as? IOError {
            if io.errnoCode == ECONNRESET { return "read tcp: connection reset by peer" }
            return Self.errnoText(io.errnoCode)
        }
        if error is HTTPParserError { return "net/http: HTTP/1.x transport connection broken: malformed HTTP response" }
        return text
    }

    /// BoringSSL's alert reasons and Go's names for the same alerts (`remote error: tls: …`).
    private static let alerts: [(String, String)] = [
        ("SSLV3_ALERT_HANDSHAKE_FAILURE", "handshake failure"),
        ("TLSV1_ALERT_PROTOCOL_VERSION", "protocol version not supported"),
        ("SSLV3_ALERT_BAD_CERTIFICATE", "bad certificate"),
        ("TLSV1_ALERT_UNKNOWN_CA", "unknown certificate authority"),
        ("TLSV1_ALERT_CERTIFICATE_REQUIRED", "certificate required"),
        ("SSLV3_ALERT_CERTIFICATE_EXPIRED", "expired certificate"),
        ("SSLV3_ALERT_CERTIFICATE_UNKNOWN", "unknown certificate"),
        ("TLSV1_ALERT_ACCESS_DENIED", "access denied"),
        ("TLSV1_ALERT_INTERNAL_ERROR", "internal error"),
        ("TLSV1_ALERT_DECODE_ERROR", "error decoding message"),
        ("TLSV1_ALERT_INSUFFICIENT_SECURITY", "insufficient security level"),
        ("TLSV1_UNRECOGNIZED_NAME", "unrecognized name"),
        ("TLSV1_ALERT_NO_APPLICATION_PROTOCOL", "no application protocol"),
        ("SSLV3_ALERT_ILLEGAL_PARAMETER", "illegal parameter"),
    ]

    /// The C library's text in Go's spelling (lower case: `connection refused`).
    static func errnoText(_ code: CInt) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        let message = String(cString: text)
        return message.prefix(1).lowercased() + message.dropFirst()
    }
}
