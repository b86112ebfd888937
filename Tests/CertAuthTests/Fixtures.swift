import CofferSDK
import CofferTesting
import Crypto
import Foundation
import Logging
import SwiftASN1
import X509

@testable import CertAuth

/// Certificates made on the spot: a CA, clients it issues, and the time they are checked at.
enum Fixture {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    struct Authority {
        let key = P256.Signing.PrivateKey()
        let certificate: Certificate

        init(commonName: String = "Test CA", notAfter: Date = now.addingTimeInterval(86400 * 30)) throws {
            let name = try DistinguishedName { CommonName(commonName) }
            let skid = ArraySlice(SHA256.hash(data: key.publicKey.derRepresentation).prefix(20))
            certificate = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: now.addingTimeInterval(-3600),
                notValidAfter: notAfter, issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(keyIdentifier: skid)
                },
                issuerPrivateKey: .init(key))
        }

        /// A client certificate: CN and OU in the subject, a DNS, email and URI SAN, the client-auth usage.
        func issue(
            commonName: String = "client1", unit: String = "eng", serial: Int = 4660, notBefore: Date = now.addingTimeInterval(-3600),
            notAfter: Date = now.addingTimeInterval(86400), usage: ExtendedKeyUsage.Usage = .clientAuth,
            extraExtension: Certificate.Extension? = nil
        ) throws -> Client {
            let key = P256.Signing.PrivateKey()
            let caSKID = try certificate.extensions.subjectKeyIdentifier?.keyIdentifier
            let certificate = try Certificate(
                version: .v3, serialNumber: .init(serial), publicKey: .init(key.publicKey), notValidBefore: notBefore,
                notValidAfter: notAfter, issuer: self.certificate.subject,
                subject: try DistinguishedName {
                    CommonName(commonName)
                    OrganizationalUnitName(unit)
                },
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage([usage])
                    SubjectKeyIdentifier(keyIdentifier: ArraySlice(SHA256.hash(data: key.publicKey.derRepresentation).prefix(20)))
                    AuthorityKeyIdentifier(keyIdentifier: caSKID)
                    SubjectAlternativeNames([
                        .dnsName("\(commonName).example.com"), .rfc822Name("\(commonName)@example.com"),
                        .uniformResourceIdentifier("spiffe://example/\(commonName)"),
                    ])
                    if let extraExtension { extraExtension }
                },
                issuerPrivateKey: .init(self.key))
            return Client(certificate: certificate)
        }
    }

    struct Client {
        let certificate: Certificate
        var der: [UInt8] {
            var s = DER.Serializer()
            try? s.serialize(certificate)
            return s.serializedBytes
        }
    }

    static func pem(_ certificates: Certificate...) throws -> String {
        try certificates.map { try $0.serializeAsPEM().pemString }.joined(separator: "\n")
    }

    /// A CRL revoking serial 4660 (0x1234), made with Python's cryptography; its issuer is another CA, which the
    /// method does not look at (OpenBao matches revoked serials only).
    static let crlRevoking4660 = """
        -----BEGIN X509 CRL-----
        MIGwMFgCAQEwCgYIKoZIzj0EAwIwEjEQMA4GA1UEAwwHVGVzdCBDQRcNMjYxMjAx
        MDAwMDAwWhcNMjYxMjMxMDAwMDAwWjAVMBMCAhI0Fw0yNjEyMDEwMDAwMDBaMAoG
        CCqGSM49BAMCA0gAMEUCIQD2hbJ0xoRaJFperOVw7qzuBXysAa5igZAL0s6wmB2W
        4wIgYS1ve4p2eStDVKEfjdi0i3oGhFBCcAuMgF77Kxo0XCk=
        -----END X509 CRL-----
        """
}

/// Drives the cert method the way the core does, on an in-memory backend, at ``Fixture/now``.
struct Harness {
    let engine: CertAuth = {
        var e = CertAuth(logger: Logger(label: "test"))
        e.now = { Fixture.now }
        return e
    }()
    let storage = InMemoryPhysicalBackend()

    func request(
        _ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:], certificates: [[UInt8]]? = nil,
        auth: AuthInfo? = nil
    ) -> LogicalRequest {
        LogicalRequest(
            operation: op, path: path, data: data, storage: storage, mountPoint: "auth/cert/", mountType: "cert",
            remoteAddress: "127.0.0.1", tls: certificates.map { TLSConnectionState(peerCertificates: $0) }, auth: auth)
    }

    @discardableResult
    func send(
        _ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:], certificates: [[UInt8]]? = nil, auth: AuthInfo? = nil
    ) async throws -> LogicalResponse? {
        try await EngineDispatch.send(engine, request(op, path, data, certificates: certificates, auth: auth))
    }

    /// The error a request fails with, or nil.
    func error(
        _ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:], certificates: [[UInt8]]? = nil, auth: AuthInfo? = nil
    ) async -> LogicalError? {
        do {
            _ = try await send(op, path, data, certificates: certificates, auth: auth)
            return nil
        } catch let e as LogicalError {
            return e
        } catch {
            return LogicalError.internalError("\(error)")
        }
    }

    func addRole(_ name: String, _ certificate: String, _ extra: [String: JSONValue] = [:]) async throws {
        var data = extra
        data["certificate"] = .string(certificate)
        try await send(.update, "certs/\(name)", data)
    }

    func login(_ client: Fixture.Client, chain: [Certificate] = [], name: String? = nil) async throws -> AuthInfo? {
        let ders = [client.der] + chain.map { c in
            var s = DER.Serializer()
            try? s.serialize(c)
            return s.serializedBytes
        }
        return try await send(.update, "login", name.map { ["name": .string($0)] } ?? [:], certificates: ders)?.auth
    }

    func loginError(_ client: Fixture.Client, name: String? = nil) async -> LogicalError? {
        await error(.update, "login", name.map { ["name": .string($0)] } ?? [:], certificates: [client.der])
    }
}
