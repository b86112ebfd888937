import CofferCore
@testable import CofferHTTP
import CofferSDK
import CofferServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTesting
import Logging
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Values from outside that become a status code or a raw response: never a trap, never a page a browser renders.
@Suite struct EdgeHardeningTests {
    static func app() async throws -> (some ApplicationProtocol, String) {
        let core = Core(configuration: CoreConfiguration(), physical: InMemoryPhysicalBackend(), engines: CofferServer.engines, logger: Logger(label: "test"))
        try await core.loadSealConfig()
        let root = try await core.initializeDev(rootTokenID: "root").rootToken
        let app = Application(responder: CofferResponder(core: core, logger: Logger(label: "test")))
        return (app, root)
    }

    static func json(_ buffer: ByteBuffer) -> JSONValue {
        (try? JSONValue.parse(Array(buffer.readableBytesView))) ?? .null
    }

    static let token = HTTPField.Name("X-Vault-Token")!
    static let wrapTTL = HTTPField.Name("X-Vault-Wrap-TTL")!

    @Test func healthCodesOutOfRangeAreRefused() async throws {
        let (app, _) = try await Self.app()
        try await app.test(.router) { client in
            for q in [
                "activecode=1000", "activecode=600", "activecode=999", "activecode=0", "activecode=-1", "activecode=150", "activecode=101",
                "sealedcode=1000", "uninitcode=100000", "standbycode=70000",
            ] {
                try await client.execute(uri: "/v1/sys/health?\(q)", method: .get) { r in
                    #expect(r.status.code == 400, "\(q)")
                    #expect(Self.json(r.body)["errors"]?.arrayValue?.count == 1, "\(q)")
                }
                try await client.execute(uri: "/v1/sys/health?\(q)", method: .head) { r in #expect(r.status.code == 400, "\(q)") }
            }
            // Not an integer (Go's Atoi fails on overflow too): OpenBao's 400 with no message.
            for q in ["activecode=abc", "activecode=99999999999999999999", "sealedcode=", "uninitcode=1e3"] {
                try await client.execute(uri: "/v1/sys/health?\(q)", method: .get) { r in
                    #expect(r.status.code == 400, "\(q)")
                    #expect(Self.json(r.body) == ["errors": []], "\(q)")
                }
            }
            // Parameters OpenBao doesn't read are ignored, whatever they hold.
            for q in ["drsecondarycode=1000", "perfstandbyokcode=1000", "performancestandbycode=-5", "removedcode=99999"] {
                try await client.execute(uri: "/v1/sys/health?\(q)", method: .get) { r in #expect(r.status.code == 200, "\(q)") }
            }
            try await client.execute(uri: "/v1/sys/health?activecode=599", method: .get) { r in #expect(r.status.code == 599) }
            // 204 carries no body, or the body would be read as the next response.
            try await client.execute(uri: "/v1/sys/health?activecode=204", method: .get) { r in
                #expect(r.status.code == 204)
                #expect(r.body.readableBytes == 0)
            }
        }
    }

    @Test func rawResponsesFromUserDataAreSafe() async throws {
        let (app, root) = try await Self.app()
        try await app.test(.router) { client in
            func put(_ path: String, _ body: String) async throws {
                try await client.execute(uri: "/v1/\(path)", method: .post, headers: [Self.token: root], body: ByteBuffer(string: body)) { r in
                    #expect(r.status.code == 204)
                }
            }
            // A status HTTP can't carry: OpenBao's empty 500 with the reason in X-Vault-Raw-Error, not a crash.
            try await put("cubbyhole/big", #"{"http_status_code":1000,"http_raw_body":"x"}"#)
            try await client.execute(uri: "/v1/cubbyhole/big", method: .get, headers: [Self.token: root]) { r in
                #expect(r.status.code == 500)
                #expect(r.headers[CofferResponder.rawErrorHeader] == "invalid status code")
                #expect(r.body.readableBytes == 0)
            }
            for code in [-1, 0, 99, 101, 600, 65536] {
                try await put("cubbyhole/c\(code)", #"{"http_status_code":\#(code),"http_raw_body":"x","http_content_type":"text/plain"}"#)
                try await client.execute(uri: "/v1/cubbyhole/c\(code)", method: .get, headers: [Self.token: root]) { r in
                    #expect(r.status.code == 500, "\(code)")
                }
            }
            // HTML is served as plain text that can't be sniffed or run.
            try await put("cubbyhole/html", #"{"http_status_code":200,"http_raw_body":"<script>alert(1)</script>","http_content_type":"text/html"}"#)
            try await client.execute(uri: "/v1/cubbyhole/html", method: .get, headers: [Self.token: root]) { r in
                #expect(r.status.code == 200)
                #expect(r.headers[.contentType] == "text/plain")
                #expect(r.headers[.xContentTypeOptions] == "nosniff")
                #expect(r.headers[.contentSecurityPolicy] == "sandbox")
                #expect(String(buffer: r.body) == "<script>alert(1)</script>")
            }
            // A 204 never carries the stored body (it would be a second response on a keep-alive connection).
            try await put("cubbyhole/split", #"{"http_status_code":204,"http_raw_body":"HTTP/1.1 200 OK\r\n\r\n","http_content_type":"text/plain"}"#)
            try await client.execute(uri: "/v1/cubbyhole/split", method: .get, headers: [Self.token: root]) { r in
                #expect(r.status.code == 204)
                #expect(r.body.readableBytes == 0)
            }
            // The same through a wrapped response.
            var wrapToken = ""
            try await client.execute(
                uri: "/v1/sys/wrapping/wrap", method: .post, headers: [Self.token: root, Self.wrapTTL: "60s"],
                body: ByteBuffer(string: #"{"http_status_code":1000,"http_raw_body":"<b>x</b>","http_content_type":"text/html"}"#)
            ) { r in
                #expect(r.status.code == 200)
                wrapToken = Self.json(r.body)["wrap_info"]?["token"]?.stringValue ?? ""
            }
            #expect(!wrapToken.isEmpty)
            try await client.execute(uri: "/v1/sys/wrapping/unwrap", method: .post, headers: [Self.token: wrapToken]) { r in
                #expect(r.status.code == 500)
                #expect(r.headers[CofferResponder.rawErrorHeader] == "invalid status code")
            }
        }
    }

    /// `http_headers` sets only Replay-Nonce, Location, Link and Retry-After, with printable values, and never a
    /// redirect; HEAD is served for ACME's new-nonce only.
    @Test func rawResponseHeadersAreAllowListed() async throws {
        let (app, root) = try await Self.app()
        try await app.test(.router) { client in
            func put(_ path: String, _ body: String) async throws {
                try await client.execute(uri: "/v1/\(path)", method: .post, headers: [Self.token: root], body: ByteBuffer(string: body)) { r in
                    #expect(r.status.code == 204 || r.status.code == 200, "\(path)")
                }
            }
            try await put(
                "cubbyhole/h",
                #"{"http_status_code":201,"http_raw_body":"{}","http_content_type":"application/problem+json","http_headers":{"location":"https://x.test/a","Replay-Nonce":"abc","Set-Cookie":"s=1","Link":["<https://x.test/d>;rel=\"index\"","bad\r\nX-Injected: 1"]}}"#)
            try await client.execute(uri: "/v1/cubbyhole/h", method: .get, headers: [Self.token: root]) { r in
                #expect(r.status.code == 201)
                #expect(r.headers[.contentType] == "application/problem+json")
                #expect(r.headers[.location] == "https://x.test/a")
                #expect(r.headers[HTTPField.Name("Replay-Nonce")!] == "abc")
                #expect(r.headers[HTTPField.Name("Set-Cookie")!] == nil)
                #expect(r.headers[HTTPField.Name("X-Injected")!] == nil)
                #expect(r.headers[values: HTTPField.Name("Link")!] == [#"<https://x.test/d>;rel="index""#])
            }
            // No redirect from user data.
            try await put("cubbyhole/r", #"{"http_status_code":302,"http_raw_body":"","http_content_type":"text/plain","http_headers":{"Location":"https://evil.test/"}}"#)
            try await client.execute(uri: "/v1/cubbyhole/r", method: .get, headers: [Self.token: root]) { r in
                #expect(r.status.code == 302)
                #expect(r.headers[.location] == nil)
            }
            // HEAD: refused elsewhere, a nonce (200, no body) on an ACME new-nonce.
            try await client.execute(uri: "/v1/cubbyhole/h", method: .head, headers: [Self.token: root]) { r in
                #expect(r.status.code == 405)
            }
            try await put("sys/mounts/pki", #"{"type":"pki"}"#)
            try await put("pki/root/generate/internal", #"{"common_name":"r","key_type":"ec"}"#)
            try await put("pki/config/cluster", #"{"path":"http://coffer.test/v1/pki"}"#)
            try await put("pki/config/acme", #"{"enabled":true}"#)
            try await client.execute(uri: "/v1/pki/acme/new-nonce", method: .head) { r in
                #expect(r.status.code == 200)
                #expect(r.body.readableBytes == 0)
                #expect(r.headers[HTTPField.Name("Replay-Nonce")!]?.isEmpty == false)
                #expect(r.headers[.cacheControl] == "no-store")
            }
            try await client.execute(uri: "/v1/pki/acme/new-nonce", method: .get) { r in
                #expect(r.status.code == 204)
                #expect(r.headers[values: HTTPField.Name("Link")!] == [#"<http://coffer.test/v1/pki/acme/directory>;rel="index""#])
            }
        }
    }

    @Test func rawContentTypes() {
        #expect(CofferResponder.safeRawContentType("application/json") == "application/json")
        #expect(CofferResponder.safeRawContentType("text/plain; version=0.0.4") == "text/plain; version=0.0.4")
        #expect(CofferResponder.safeRawContentType("Application/JWK-Set+JSON") == "Application/JWK-Set+JSON")
        #expect(CofferResponder.safeRawContentType("application/pkix-cert") == "application/pkix-cert")
        #expect(CofferResponder.safeRawContentType(nil) == "application/json")
        for hostile in ["text/html", "text/html; charset=utf-8", "image/svg+xml", "application/xhtml+xml", "text/xml", "", "text/plainx"] {
            #expect(CofferResponder.safeRawContentType(hostile) == "text/plain", "\(hostile)")
        }
    }

    @Test func statusConversionIsChecked() {
        #expect(CofferResponder.checkedStatus(200)?.code == 200)
        #expect(CofferResponder.checkedStatus(Int64(599))?.code == 599)
        for bad in [Int64.min, -1, 0, 99, 100, 199, 600, 1000, Int64.max] { #expect(CofferResponder.checkedStatus(bad) == nil) }
        #expect(CofferResponder.serverStatus(7000) == .internalServerError)
    }

    @Test func wrapTTLOutOfRangeIsA400() async throws {
        let (app, root) = try await Self.app()
        try await app.test(.router) { client in
            for ttl in ["abc", "-5s", "0"] {
                try await client.execute(uri: "/v1/sys/wrapping/lookup", method: .post, headers: [Self.token: root, Self.wrapTTL: ttl]) { r in
                    #expect(r.status.code == 400, "\(ttl)")
                }
            }
        }
    }
}

/// `http_read_header_timeout` on a real listener: a connection whose head never completes is closed.
@Suite struct ListenerTimeoutTests {
    /// Connects to 127.0.0.1:`port`, sends `bytes`, and returns how long until the server closed the connection
    /// (nil if it was still open after `limit` seconds).
    static func secondsUntilClosed(port: Int, sending bytes: String, limit: Int) -> Double? {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port)).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        var tv = timeval(tv_sec: limit, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let start = Date()
        _ = Array(bytes.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 || (n < 0 && errno == ECONNRESET) { return Date().timeIntervalSince(start) }
            if n < 0 { return nil }  // the receive timeout: still open
        }
    }

    @Test(.timeLimit(.minutes(1))) func unfinishedHeadersAreTimedOut() async throws {
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            Response(status: .ok, headers: [.contentLength: "0"])
        }
        let app = Application(
            responder: responder,
            server: HTTPServerBuilder { responder in
                ListMethodChannel(HTTP1Channel(responder: responder, configuration: .init(idleTimeout: .seconds(30))), readHeaderTimeout: .seconds(1))
            })
        try await app.test(.live) { client in
            let port = try #require(client.port)
            // Slowloris: a head that never ends.
            let slow = Self.secondsUntilClosed(port: port, sending: "GET /v1/sys/health HTTP/1.1\r\nX-a: b\r\n", limit: 5)
            let closedAfter = try #require(slow)
            #expect(closedAfter > 0.5 && closedAfter < 4)
            // Nothing at all.
            let silent = try #require(Self.secondsUntilClosed(port: port, sending: "", limit: 5))
            #expect(silent > 0.5 && silent < 4)
            // A complete request is answered and the connection stays for the idle timeout.
            #expect(Self.secondsUntilClosed(port: port, sending: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", limit: 2) == nil)
        }
    }
}
