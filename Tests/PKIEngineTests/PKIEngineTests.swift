import CofferSDK
import CofferTesting
import Foundation
import Logging
import SwiftASN1
import Testing
import X509

@testable import PKIEngine

/// The PKI engine through its paths, on in-memory storage: CAs, issuance and its checks, revocation, CRLs, OCSP.
@Suite struct PKIEngineTests {
    let engine = makePKIEngine(EngineConfiguration(mountPath: "pki/", type: "pki", logger: Logger(label: "test")))
    let storage = InMemoryPhysicalBackend()

    @discardableResult
    func send(_ op: CofferSDK.Operation, _ path: String, _ data: [String: JSONValue] = [:]) async throws -> LogicalResponse? {
        try await EngineDispatch.send(engine, LogicalRequest(operation: op, path: path, data: data, storage: storage, mountPoint: "pki/"))
    }

    func data(_ op: CofferSDK.Operation, _ path: String, _ d: [String: JSONValue] = [:]) async throws -> [String: JSONValue] {
        try #require(try await send(op, path, d)?.data)
    }

    func error(_ op: CofferSDK.Operation, _ path: String, _ d: [String: JSONValue] = [:]) async -> LogicalError? {
        do {
            _ = try await send(op, path, d)
            return nil
        } catch let e as LogicalError {
            return e
        } catch {
            return nil
        }
    }

    func root(_ keyType: String = "rsa") async throws -> Certificate {
        let d = try await data(.update, "root/generate/internal", ["common_name": "Test Root", "key_type": .string(keyType), "ttl": "240h"])
        return try Certificate(pemEncoded: try #require(d["certificate"]?.stringValue))
    }

    @Test(arguments: ["rsa", "ec", "ed25519"])
    func rootsAndLeavesOfEveryKeyTypeVerify(keyType: String) async throws {
        let ca = try await root(keyType)
        #expect(ca.issuer == ca.subject)
        #expect(ca.publicKey.isValidSignature(ca.signature, for: ca))
        guard case .isCertificateAuthority = try ca.extensions.basicConstraints else { Issue.record("not a CA"); return }
        try await send(.update, "roles/web", ["allowed_domains": "example.test", "allow_subdomains": true, "key_type": .string(keyType)])
        let leaf = try await data(.update, "issue/web", ["common_name": "a.example.test", "ttl": "1h"])
        let cert = try Certificate(pemEncoded: try #require(leaf["certificate"]?.stringValue))
        #expect(ca.publicKey.isValidSignature(cert.signature, for: cert))
        #expect(leaf["private_key_type"]?.stringValue == keyType)
        let key = try PKIKey.parse(pem: try #require(leaf["private_key"]?.stringValue))
        #expect(key.publicKey == cert.publicKey)
        #expect(cert.serialNumber.bytes.count == 20 && (cert.serialNumber.bytes.first ?? 0x80) < 0x80, "a positive 20-byte serial")
        #expect(abs(cert.notValidAfter.timeIntervalSinceNow - 3600) < 5)
        let sans = try #require(try cert.extensions.subjectAlternativeNames)
        #expect(Array(sans) == [.dnsName("a.example.test")])
    }

    @Test func rolesRefuseNamesOutsideTheirDomainsWithOpenBaosMessages() async throws {
        _ = try await root()
        try await send(.update, "roles/r", ["allowed_domains": "example.test", "allow_subdomains": true, "allow_bare_domains": false, "ttl": "1h"])
        #expect(await error(.update, "issue/r", ["common_name": "x.other.test"])?.messages == ["common name x.other.test not allowed by this role"])
        #expect(await error(.update, "issue/r", ["common_name": "example.test"])?.messages == ["common name example.test not allowed by this role"])
        #expect(await error(.update, "issue/r", ["common_name": "a.example.test", "alt_names": "b.other.test"])?.messages
            == ["subject alternate name b.other.test not allowed by this role"])
        #expect(await error(.update, "issue/r", ["common_name": "bad_host!.example.test"]) != nil)
        // Globs, wildcards and IP SANs.
        try await send(.update, "roles/g", ["allowed_domains": "*.svc.test", "allow_glob_domains": true, "allow_ip_sans": false, "ttl": "1h"])
        _ = try await data(.update, "issue/g", ["common_name": "api.svc.test"])
        #expect(await error(.update, "issue/g", ["common_name": "api.svc.test", "ip_sans": "10.0.0.1"])?.messages.first?.contains("IP Subject Alternative Names") == true)
        #expect(RoleNamePolicy.glob("*.svc.test", matches: "a.b.svc.test"))
        #expect(!RoleNamePolicy.glob("*.svc.test", matches: "svc.test"))
        // The TTL is capped at the role's max with OpenBao's warning.
        try await send(.update, "roles/short", ["allow_any_name": true, "max_ttl": "1h"])
        let capped = try #require(try await send(.update, "issue/short", ["common_name": "x.test", "ttl": "5h"]))
        #expect(capped.warnings == ["TTL \"5h0m0s\" is longer than permitted maxTTL \"1h0m0s\", so maxTTL is being used"])
    }

    @Test func anIntermediateChainsToItsRootAndALeafPastItsIssuerIsRefused() async throws {
        let rootCert = try await root()
        let other = PKIEngineTests()
        let csr = try #require(try await other.data(.update, "intermediate/generate/internal", ["common_name": "Inter"])["csr"]?.stringValue)
        // Past the root's expiry: refused when the issuer's behaviour is enforced, else signed with OpenBao's warning.
        #expect(await error(.update, "root/sign-intermediate", ["csr": .string(csr), "ttl": "100000h", "enforce_leaf_not_after_behavior": true]) != nil)
        let long = try #require(try await send(.update, "root/sign-intermediate", ["csr": .string(csr), "ttl": "100000h"]))
        #expect(long.warnings.first?.hasPrefix("The expiration time for the signed certificate is after the CA's expiration time.") == true)
        let signed = try await data(.update, "root/sign-intermediate", ["csr": .string(csr), "ttl": "200h"])
        let inter = try Certificate(pemEncoded: try #require(signed["certificate"]?.stringValue))
        #expect(inter.notValidAfter <= rootCert.notValidAfter)
        #expect(rootCert.publicKey.isValidSignature(inter.signature, for: inter))
        _ = try await other.data(.update, "intermediate/set-signed", ["certificate": .string((signed["certificate"]?.stringValue ?? "") + "\n" + ((try? rootCert.serializeAsPEM().pemString) ?? ""))])
        try await other.send(.update, "roles/any", ["allow_any_name": true, "ttl": "1h", "max_ttl": "1000000h"])
        let leaf = try await other.data(.update, "issue/any", ["common_name": "leaf.test"])
        #expect(leaf["ca_chain"]?.arrayValue?.count == 2)
        let e = await other.error(.update, "issue/any", ["common_name": "leaf.test", "ttl": "100000h"])
        #expect(e?.messages.first?.contains("beyond the expiration of the CA certificate") == true)
        // A CSR that does not verify.
        #expect(await error(.update, "root/sign-intermediate", ["csr": "-----BEGIN CERTIFICATE REQUEST-----\nMAA=\n-----END CERTIFICATE REQUEST-----"]) != nil)
    }

    @Test func revocationReachesTheCRLAndOCSP() async throws {
        let ca = try await root("ec")
        try await send(.update, "roles/r", ["allow_any_name": true, "ttl": "1h"])
        let keep = try await data(.update, "issue/r", ["common_name": "keep.test"])
        let gone = try await data(.update, "issue/r", ["common_name": "gone.test"])
        let goneSerial = try #require(gone["serial_number"]?.stringValue)
        let revoked = try await data(.update, "revoke", ["serial_number": .string(goneSerial)])
        #expect(revoked["state"] == "revoked")
        let crlPEM = try #require(try await send(.read, "crl/pem")?.data?["http_raw_body"]?.stringValue)
        let der = try PEMDocument(pemString: crlPEM).derBytes
        let listed = try #require(CRLBuilder.serials(in: der)).map { PKIFormat.hexColon($0) }
        #expect(listed == [goneSerial])
        #expect(!listed.contains(try #require(keep["serial_number"]?.stringValue)))

        // OCSP for both, by SHA-1 CertIDs built here.
        let goneCert = try Certificate(pemEncoded: try #require(gone["certificate"]?.stringValue))
        let keepCert = try Certificate(pemEncoded: try #require(keep["certificate"]?.stringValue))
        let request = try Self.ocspRequest(issuer: ca, serials: [goneCert.serialNumber, keepCert.serialNumber])
        let resp = try #require(try await send(.update, "ocsp", ["http_request_body_base64": .string(Data(request).base64EncodedString())])?.data)
        let body = try #require(Data(base64Encoded: resp["http_raw_body_base64"]?.stringValue ?? ""))
        #expect(body.first == 0x30 && body.count > 100)
        // Garbage is a malformed-request response, not an error.
        let bad = try #require(try await send(.update, "ocsp", ["http_request_body_base64": "AAAA"])?.data)
        #expect(Data(base64Encoded: bad["http_raw_body_base64"]?.stringValue ?? "") == Data([0x30, 0x03, 0x0A, 0x01, 0x01]))
    }

    @Test func deltaCRLsCarryRevocationsUntilTheCompleteCRLIsRebuilt() async throws {
        _ = try await root()
        try await send(.update, "roles/r", ["allow_any_name": true, "ttl": "1h"])
        #expect(await error(.update, "config/crl", ["enable_delta": true])?.messages.first?.hasPrefix("Delta CRLs cannot be enabled") == true)
        try await send(.update, "config/crl", ["enable_delta": true, "auto_rebuild": true])
        let gone = try #require(try await data(.update, "issue/r", ["common_name": "gone.test"])["serial_number"]?.stringValue)
        try await send(.update, "revoke", ["serial_number": .string(gone)])
        func listed(_ path: String) async throws -> [String] {
            let pem = try #require(try await send(.read, path)?.data?["http_raw_body"]?.stringValue)
            return try #require(CRLBuilder.serials(in: try PEMDocument(pemString: pem).derBytes)).map { PKIFormat.hexColon($0) }
        }
        // auto_rebuild: the complete CRL waits for its schedule; the delta CRL has the revocation at once.
        #expect(try await listed("crl/delta/pem") == [gone])
        #expect(try await listed("crl/pem") == [])
        try await send(.read, "crl/rotate")
        #expect(try await listed("crl/pem") == [gone])
        #expect(try await listed("crl/delta/pem") == [])
    }

    @Test func issuersAndKeysByReference() async throws {
        _ = try await root()
        let list = try await data(.list, "issuers/")
        let id = try #require(list["keys"]?.arrayValue?.first?.stringValue)
        let updated = try await data(.update, "issuer/\(id)", ["issuer_name": "main"])
        #expect(updated["issuer_name"] == "main")
        #expect(try await data(.read, "issuer/main")["issuer_id"]?.stringValue == id)
        #expect(await error(.read, "issuer/nope")?.messages == ["unable to find PKI issuer for reference: nope"])
        #expect(await error(.update, "issuer/\(id)", ["issuer_name": "has space"]) != nil)
        let keys = try await data(.list, "keys/")
        let keyID = try #require(keys["keys"]?.arrayValue?.first?.stringValue)
        #expect(await error(.delete, "key/\(keyID)")?.messages.first?.contains("in use by issuer") == true)
        try await send(.delete, "root")
        #expect(try await data(.list, "issuers/")["keys"] == [])
    }

    /// An unsigned OCSPRequest with SHA-1 CertIDs for `serials` under `issuer`.
    static func ocspRequest(issuer: Certificate, serials: [Certificate.SerialNumber]) throws -> [UInt8] {
        let hashes = try #require(try OCSPResponder.issuerHashes(issuer, algorithm: OCSPResponder.sha1OID))
        var s = DER.Serializer()
        try s.appendConstructedNode(identifier: .sequence) { req in
            try req.appendConstructedNode(identifier: .sequence) { tbs in
                try tbs.appendConstructedNode(identifier: .sequence) { list in
                    for serial in serials {
                        try list.appendConstructedNode(identifier: .sequence) { one in
                            try one.appendConstructedNode(identifier: .sequence) { certID in
                                try certID.appendConstructedNode(identifier: .sequence) { alg in
                                    try alg.serialize(OCSPResponder.sha1OID)
                                    try alg.serialize(ASN1Null())
                                }
                                try certID.serialize(ASN1OctetString(contentBytes: hashes.name[...]))
                                try certID.serialize(ASN1OctetString(contentBytes: hashes.key[...]))
                                certID.appendPrimitiveNode(identifier: .integer) { $0.append(contentsOf: serial.bytes) }
                            }
                        }
                    }
                }
            }
        }
        let parsed = try OCSPResponder.parse(s.serializedBytes)
        #expect(parsed.certIDs.count == serials.count)
        return s.serializedBytes
    }
}
