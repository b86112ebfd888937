import CofferCore
import CofferSDK
import CofferServer
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SwiftASN1
import Testing
import X509

@testable import CofferHTTP

/// A standby sends its client's TLS certificates to the active node in `X-Coffer-Forwarded-Client-Cert`; only the
/// cluster listener believes that header.
@Suite struct ForwardedClientCertificateTests {
    static func der(_ c: Certificate) throws -> [UInt8] {
        var s = DER.Serializer()
        try s.serialize(c)
        return s.serializedBytes
    }

    /// A self-signed client certificate a `cert` role trusts, and the core with that role at `auth/cert/certs/web`.
    static func setUp() async throws -> (Core, Certificate) {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("client1") }
        let now = Date()
        let client = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(3600), issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions { try ExtendedKeyUsage([.clientAuth]) }, issuerPrivateKey: .init(key))
        let core = Core(
            configuration: CoreConfiguration(), physical: InMemoryPhysicalBackend(), engines: CofferServer.engines,
            authMethods: CofferServer.authMethods, logger: Logger(label: "test"))
        try await core.loadSealConfig()
        let root = try await core.initializeDev(rootTokenID: "root").rootToken
        _ = try await core.handle(CoreRequest(id: "1", operation: .update, path: "sys/auth/cert", data: ["type": "cert"], token: root))
        _ = try await core.handle(
            CoreRequest(
                id: "2", operation: .update, path: "auth/cert/certs/web", data: ["certificate": .string(try client.serializeAsPEM().pemString)],
                token: root))
        return (core, client)
    }

    @Test func headerValueRoundTrips() {
        let tls = TLSConnectionState(peerCertificates: [[1, 2, 3], [4, 5]])
        let value = CofferResponder.forwardedClientCertificatesValue(tls)
        #expect(CofferResponder.forwardedTLS(value) == tls)
        #expect(CofferResponder.forwardedClientCertificatesValue(nil) == nil)
        #expect(CofferResponder.forwardedTLS(nil) == nil)
        #expect(CofferResponder.forwardedTLS("") == TLSConnectionState(peerCertificates: []))
    }

    @Test(arguments: [false, true])
    func headerCountsOnTheClusterListenerOnly(clusterListener: Bool) async throws {
        let (core, client) = try await Self.setUp()
        var responder = CofferResponder(core: core, logger: Logger(label: "test"))
        responder.isClusterListener = clusterListener
        let app = Application(responder: responder)
        let header = CofferResponder.forwardedClientCertificatesHeader
        let value = try #require(CofferResponder.forwardedClientCertificatesValue(TLSConnectionState(peerCertificates: [try Self.der(client)])))
        try await app.test(.router) { http in
            try await http.execute(uri: "/v1/auth/cert/login", method: .post, headers: [header: value], body: ByteBuffer(string: "{}")) { r in
                if clusterListener {
                    #expect(r.status == .ok)
                } else {
                    #expect(r.status.code == 400)
                    #expect(String(buffer: r.body) == #"{"errors":["tls connection not found"]}"#)
                }
            }
        }
    }
}
