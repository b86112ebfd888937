import CofferSDK
import Foundation
import Testing
import X509

@testable import CertAuth

@Suite struct RoleTests {
    @Test func readShowsOpenBaoShapeWithNullForUnsetLists() async throws {
        let h = Harness()
        let ca = try Fixture.Authority()
        let pem = try Fixture.pem(ca.certificate)
        try await h.addRole("Web", pem, ["token_policies": "a,b", "token_ttl": "1h", "allowed_dns_sans": ""])
        let d = try #require(try await h.send(.read, "certs/web")?.data)
        #expect(d["certificate"] == .string(pem))
        #expect(d["display_name"] == "web")
        #expect(d["allowed_common_names"] == .null)
        #expect(d["allowed_dns_sans"] == [])
        #expect(d["token_policies"] == ["a", "b"])
        #expect(d["token_ttl"] == 3600)
        #expect(d["ocsp_enabled"] == false)
        #expect(d["ocsp_ca_certificates"] == "")
        #expect(d["token_type"] == "default")
        #expect(d["policies"] == nil)
        #expect(try await h.send(.list, "certs/")?.data == ["keys": ["web"]])
    }

    @Test func legacyNamesSetTheTokenValuesAndAreEchoed() async throws {
        let h = Harness()
        let pem = try Fixture.pem(try Fixture.Authority().certificate)
        try await h.addRole("web", pem, ["policies": "p1", "ttl": 60, "token_ttl": 0, "lease": 30])
        let d = try #require(try await h.send(.read, "certs/web")?.data)
        #expect(d["policies"] == ["p1"])
        #expect(d["token_policies"] == ["p1"])
        #expect(d["token_ttl"] == 0)
        #expect(d["ttl"] == nil)
        try await h.send(.update, "certs/web", ["lease": 30])
        #expect(try await h.send(.read, "certs/web")?.data?["ttl"] == 30)
    }

    @Test func writeErrors() async throws {
        let h = Harness()
        let pem = try Fixture.pem(try Fixture.Authority().certificate)
        #expect(await h.error(.update, "certs/x", ["certificate": "junk"])?.messages == ["failed to parse certificate"])
        #expect(await h.error(.update, "certs/x", [:])?.messages == ["failed to parse certificate"])
        #expect(
            await h.error(.update, "certs/x", ["certificate": .string(pem), "token_ttl": "2h", "token_max_ttl": "1h"])?.messages
                == ["'token_ttl' cannot be greater than 'token_max_ttl'"])
        #expect(
            await h.error(.update, "certs/x", ["certificate": .string(pem), "ttl": "2h", "max_ttl": "1h"])?.messages
                == ["ttl should be shorter than max_ttl"])
        #expect(await h.error(.read, "certs/x")?.code == .notFound)
        #expect(await h.error(.list, "certs/")?.code == .notFound)
        // Deleting a missing role is not an error.
        #expect(await h.error(.delete, "certs/x") == nil)
    }

    @Test func listPagesWithAfterAndLimit() async throws {
        let h = Harness()
        let pem = try Fixture.pem(try Fixture.Authority().certificate)
        for n in ["a", "b", "c", "d"] { try await h.addRole(n, pem) }
        #expect(try await h.send(.list, "certs/", ["after": "a", "limit": 2])?.data == ["keys": ["b", "c"]])
    }

    @Test func configDefaultsAndValidation() async throws {
        let h = Harness()
        #expect(
            try await h.send(.read, "config")?.data
                == ["disable_binding": false, "enable_identity_alias_metadata": false, "ocsp_cache_size": 0])
        try await h.send(.update, "config", ["disable_binding": true, "ocsp_cache_size": 50])
        #expect(try await h.send(.read, "config")?.data?["ocsp_cache_size"] == 50)
        #expect(await h.error(.update, "config", ["ocsp_cache_size": 1])?.messages == ["invalid cache size, must be >= 2 and <= 100000"])
    }

    @Test func crlErrors() async throws {
        let h = Harness()
        #expect(await h.error(.update, "crls/x", [:])?.messages == ["one of 'crl' or 'url' must be provided"])
        #expect(await h.error(.update, "crls/x", ["crl": "junk"])?.messages.first?.hasPrefix("failed to parse CRL: ") == true)
        #expect(await h.error(.read, "crls/none")?.messages == ["no such CRL none"])
        #expect(await h.error(.list, "crls/")?.code == .notFound)
    }

    @Test func serialNumbersInDecimal() {
        #expect(ClientCertificate.decimal(twosComplement: [0x12, 0x34]) == "4660")
        #expect(ClientCertificate.decimal(twosComplement: [0x00, 0xFF]) == "255")
        #expect(ClientCertificate.decimal(twosComplement: [0xFF]) == "-1")
        #expect(ClientCertificate.decimal(twosComplement: [0x00]) == "0")
        #expect(
            ClientCertificate.decimal(twosComplement: [0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
                == "4722366482869645213695")
    }

    @Test(arguments: [
        ("*", "anything", true), ("", "", true), ("", "x", false), ("a*", "abc", true), ("*c", "abc", true), ("a*c", "abc", true),
        ("a*c", "abd", false), ("*b*", "abc", true), ("a*b*c", "axxbyyc", true), ("a*b*c", "acb", false), ("abc", "abc", true),
        ("ab*ab", "ab", false),
    ])
    func goGlob(pattern: String, subject: String, matches: Bool) {
        #expect(GoGlob.matches(pattern, subject) == matches)
    }
}
