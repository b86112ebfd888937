import Crypto
import Foundation
import SwiftASN1
import Testing
import X509

@testable import CofferClient

/// Certificates made on the spot, shaped like the ones a Vault user meets.
private enum Fixture {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let loopback: [GeneralName] = [
        .dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
        .ipAddress(ASN1OctetString(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
    ]

    /// Like the embedded default's certificate: self-signed, CA:FALSE, digitalSignature + keyEncipherment, serverAuth.
    static func selfSignedLeaf(
        commonName: String = "localhost", names: [GeneralName]? = loopback, notAfter: Date = now.addingTimeInterval(86400),
        usage: ExtendedKeyUsage = try! ExtendedKeyUsage([.serverAuth])
    ) throws -> Certificate {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName(commonName) }
        return try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: notAfter, issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                usage
                if let names { SubjectAlternativeNames(names) }
            },
            issuerPrivateKey: .init(key))
    }

    struct Authority {
        let key = P256.Signing.PrivateKey()
        let certificate: Certificate

        init(commonName: String) throws {
            let name = try DistinguishedName { CommonName(commonName) }
            certificate = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: now.addingTimeInterval(-3600),
                notValidAfter: now.addingTimeInterval(86400 * 30), issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                },
                issuerPrivateKey: .init(key))
        }

        func issue(commonName: String = "server", names: [GeneralName] = loopback) throws -> Certificate {
            let key = P256.Signing.PrivateKey()
            return try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: now.addingTimeInterval(-3600),
                notValidAfter: now.addingTimeInterval(86400), issuer: certificate.subject,
                subject: try DistinguishedName { CommonName(commonName) }, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    try ExtendedKeyUsage([.serverAuth])
                    SubjectAlternativeNames(names)
                },
                issuerPrivateKey: .init(self.key))
        }
    }
}

@Suite struct ServerCertificateVerifierTests {
    @Test(arguments: ["127.0.0.1", "localhost", "::1", "[::1]", "LOCALHOST"])
    func selfSignedLeafGivenAsCAFileIsTrusted(host: String) async throws {
        let leaf = try Fixture.selfSignedLeaf()
        let verifier = ServerCertificateVerifier(roots: .pool([leaf]))
        #expect(await verifier.verify(chain: [leaf], serverName: host, now: Fixture.now) == nil)
    }

    @Test func anotherSelfSignedCertificateWithTheSameNameIsNamedAsGoDoes() async throws {
        let leaf = try Fixture.selfSignedLeaf()
        let other = try Fixture.selfSignedLeaf()
        let verifier = ServerCertificateVerifier(roots: .pool([other]))
        let failure = await verifier.verify(chain: [leaf], serverName: "127.0.0.1", now: Fixture.now)
        #expect(
            failure
                == #"x509: certificate signed by unknown authority (possibly because of "x509: invalid signature: parent certificate cannot sign this kind of certificate" while trying to verify candidate authority certificate "localhost")"#
        )
    }

    @Test func unrelatedAuthorityIsUnknown() async throws {
        let leaf = try Fixture.selfSignedLeaf()
        let authority = try Fixture.Authority(commonName: "Example CA")
        let verifier = ServerCertificateVerifier(roots: .pool([authority.certificate]))
        #expect(await verifier.verify(chain: [leaf], serverName: "localhost", now: Fixture.now) == "x509: certificate signed by unknown authority")
    }

    @Test func chainToAnAuthorityInThePool() async throws {
        let authority = try Fixture.Authority(commonName: "Example CA")
        let leaf = try authority.issue()
        let verifier = ServerCertificateVerifier(roots: .pool([authority.certificate]))
        #expect(await verifier.verify(chain: [leaf], serverName: "127.0.0.1", now: Fixture.now) == nil)
        // A same-named authority with another key: the signature does not verify.
        let impostor = try Fixture.Authority(commonName: "Example CA")
        let refused = await ServerCertificateVerifier(roots: .pool([impostor.certificate]))
            .verify(chain: [leaf], serverName: "127.0.0.1", now: Fixture.now)
        #expect(
            refused
                == #"x509: certificate signed by unknown authority (possibly because of "x509: ECDSA verification failure" while trying to verify candidate authority certificate "Example CA")"#
        )
    }

    @Test func wrongHostIsNamed() async throws {
        let leaf = try Fixture.selfSignedLeaf()
        let verifier = ServerCertificateVerifier(roots: .pool([leaf]))
        #expect(await verifier.verify(chain: [leaf], serverName: "example.com", now: Fixture.now) == "x509: certificate is valid for localhost, not example.com")
        #expect(await verifier.verify(chain: [leaf], serverName: "10.0.0.1", now: Fixture.now) == "x509: certificate is valid for 127.0.0.1, ::1, not 10.0.0.1")
        let dnsOnly = try Fixture.selfSignedLeaf(names: [.dnsName("vault.example.com"), .dnsName("*.example.org")])
        let dnsVerifier = ServerCertificateVerifier(roots: .pool([dnsOnly]))
        #expect(
            await dnsVerifier.verify(chain: [dnsOnly], serverName: "127.0.0.1", now: Fixture.now)
                == "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs")
        #expect(await dnsVerifier.verify(chain: [dnsOnly], serverName: "a.example.org", now: Fixture.now) == nil)
        #expect(
            await dnsVerifier.verify(chain: [dnsOnly], serverName: "a.b.example.org", now: Fixture.now)
                == "x509: certificate is valid for vault.example.com, *.example.org, not a.b.example.org")
        let legacy = try Fixture.selfSignedLeaf(commonName: "localhost", names: nil)
        #expect(
            await ServerCertificateVerifier(roots: .pool([legacy])).verify(chain: [legacy], serverName: "localhost", now: Fixture.now)
                == "x509: certificate relies on legacy Common Name field, use SANs instead")
    }

    @Test func expiredCertificateIsReportedWithTimes() async throws {
        let leaf = try Fixture.selfSignedLeaf(notAfter: Fixture.now.addingTimeInterval(-60))
        let verifier = ServerCertificateVerifier(roots: .pool([leaf]))
        let failure = await verifier.verify(chain: [leaf], serverName: "localhost", now: Fixture.now)
        #expect(
            failure
                == "x509: certificate has expired or is not yet valid: current time 2027-01-15T08:00:00Z is after 2027-01-15T07:59:00Z")
    }

    @Test func clientOnlyKeyUsageIsRefused() async throws {
        let leaf = try Fixture.selfSignedLeaf(usage: try ExtendedKeyUsage([.clientAuth]))
        let verifier = ServerCertificateVerifier(roots: .pool([leaf]))
        #expect(await verifier.verify(chain: [leaf], serverName: "localhost", now: Fixture.now) == "x509: certificate specifies an incompatible key usage")
    }
}

@Suite struct TrustPoolTests {
    @Test func caFileErrorsAreWordedAsGo() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("coffer-trust-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: ClientSetupError("Error loading CA File: open /nonexistent/ca.pem: no such file or directory")) {
            try TrustPool.load(caCertFile: "/nonexistent/ca.pem", caPath: nil)
        }
        #expect(throws: ClientSetupError("Error loading CA File: read \(directory): is a directory")) {
            try TrustPool.load(caCertFile: directory, caPath: nil)
        }
        let garbage = directory + "/garbage.pem"
        _ = FileManager.default.createFile(atPath: garbage, contents: Data("garbage\n".utf8))
        #expect(throws: ClientSetupError("Error loading CA File: Couldn't parse PEM in: \(garbage)")) {
            try TrustPool.load(caCertFile: garbage, caPath: nil)
        }
        #expect(throws: ClientSetupError("lstat /nonexistent/dir: no such file or directory")) {
            try TrustPool.load(caCertFile: nil, caPath: "/nonexistent/dir")
        }
        // A directory: certificates are taken from every file, the rest skipped.
        let leaf = try Fixture.selfSignedLeaf()
        _ = FileManager.default.createFile(atPath: directory + "/server.crt", contents: Data(try leaf.serializeAsPEM().pemString.utf8))
        #expect(try TrustPool.load(caCertFile: nil, caPath: directory) == [leaf])
        #expect(try TrustPool.load(caCertFile: nil, caPath: nil) == nil)
    }

    @Test func pemBundleKeepsEveryCertificateAndSkipsKeys() throws {
        let a = try Fixture.selfSignedLeaf()
        let b = try Fixture.Authority(commonName: "Example CA").certificate
        let key = P256.Signing.PrivateKey().pemRepresentation
        let text = try a.serializeAsPEM().pemString + "\n" + key + "\n" + b.serializeAsPEM().pemString + "\n"
        #expect(TrustPool.parseCertificates(text) == [a, b])
    }
}

extension ClientSetupError: Equatable {
    public static func == (lhs: ClientSetupError, rhs: ClientSetupError) -> Bool { lhs.message == rhs.message }
}
