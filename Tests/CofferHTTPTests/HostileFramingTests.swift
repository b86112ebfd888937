@testable import CofferHTTP
import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

/// Hostile byte streams through the LIST shim and NIO's own HTTP request decoder, as the server runs them: the
/// shim and the decoder must agree on every request boundary, or the connection must fail (the server then answers
/// 400 and closes). Each case is followed by a pipelined LIST, which must come out as `BIND` or not at all.
@Suite struct HostileFramingTests {
    struct Decoded {
        var methods: [String] = []
        var bodies: [String] = []
        var error: (any Error)? = nil
        var parserError: HTTPParserError? { error as? HTTPParserError }
    }

    /// Feeds the reads through ListMethodRewriter and HTTPRequestDecoder on an EmbeddedChannel.
    static func decode(_ reads: [String]) throws -> Decoded {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ListMethodRewriter())
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder()))
        var out = Decoded()
        func drain() throws {
            while let part = try channel.readInbound(as: HTTPServerRequestPart.self) {
                switch part {
                case .head(let h):
                    out.methods.append(h.method.rawValue)
                    out.bodies.append("")
                case .body(let b):
                    out.bodies[out.bodies.count - 1] += String(buffer: b)
                case .end:
                    break
                }
            }
        }
        for r in reads {
            do {
                try channel.writeInbound(ByteBuffer(string: r))
            } catch {
                out.error = error
                try drain()
                break
            }
            try drain()
        }
        _ = try? channel.finish()
        return out
    }

    /// Every way of cutting the stream into two reads gives the same result.
    static func decodeEverySplit(_ s: String) throws -> [Decoded] {
        let bytes = Array(s.utf8)
        var results: [Decoded] = []
        for cut in stride(from: 0, through: bytes.count, by: max(1, bytes.count / 97)) {
            results.append(try decode([String(decoding: bytes[0..<cut], as: UTF8.self), String(decoding: bytes[cut...], as: UTF8.self)]))
        }
        return results
    }

    static let list = "LIST /v1/secret/ HTTP/1.1\r\nHost: x\r\n\r\n"

    @Test(arguments: ["-40000", "-7fffffffffffffff", "+5", " 5", "0x5", "", "fffffffffffffffffff", "10000000000000000", "5 ", "g"])
    func badChunkSizesFailTheConnection(_ size: String) throws {
        let s = "PUT /v1/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\(size)\r\nLIST \r\n0\r\n\r\n" + Self.list
        for d in try Self.decodeEverySplit(s) {
            #expect(d.error != nil, "chunk size \(size)")
            #expect(!d.methods.contains("BIND"), "chunk size \(size)")
        }
    }

    @Test func chunkSizesWithLeadingZerosAndExtensionsAreFollowed() throws {
        let s = "PUT /v1/a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0000000000000000000005;x=y\r\nLIST \r\n0\r\n\r\n" + Self.list
        for d in try Self.decodeEverySplit(s) {
            #expect(d.error == nil)
            #expect(d.methods == ["PUT", "BIND"])
            #expect(d.bodies.first == "LIST ")
        }
    }

    /// The old scanner kept only 256 bytes of a line: a padded Content-Length read as 0, the body was taken for the
    /// next request, and a LIST inside it was renamed (or a real LIST after it was not).
    @Test(arguments: [String(repeating: "0", count: 300), String(repeating: " ", count: 300), String(repeating: "0", count: 900)])
    func paddedContentLengthKeepsTheBoundary(_ padding: String) throws {
        let body = Self.list  // a body that looks like a request
        let s = "POST /v1/a HTTP/1.1\r\nContent-Length:\(padding)\(body.utf8.count)\r\n\r\n\(body)" + Self.list
        for d in try Self.decodeEverySplit(s) {
            #expect(d.error == nil)
            #expect(d.methods == ["POST", "BIND"])
            #expect(d.bodies.first == body)
        }
    }

    @Test func overlongTrackedHeadersFailTheConnection() throws {
        let s = "POST /v1/a HTTP/1.1\r\nContent-Length: \(String(repeating: "0", count: 2000))5\r\n\r\nLIST \r\n" + Self.list
        for d in try Self.decodeEverySplit(s) {
            #expect(d.parserError == .headerOverflow)
            #expect(d.methods.isEmpty)
        }
        // An untracked header of any length is no concern of the shim.
        let long = "GET /v1/a HTTP/1.1\r\nX-Long: \(String(repeating: "a", count: 5000))\r\n\r\n" + Self.list
        for d in try Self.decodeEverySplit(long) {
            #expect(d.error == nil)
            #expect(d.methods == ["GET", "BIND"])
        }
    }

    @Test(arguments: [
        "Content-Length: -5", "Content-Length: +5", "Content-Length: 5, 5", "Content-Length: 0x5", "Content-Length: 99999999999999999999",
        "Content-Length: 5\r\nContent-Length: 5", "Content-Length : 5", "Content-Length: 5\r\nTransfer-Encoding: chunked",
        "Transfer-Encoding: gzip", "Transfer-Encoding: chunked, gzip", "Transfer-Encoding: chunked, chunked",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked", "X: a\r\n  folded", "No colon here",
    ])
    func ambiguousFramingFailsTheConnection(_ headers: String) throws {
        let s = "POST /v1/a HTTP/1.1\r\n\(headers)\r\n\r\nLIST \r\n0\r\n\r\n" + Self.list
        for d in try Self.decodeEverySplit(s) {
            #expect(d.error != nil, "\(headers)")
            #expect(!d.methods.contains("BIND"), "\(headers)")
        }
    }

    @Test func upgradeHeaderWithoutConnectionUpgradeKeepsFraming() throws {
        let s = "GET /v1/sys/health HTTP/1.1\r\nUpgrade: websocket\r\n\r\n" + Self.list
        for d in try Self.decodeEverySplit(s) {
            #expect(d.error == nil)
            #expect(d.methods == ["GET", "BIND"])
        }
    }

    /// An `Upgrade` header is renamed before llhttp sees it, however the reads cut it: the request is served as an
    /// ordinary one and the connection goes on (as OpenBao's Go server ignores it).
    @Test(arguments: [
        "GET /v1/sys/health HTTP/1.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n\r\n",
        "GET /v1/sys/health HTTP/1.1\r\nUPGRADE:websocket\r\nConnection: upgrade\r\n\r\n",
        "GET /v1/sys/health HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\nupgrade: " + String(repeating: "x", count: 900) + "\r\n\r\n",
    ])
    func upgradeRequestsKeepTheConnection(_ upgrade: String) throws {
        for d in try Self.decodeEverySplit(upgrade + Self.list) {
            #expect(d.error == nil)
            #expect(d.methods == ["GET", "BIND"])
        }
    }

    /// llhttp stops parsing after CONNECT: anything more fails the connection instead of hanging it.
    @Test(arguments: [
        "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    ])
    func bytesAfterAnUpgradeFailTheConnection(_ upgrade: String) throws {
        for d in try Self.decodeEverySplit(upgrade + Self.list) {
            #expect(d.parserError == .trailingGarbage)
            #expect(d.methods.count == 1)
        }
    }

    @Test func bindIsNotServedAsList() throws {
        let s = "BIND /v1/secret/ HTTP/1.1\r\n\r\n" + Self.list + "BIND /v1/x HTTP/1.1\r\n\r\n"
        for d in try Self.decodeEverySplit(s) {
            #expect(d.error == nil)
            #expect(d.methods == ["LINK", "BIND", "LINK"])
        }
    }

    @Test func fuzzEntryPointRunsOnHostileInputs() {
        let inputs = [
            Self.list + "PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-7fffffffffffffff\r\n",
            "LIST / HTTP/1.1\r\nContent-Length: " + String(repeating: "0", count: 1500) + "1\r\n\r\nx",
            "\r\n\r\nLIS", "", "CONNECT x HTTP/1.1\r\n\r\nLIST",
        ]
        for i in inputs {
            Array(i.utf8).withUnsafeBytes { ListMethodRewriter.fuzzOneInput($0) }
        }
    }
}

/// `http_read_header_timeout` in the shim, on an EmbeddedChannel with its clock moved by hand.
@Suite struct ReadHeaderTimeoutTests {
    static func channel(timeout: TimeAmount = .seconds(1)) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8200)).wait()
        try channel.pipeline.syncOperations.addHandler(ListMethodRewriter(readHeaderTimeout: timeout))
        return channel
    }

    @Test func aSilentConnectionIsClosed() throws {
        let channel = try Self.channel()
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(900))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(200))
        #expect(!channel.isActive)
    }

    @Test func anUnfinishedHeadIsClosedFromTheAccept() throws {
        let channel = try Self.channel()
        for b in "GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n".utf8 {
            try channel.writeInbound(ByteBuffer(bytes: [b]))
            channel.embeddedEventLoop.advanceTime(by: .milliseconds(20))
        }
        // 40 bytes at 20 ms each: 0.8 s since the accept.
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(300))
        #expect(!channel.isActive)
    }

    @Test func aCompleteHeadStopsTheTimerAndTheNextRequestStartsItAgain() throws {
        let channel = try Self.channel()
        try channel.writeInbound(ByteBuffer(string: "GET /v1/sys/health HTTP/1.1\r\n\r\n"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))  // idle between requests: not this timeout's business
        #expect(channel.isActive)
        try channel.writeInbound(ByteBuffer(string: "LIST /v1/secret/ HT"))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(900))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(200))
        #expect(!channel.isActive)
    }

    @Test func aSlowBodyIsNotAHeaderTimeout() throws {
        let channel = try Self.channel()
        try channel.writeInbound(ByteBuffer(string: "PUT /v1/a HTTP/1.1\r\nContent-Length: 5\r\n\r\nab"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(channel.isActive)
        _ = try? channel.finish()
    }
}
