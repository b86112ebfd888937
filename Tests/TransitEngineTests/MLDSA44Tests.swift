import CofferSDK
import Foundation
import Testing

@testable import TransitEngine

/// `mldsa-44` keys (BoringSSL's ML-DSA-44 through the shim), stored, shown, exported, backed up and imported as
/// mldsa-65/87 are, checked against Python `cryptography` 48 and OpenBao 2.7.2 (see ``PQFixtures``).
@Suite struct MLDSA44Tests {
    let h = Harness()

    @Test func keyReadShapeAndSignVerify() async throws {
        let d = try await h.data(.update, "keys/m", ["type": "mldsa-44"])
        #expect(d["type"] == "mldsa-44")
        #expect(d["supports_signing"] == true)
        #expect(d["supports_encryption"] == false)
        #expect(d["supports_derivation"] == false)
        let v1 = try #require(d["keys"]?["1"])
        #expect(v1["name"] == "mldsa-44")
        #expect(v1["certificate_chain"] == "")
        #expect(Data(base64Encoded: v1["public_key"]?.stringValue ?? "")?.count == 1312)
        let sig = try await h.string(.update, "sign/m", ["input": b64("hello")], "signature")
        #expect(Data(base64Encoded: String(sig.dropFirst("vault:v1:".count)))?.count == 2420)
        #expect(try await h.data(.update, "verify/m", ["input": b64("hello"), "signature": .string(sig)])["valid"] == true)
        #expect(try await h.data(.update, "verify/m", ["input": b64("hellO"), "signature": .string(sig)])["valid"] == false)
        // As in OpenBao, hash_algorithm, prehashed and context do not change ML-DSA signing.
        let other = try await h.string(.update, "sign/m/sha2-512", ["input": b64("hello"), "prehashed": true, "context": b64("c")], "signature")
        #expect(try await h.data(.update, "verify/m", ["input": b64("hello"), "signature": .string(other)])["valid"] == true)
        // jws marshaling: base64url of the same bytes.
        let jws = try await h.string(.update, "sign/m", ["input": b64("hello"), "marshaling_algorithm": "jws"], "signature")
        #expect(try await h.data(.update, "verify/m", ["input": b64("hello"), "signature": .string(jws), "marshaling_algorithm": "jws"])["valid"] == true)
        #expect(await h.error(.update, "encrypt/m", ["plaintext": b64("x")]) != nil)
    }

    /// FIPS 204 key generation is deterministic from the seed: Python derives the same public key, and Coffer verifies
    /// Python's signature.
    @Test func pythonSeedAndSignature() async throws {
        try await h.restoreKey("m", type: "mldsa-44", key: PQFixtures.pythonMLDSASeed)
        let pub = try #require(try await h.data(.read, "keys/m")["keys"]?["1"]?["public_key"]?.stringValue)
        #expect(hexEncoded(HashAlgorithm.sha2_256.digest(Data(base64Encoded: pub) ?? Data())!) == PQFixtures.pythonMLDSAPublicKeySHA256)
        #expect(try await h.data(.update, "verify/m", ["input": b64("hello"), "signature": .string(PQFixtures.pythonMLDSASignature)])["valid"] == true)
        #expect(try await h.data(.update, "verify/m", ["input": b64("hellO"), "signature": .string(PQFixtures.pythonMLDSASignature)])["valid"] == false)
    }

    /// OpenBao's backup restores: same public key, OpenBao's signature verifies, the export is OpenBao's seed.
    @Test func openBaoBackup() async throws {
        #expect(try await h.send(.update, "restore", ["backup": .string(PQFixtures.openBaoMLDSABackup)]) == nil)
        let key = try await h.data(.read, "keys/k-mldsa-44")
        #expect(key["type"] == "mldsa-44")
        #expect(key["keys"]?["1"]?["public_key"]?.stringValue == PQFixtures.openBaoMLDSAPublicKey)
        #expect(try await h.data(.update, "verify/k-mldsa-44", ["input": b64("hello"), "signature": .string(PQFixtures.openBaoMLDSASignature)])["valid"] == true)
        let signing = try await h.data(.read, "export/signing-key/k-mldsa-44")
        #expect(signing["keys"]?["1"]?.stringValue == PQFixtures.openBaoMLDSASeed)
        let pub = try await h.data(.read, "export/public-key/k-mldsa-44")
        #expect(pub["keys"]?["1"]?.stringValue == PQFixtures.openBaoMLDSAPublicKey)
        #expect(await h.error(.read, "export/encryption-key/k-mldsa-44")?.messages == ["encryption not supported for the key"])
    }

    @Test func coffersOwnBackupRoundTrip() async throws {
        _ = try await h.send(.update, "keys/m", ["type": "mldsa-44", "exportable": true, "allow_plaintext_backup": true])
        let sig = try await h.string(.update, "sign/m", ["input": b64("hello")], "signature")
        let seed = try #require(try await h.data(.read, "export/signing-key/m")["keys"]?["1"]?.stringValue)
        #expect(Data(base64Encoded: seed)?.count == 32)
        let backup = try await h.string(.read, "backup/m", [:], "backup")
        #expect(try await h.send(.update, "restore/m2", ["backup": .string(backup)]) == nil)
        #expect(try await h.data(.update, "verify/m2", ["input": b64("hello"), "signature": .string(sig)])["valid"] == true)
        #expect(try await h.data(.read, "export/signing-key/m2")["keys"]?["1"]?.stringValue == seed)
    }

    /// BYOK: Python's PKCS#8 (seed form) imports; Python's PEM public key imports for verification only.
    @Test func importPKCS8AndPublicKey() async throws {
        try await h.storage.putJSON(WrappingKey.storageKey, ["key": .string(ImportFixtures.wrappingKey)])
        let pem = try #require(try await h.data(.read, "wrapping_key")["public_key"]?.stringValue)
        let der = try #require(Data(base64Encoded: PQFixtures.pythonMLDSAPKCS8))
        let body: [String: JSONValue] = ["type": "mldsa-44", "ciphertext": .string(try KeyImport.wrapForImport(Array(der), wrappingKeyPEM: pem))]
        #expect(try await h.send(.update, "keys/imp/import", body) == nil)
        #expect(try await h.data(.update, "verify/imp", ["input": b64("hello"), "signature": .string(PQFixtures.pythonMLDSASignature)])["valid"] == true)
        let pub = try #require(try await h.data(.read, "keys/imp")["keys"]?["1"]?["public_key"]?.stringValue)
        #expect(hexEncoded(HashAlgorithm.sha2_256.digest(Data(base64Encoded: pub) ?? Data())!) == PQFixtures.pythonMLDSAPublicKeySHA256)
        // The same PKCS#8 under the wrong ML-DSA type is refused with OpenBao's text.
        let as65: [String: JSONValue] = ["type": "mldsa-65", "ciphertext": .string(try KeyImport.wrapForImport(Array(der), wrappingKeyPEM: pem))]
        #expect(await h.error(.update, "keys/imp65/import", as65)?.messages.first?.contains("invalid key type: expected mldsa-65, got mldsa-44") == true)

        let pubAs65: [String: JSONValue] = ["type": "mldsa-65", "public_key": .string(PQFixtures.pythonMLDSAPublicKeyPEM)]
        #expect(await h.error(.update, "keys/pub65/import", pubAs65)?.messages.first?.contains("invalid key type: expected mldsa-65, got mldsa-44") == true)
        #expect(try await h.send(.update, "keys/pub/import", ["type": "mldsa-44", "public_key": .string(PQFixtures.pythonMLDSAPublicKeyPEM)]) == nil)
        #expect(try await h.data(.update, "verify/pub", ["input": b64("hello"), "signature": .string(PQFixtures.pythonMLDSASignature)])["valid"] == true)
        #expect(await h.error(.update, "sign/pub", ["input": b64("hello")]) != nil)
    }

    @Test func shimKeyBasics() throws {
        let key = try MLDSA44PrivateKey()
        let again = try MLDSA44PrivateKey(seedRepresentation: key.seedRepresentation)
        #expect(again.publicKey.rawRepresentation == key.publicKey.rawRepresentation)
        let sig = try key.signature(for: Array("m".utf8))
        #expect(again.publicKey.isValidSignature(sig, for: Array("m".utf8)))
        #expect(!again.publicKey.isValidSignature(sig.dropLast(), for: Array("m".utf8)))
        #expect(throws: (any Error).self) { try MLDSA44PrivateKey(seedRepresentation: [UInt8](repeating: 0, count: 31)) }
        #expect(throws: (any Error).self) { try MLDSA44PublicKey(rawRepresentation: [UInt8](repeating: 0, count: 1311)) }
    }
}
