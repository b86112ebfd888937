import AsyncHTTPClient
import CofferSDK
import Foundation
import NIOCore
import NIOHTTP1

/// Fetches an http-01 challenge response (RFC 8555 §8.3): `GET http://<identifier>/.well-known/acme-challenge/<token>`.
/// Injected into the engine so that tests validate challenges without a network.
///
/// ```swift
/// struct Fixed: HTTP01Fetcher {
///     func fetch(_ url: String) async throws -> [UInt8] { Array("token.thumbprint".utf8) }
/// }
/// ```
protocol HTTP01Fetcher: Sendable {
    /// The body of a 200 answer; throws for anything else (connection failure, other status, body too large).
    func fetch(_ url: String) async throws -> [UInt8]
}

/// Why a fetch failed, as shown to the ACME client in the challenge's error.
struct HTTP01FetchError: Error, CustomStringConvertible {
    var description: String
}

/// The fetcher the server uses: AsyncHTTPClient over plain HTTP, port 80 unless the identifier says otherwise, a
/// short timeout, no redirects, and a small body limit (a key authorization is under 200 bytes).
struct AsyncHTTP01Fetcher: HTTP01Fetcher {
    static let maxBody = 8192

    func fetch(_ url: String) async throws -> [UInt8] {
        var config = HTTPClient.Configuration()
        config.timeout = .init(connect: .seconds(5), read: .seconds(10))
        config.redirectConfiguration = .disallow
        config.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        do {
            let resp = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(15))
            let status = Int(resp.status.code)
            var buf = try await resp.body.collect(upTo: Self.maxBody)
            let bytes = buf.readBytes(length: buf.readableBytes) ?? []
            try? await client.shutdown()
            guard status == 200 else { throw HTTP01FetchError(description: "the challenge URL answered \(status)") }
            return bytes
        } catch let e as HTTP01FetchError {
            try? await client.shutdown()
            throw e
        } catch {
            try? await client.shutdown()
            throw HTTP01FetchError(description: "could not fetch the challenge URL: \(String(describing: type(of: error)))")
        }
    }
}
