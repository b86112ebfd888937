import CofferSDK
import Crypto
import Foundation
import SwiftASN1
import Testing
import X509

@testable import CertAuth

@Suite struct LoginTests {
    @Test func clientOfTheRoleCALogsInWithPoliciesMetadataAndAlias() async throws {
        let h = Harness()
        let ca = try Fixture.Authority()
        try await h.addRole("web", try Fixture.pem(ca.certificate), ["token_policies": "a,b", "token_ttl": "1h"])
        let client = try ca.issue()
        let auth = try #require(try await h.login(client))
        #expect(auth.policies == ["a", "b"])
        #expect(auth.ttl == 3600)
        #expect(auth.renewable)
        #expect(auth.displayName == "web")
        #expect(auth.alias?.name == "client1")
        #expect(auth.alias?.metadata == [:])
        #expect(auth.metadata["cert_name"] == "web")
        #expect(auth.metadata["common_name"] == "client1")
        #expect(auth.metadata["serial_number"] == "4660")
        let skid = try #require(try client.certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
        #expect(auth.metadata["subject_key_id"] == skid.map { String(format: "%02x", $0) }.joined(separator: ":"))
        let akid = try #require(try ca.certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
        #expect(auth.metadata["authority_key_id"] == akid.map { String(format: "%02x", $0) }.joined(separator: ":"))
        #expect(auth.internalData["subject_key_id"] == Data(skid).base64EncodedString())
    }

    @Test func clientOfAnotherCAIsRefused() async throws {
        let h = Harness()
        try await h.addRole("web", try Fixture.pem(try Fixture.Authority().certificate))
        let stranger = try Fixture.Authority(commonName: "Test CA").issue()
        let e = await h.loginError(stranger)
        #expect(e?.code == .invalidRequest)
        #expect(e?.messages == ["invalid certificate or no client certificate supplied"])
    }

    @Test func expiredAndNotYetValidClientsAreRefusedAsGoVerifies() async throws {
        let h = Harness()
        let ca = try Fixture.Authority()
        try await h.addRole("web", try Fixture.pem(ca.certificate))
        let expired = try ca.issue(notBefore: Fixture.now.addingTimeInterval(-7200), notAfter: Fixture.now.addingTimeInterval(-60))
        let e = await h.loginError(expired)
        #expect(e?.code == .internal)
        #expect(e?.messages.first?.hasPrefix("failed to verify client's certificate: x509: certificate has expired or is not yet valid: current time 2027-01-15T08:00:00Z is after 2027-01-15T07:59:00Z") == true)
        let early = try ca.issue(notBefore: Fixture.now.addingTimeInterval(60))
        #expect(await h.loginError(early)?.messages.first?.contains("is before") == true)
    }

    @Test func revokedSerialInACRLIsRefused() async throws {
        let h = Harness()
        let ca = try Fixture.Authority()
        try await h.addRole("web", try Fixture.pem(ca.certificate))
        let client = try ca.issue(serial: 4660)
        #expect(try await h.login(client) != nil)
        try await h.send(.update, "crls/myca", ["crl": .string(Fixture.crlRevoking4660)])
        let read = try await h.send(.read, "crls/myca")?.data
        #expect(read == ["serials": ["4660": [:]]])
        let e = await h.loginError(client)
        #expect(e?.messages == ["no chain matching all constraints could be found for this login certificate"])
        // Another serial of the same CA still logs in; deleting the CRL lets the first back in.
        #expect(try await h.login(try ca.issue(serial: 4661)) != nil)
        try await h.send(.delete, "crls/myca")
        #expect(try await h.login(client) != nil)
        #expect(await h.error(.delete, "crls/myca")?.messages == ["no such CRL myca"])
    }

    @Test func allowedCommonNamesAreGlobs() async throws {
        let h = Harness()
        let ca = try Fixture.Authority()
        try await h.addRole("web", try Fixture.pem(ca.certificate), ["allowed_common_names": "nope,other"])
        let client = try ca.issue(commonName: "client1")
        #expect(await h.loginError(client)?.messages == ["no chain matching all constraints could be found for this login certificate"])
        try await h.send(.update, "certs/web", ["allowed_common_names": "client*"])
        #expect(try await h.login(client)?.metadata["cert_name"] == "web")
        #expect(await h.loginError(try ca.issue(commonName: "server1")) != nil)
    }

    @Test(arguments: [
        ("allowed_dns_sans", "*.example.com", true), ("allowed_dns_sans", "*.example.org", false),
        ("allowed_email_sans", "client1@*", true), ("allowed_email_sans", "x@*", false),
        ("allowed_uri_sans", "spiffe://example/*", true), ("allowed_uri_sans", "spiffe://other/*", false),
        ("allowed_organizational_units", "eng", true), ("allowed_organizational_units", "ops", false),
        ("allowed_names", "client1.example.com", true), ("allowed_names", "nobody", false),
    ])
    func sanAndUnitConstraints(field: String, pattern: String, allowed: Bool) async throws {
        let h = Harness()
        let ca = try Fixture.Authority()
        try await h.addRole("web", try Fixture.pem(ca.certificate), [field: .string(pattern)])
        let auth = try? await h.login(try ca.issue())
        #expect((auth != nil) == allowed)
    }

    @Test func requiredExtensionsAndMetadataExtensions() async throws {
        let h = Harness()
        let ca = try Fixture.Authority()
        var s = DER.Serializer()
        try s.serialize(ASN1UTF8String("team-a"))
        let ext = Certificate.Extension(oid: [1, 3, 6, 1, 4, 1, 99999, 1], critical: false, value: ArraySlice(s.serializedBytes))
        let client = try ca.issue(extraExtension: ext)
        try await h.addRole(
            "web", try Fixture.pem(ca.certificate),
            ["required_extensions": "1.3.6.1.4.1.99999.1:team-*", "allowed_metadata_extensions": "1.3.6.1.4.1.99999.1"])
        let auth = try #require(try await h.login(client))
        #expect(auth.metadata["1-3-6-1-4-1-99999-1"] == "team-a")
        try await h.send(.update, "certs/web", ["required_extensions": "1.3.6.1.4.1.99999.1:team-b"])
        #expect(await h.loginError(client) != nil)
        #expect(await h.loginError(try ca.issue()) != nil)
    }

    @Test func namedRoleLimitsTheRolesTried() async throws {
        let h = Harness()
        let ca = try Fixture.Authority()
        let other = try Fixture.Authority()
        try await h.addRole("a", try Fixture.pem(other.certificate))
        try await h.addRole("b", try Fixture.pem(ca.certificate))
        let client = try ca.issue()
        #expect(try await h.login(client)?.metadata["cert_name"] == "b")
        #expect(try await h.login(client, name: "b")?.metadata["cert_name"] == "b")
        #expect(await h.loginError(client, name: "a")?.messages == ["invalid certificate or no client certificate supplied"])
        #expect(await h.loginError(client, name: "missing")?.messages == ["invalid certificate or no client certificate supplied"])
    }

    @Test func chainThroughAnIntermediateTheClientSends() async throws {
        let h = Harness()
        let root = try Fixture.Authority(commonName: "Root")
        let intermediateKey = P256.Signing.PrivateKey()
        let intermediateName = try DistinguishedName { CommonName("Intermediate") }
        let intermediate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(intermediateKey.publicKey),
            notValidBefore: Fixture.now.addingTimeInterval(-3600), notValidAfter: Fixture.now.addingTimeInterval(86400),
            issuer: root.certificate.subject, subject: intermediateName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true))
            },
            issuerPrivateKey: .init(root.key))
        let leafKey = P256.Signing.PrivateKey()
        let leaf = try Certificate(
            version: .v3, serialNumber: .init(7), publicKey: .init(leafKey.publicKey), notValidBefore: Fixture.now.addingTimeInterval(-3600),
            notValidAfter: Fixture.now.addingTimeInterval(3600), issuer: intermediateName,
            subject: try DistinguishedName { CommonName("deep") }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions { try ExtendedKeyUsage([.clientAuth]) }, issuerPrivateKey: .init(intermediateKey))
        try await h.addRole("root", try Fixture.pem(root.certificate))
        let client = Fixture.Client(certificate: leaf)
        #expect(try await h.login(client, chain: [intermediate])?.alias?.name == "deep")
        // Without the intermediate there is no chain.
        #expect(await h.loginError(client) != nil)
    }

    @Test func nonCARoleMatchesOnlyThatCertificate() async throws {
        let h = Harness()
        let ca = try Fixture.Authority()
        let client = try ca.issue()
        try await h.addRole("exact", try Fixture.pem(client.certificate))
        #expect(try await h.login(client)?.metadata["cert_name"] == "exact")
        #expect(await h.loginError(try ca.issue(serial: 5)) != nil)
    }

    @Test func usageOtherThanClientAuthIsRefused() async throws {
        let h = Harness()
        let ca = try Fixture.Authority()
        try await h.addRole("web", try Fixture.pem(ca.certificate))
        let server = try ca.issue(usage: .serverAuth)
        let e = await h.loginError(server)
        #expect(e?.messages == ["failed to verify client's certificate: x509: certificate specifies an incompatible key usage"])
        // Registering it as a non-CA role is refused too.
        #expect(
            await h.error(.update, "certs/exact", ["certificate": .string(try Fixture.pem(server.certificate))])?.messages
                == ["nonCA certificates should have TLS client authentication set as an extended key usage"])
    }

    @Test func ocspEnabledFailsClosedUnlessFailOpen() async throws {
        let h = Harness()
        let ca = try Fixture.Authority()
        try await h.addRole("web", try Fixture.pem(ca.certificate), ["ocsp_enabled": true])
        let e = await h.loginError(try ca.issue())
        #expect(
            e?.messages == [
                "no chain matching all constraints could be found for this login certificate; additionally got errors during verification: "
                    + "1 error occurred:\n\t* OCSP checking is not supported by this server\n\n"
            ])
        try await h.send(.update, "certs/web", ["ocsp_fail_open": true])
        #expect(try await h.login(try ca.issue()) != nil)
    }

    @Test func withoutTLSOrCertificate() async throws {
        let h = Harness()
        #expect(await h.error(.update, "login", [:], certificates: nil)?.messages == ["tls connection not found"])
        #expect(await h.error(.update, "login", [:], certificates: [])?.messages == ["no client certificate found"])
        #expect(await h.error(.update, "login", [:], certificates: [[1, 2, 3]])?.messages == ["invalid certificate or no client certificate supplied"])
    }

    @Test func boundCIDRsRefuseOtherAddresses() async throws {
        let h = Harness()
        let ca = try Fixture.Authority()
        try await h.addRole("web", try Fixture.pem(ca.certificate), ["token_bound_cidrs": "10.0.0.0/8"])
        #expect(await h.loginError(try ca.issue())?.code == .permissionDenied)
    }

    @Test func renewalRechecksTheCertificateAndTheRole() async throws {
        let h = Harness()
        let ca = try Fixture.Authority()
        try await h.addRole("web", try Fixture.pem(ca.certificate), ["token_policies": "a", "token_ttl": "1h"])
        let client = try ca.issue()
        var auth = try #require(try await h.login(client))
        auth.policies = ["a", "default"]
        let renewed = try await h.send(.renew, "login", certificates: [client.der], auth: auth)?.auth
        #expect(renewed?.ttl == 3600)
        // No certificate: an error response (400), passed to the client as it is.
        let none = await h.error(.renew, "login", certificates: [], auth: auth)
        #expect(none?.messages == ["no client certificate found"])
        #expect(none?.isRenewalErrorResponse == true)
        // Another CA's client: not trusted.
        let stranger = try Fixture.Authority().issue()
        #expect(await h.error(.renew, "login", certificates: [stranger.der], auth: auth)?.messages == ["invalid certificate or no client certificate supplied"])
        // Policies changed: refused.
        try await h.send(.update, "certs/web", ["token_policies": "b"])
        #expect(await h.error(.renew, "login", certificates: [client.der], auth: auth)?.messages == ["policies have changed, not renewing"])
        // The policies are compared before the certificate.
        #expect(await h.error(.renew, "login", certificates: [], auth: auth)?.messages == ["policies have changed, not renewing"])
        try await h.send(.update, "certs/web", ["token_policies": "a"])
        try await h.send(.update, "config", ["disable_binding": true])
        #expect(try await h.send(.renew, "login", certificates: [], auth: auth)?.auth?.ttl == 3600)
        // Role deleted: not renewed, whatever the client presents.
        try await h.send(.delete, "certs/web")
        #expect(try await h.send(.renew, "login", certificates: [client.der], auth: auth) == nil)
        #expect(try await h.send(.renew, "login", certificates: nil, auth: auth) == nil)
    }
}
