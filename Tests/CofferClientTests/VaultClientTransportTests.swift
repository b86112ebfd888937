import Foundation
import Testing

@testable import CofferClient

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A loopback TCP socket: bound and listening (a server that never answers), or bound only (a closed port).
private final class LoopbackSocket {
    let fd: CInt
    let port: Int

    init(listen: Bool) throws {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        #if canImport(Glibc)
        if listen { _ = Glibc.listen(fd, 16) }
        #else
        if listen { _ = Darwin.listen(fd, 16) }
        #endif
        withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) } }
        self.fd = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}

@Suite struct VaultClientTransportTests {
    @Test(.timeLimit(.minutes(1)))
    func refusedConnectionFailsAtOnceWithGoText() async throws {
        // Bound but not listening: connecting is refused.
        let closed = try LoopbackSocket(listen: false)
        let client = try VaultClient(configuration: .init(address: "http://127.0.0.1:\(closed.port)"))
        // Refused at once, without retries: the time limit guards a hang; the error text says it was the refusal (a
        // wall-clock bound here failed in CI when other tests held the cooperative pool).
        let error = await #expect(throws: ClientError.self) { try await client.request(method: "GET", path: "sys/seal-status") }
        #expect(
            error?.description
                == "Get \"http://127.0.0.1:\(closed.port)/v1/sys/seal-status\": dial tcp 127.0.0.1:\(closed.port): connect: connection refused")
        #expect(error?.isTransportError == true)
    }

    @Test(.timeLimit(.minutes(1)))
    func silentServerHitsTheClientTimeout() async throws {
        let silent = try LoopbackSocket(listen: true)
        let client = try VaultClient(configuration: .init(address: "https://127.0.0.1:\(silent.port)", timeout: .milliseconds(500)))
        let start = ContinuousClock.now
        let error = await #expect(throws: ClientError.self) { try await client.request(method: "GET", path: "sys/seal-status") }
        // Not before the client timeout. No upper bound beyond the suite's time limit: under a loaded CI run the timer
        // task waited for the cooperative pool for over 5 s. The error text says the client timeout ended it, not the
        // 30 s dial timeout or the server.
        #expect(ContinuousClock.now - start >= .milliseconds(450))
        // As bao: the bare context error, no URL.
        #expect(error?.description == "context deadline exceeded")
    }

    @Test func requestURLKeepsThePathEncoded() throws {
        let client = try VaultClient(configuration: .init(address: "http://127.0.0.1:1/", timeout: .seconds(5)))
        #expect(client.makeURL(path: "/v1/secret/data/a b", query: [("version", "1")]) == "http://127.0.0.1:1/v1/secret/data/a%20b?version=1")
    }
}
