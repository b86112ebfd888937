@testable import CofferHTTP
import Foundation
import NIOCore
import Testing

/// `LIST` is renamed at the start of every request, wherever the reads split the stream, and nowhere else.
@Suite struct ListMethodRewriterTests {
    static let stream: String = [
        "GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n\r\n",
        "LIST /v1/secret/metadata/ HTTP/1.1\r\nHost: x\r\nX-Vault-Token: root\r\n\r\n",
        "\r\n",  // a stray CRLF between requests
        "POST /v1/secret/data/a HTTP/1.1\r\nhost: x\r\nCONTENT-LENGTH:  26 \r\n\r\n{\"data\":{\"v\":\"LIST x y \"}}",
        "LIST /v1/auth/userpass/users HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
        "PUT /v1/a HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n5;ext=1\r\nLIST \r\n0\r\nX-Trailer: LIST\r\n\r\n",
        "LIST /v1/b/ HTTP/1.1\r\n\r\n",
        "LISTX /v1/c HTTP/1.1\r\n\r\n",
        "LIS /v1/d HTTP/1.1\r\n\r\n",
        "DELETE /v1/e HTTP/1.1\r\ncontent-length:3\r\n\r\nabc",
        "LIST /v1/f/ HTTP/1.1\r\n\r\n",
    ].joined()

    static var expected: String {
        stream.replacingOccurrences(of: "LIST /v1/secret/metadata/", with: "BIND /v1/secret/metadata/")
            .replacingOccurrences(of: "LIST /v1/auth", with: "BIND /v1/auth")
            .replacingOccurrences(of: "LIST /v1/b/", with: "BIND /v1/b/")
            .replacingOccurrences(of: "LIST /v1/f/", with: "BIND /v1/f/")
    }

    static func run(_ chunks: [ArraySlice<UInt8>]) -> String {
        var scanner = HTTPFramingScanner()
        var out: [UInt8] = []
        for c in chunks {
            let (b, failure) = ListMethodRewriter.rewrite(ByteBuffer(bytes: c), scanner: &scanner, allocator: ByteBufferAllocator())
            #expect(failure == nil)
            out += b.readableBytesView
        }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func wholeStreamInOneRead() {
        #expect(Self.run([ArraySlice(Array(Self.stream.utf8))]) == Self.expected)
    }

    @Test func everySplitIntoTwoReads() {
        let bytes = Array(Self.stream.utf8)
        for cut in 0...bytes.count {
            #expect(Self.run([bytes[0..<cut], bytes[cut...]]) == Self.expected, "cut at \(cut)")
        }
    }

    @Test func oneByteAtATime() {
        let bytes = Array(Self.stream.utf8)
        #expect(Self.run(bytes.indices.map { bytes[$0...$0] }) == Self.expected)
    }

    @Test func readsWithoutARenameAreForwardedAsTheyCame() {
        var scanner = HTTPFramingScanner()
        let request = Array("GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        let edit = request.withUnsafeBytes { scanner.scan($0) }
        #expect(edit == nil)
    }

    @Test func anUpgradeHeaderAloneDoesNotStopTheScan() {
        // llhttp upgrades only with `Connection: upgrade` as well; without it the connection goes on, and so does the
        // scan (the old scanner stopped here, so the next LIST was answered 400 and the connection closed).
        let s = "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\nLIST /v1/x HTTP/1.1\r\n\r\n"
        // The header itself is renamed (Coffer upgrades to nothing), so llhttp never stops at it either.
        let renamed = s.replacingOccurrences(of: "LIST /v1/x", with: "BIND /v1/x").replacingOccurrences(of: "Upgrade:", with: "Ignored:")
        #expect(Self.run([ArraySlice(Array(s.utf8))]) == renamed)
        let bytes = Array(s.utf8)
        for cut in 0...bytes.count {
            #expect(Self.run([bytes[0..<cut], bytes[cut...]]) == renamed, "cut at \(cut)")
        }
        let c = "GET /ws HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\n\r\nLIST /v1/x HTTP/1.1\r\n\r\n"
        #expect(Self.run([ArraySlice(Array(c.utf8))]) == c.replacingOccurrences(of: "LIST /v1/x", with: "BIND /v1/x"))
    }
}
