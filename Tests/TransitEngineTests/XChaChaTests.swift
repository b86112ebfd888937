import CofferSDK
import Foundation
import Testing

@testable import TransitEngine

/// `xchacha20-poly1305` keys (BoringSSL's XChaCha20-Poly1305 through the shim): every path chacha20-poly1305 takes, the
/// `vault:vN:` + base64(24-byte nonce || ciphertext || tag) format, and OpenBao 2.7.2's keys and ciphertexts.
@Suite struct XChaChaTests {
    let h = Harness()

    @Test func keyReadShape() async throws {
        let d = try await h.data(.update, "keys/x", ["type": "xchacha20-poly1305"])
        #expect(d["type"] == "xchacha20-poly1305")
        #expect(d["supports_encryption"] == true)
        #expect(d["supports_decryption"] == true)
        #expect(d["supports_derivation"] == true)
        #expect(d["supports_signing"] == false)
        // Symmetric keys list creation times, not public keys.
        #expect(d["keys"]?["1"]?.intValue != nil)
    }

    @Test func roundTripFormatAndErrors() async throws {
        _ = try await h.send(.update, "keys/x", ["type": "xchacha20-poly1305"])
        let ct = try await h.string(.update, "encrypt/x", ["plaintext": b64("hello xchacha")], "ciphertext")
        let body = try #require(Data(base64Encoded: String(ct.dropFirst("vault:v1:".count))))
        #expect(body.count == 24 + 13 + 16)
        #expect(unb64(try await h.data(.update, "decrypt/x", ["ciphertext": .string(ct)])["plaintext"]) == "hello xchacha")
        // Random nonces: two encryptions differ.
        #expect(try await h.string(.update, "encrypt/x", ["plaintext": b64("hello xchacha")], "ciphertext") != ct)
        var tampered = Array(body)
        tampered[30] ^= 1
        let bad = "vault:v1:" + Data(tampered).base64EncodedString()
        #expect(await h.error(.update, "decrypt/x", ["ciphertext": .string(bad)])?.messages == ["chacha20poly1305: message authentication failed"])
        let short = "vault:v1:" + Data(count: 20).base64EncodedString()
        #expect(await h.error(.update, "decrypt/x", ["ciphertext": .string(short)])?.messages == ["invalid ciphertext length"])
        let noTag = "vault:v1:" + Data(count: 30).base64EncodedString()
        #expect(await h.error(.update, "decrypt/x", ["ciphertext": .string(noTag)])?.messages == ["chacha20poly1305: message authentication failed"])
    }

    @Test func associatedDataRewrapDatakeyAndUpsert() async throws {
        let ct = try await h.string(.update, "encrypt/u", ["plaintext": b64("p"), "type": "xchacha20-poly1305", "associated_data": b64("ad")], "ciphertext")
        #expect(try await h.data(.read, "keys/u")["type"] == "xchacha20-poly1305")
        #expect(unb64(try await h.data(.update, "decrypt/u", ["ciphertext": .string(ct), "associated_data": b64("ad")])["plaintext"]) == "p")
        #expect(await h.error(.update, "decrypt/u", ["ciphertext": .string(ct), "associated_data": b64("other")]) != nil)
        let withoutAD = try await h.string(.update, "encrypt/u", ["plaintext": b64("p")], "ciphertext")
        _ = try await h.send(.update, "keys/u/rotate")
        // OpenBao 2.7.2's rewrap takes no associated_data (ignored, with a warning): a ciphertext bound to some
        // cannot be rewrapped.
        #expect(
            await h.error(.update, "rewrap/u", ["ciphertext": .string(ct), "associated_data": b64("ad")])?.messages == [
                "chacha20poly1305: message authentication failed"
            ])
        let re = try await h.string(.update, "rewrap/u", ["ciphertext": .string(withoutAD)], "ciphertext")
        #expect(re.hasPrefix("vault:v2:"))
        #expect(unb64(try await h.data(.update, "decrypt/u", ["ciphertext": .string(re)])["plaintext"]) == "p")
        let dk = try await h.data(.update, "datakey/plaintext/u", ["bits": 512])
        let plain = try #require(dk["plaintext"]?.stringValue)
        let dkCiphertext = try #require(dk["ciphertext"])
        #expect(try await h.data(.update, "decrypt/u", ["ciphertext": dkCiphertext])["plaintext"]?.stringValue == plain)
    }

    @Test func derivedAndConvergent() async throws {
        _ = try await h.send(.update, "keys/d", ["type": "xchacha20-poly1305", "derived": true, "convergent_encryption": true])
        let a = try await h.string(.update, "encrypt/d", ["plaintext": b64("same"), "context": b64("c1")], "ciphertext")
        let b = try await h.string(.update, "encrypt/d", ["plaintext": b64("same"), "context": b64("c1")], "ciphertext")
        let c = try await h.string(.update, "encrypt/d", ["plaintext": b64("same"), "context": b64("c2")], "ciphertext")
        #expect(a == b)
        #expect(a != c)
        #expect(unb64(try await h.data(.update, "decrypt/d", ["ciphertext": .string(a), "context": b64("c1")])["plaintext"]) == "same")
        #expect(await h.error(.update, "decrypt/d", ["ciphertext": .string(a), "context": b64("c2")])?.messages == ["chacha20poly1305: message authentication failed"])
    }

    @Test func exportBackupRestore() async throws {
        _ = try await h.send(.update, "keys/e", ["type": "xchacha20-poly1305", "exportable": true, "allow_plaintext_backup": true])
        let ct = try await h.string(.update, "encrypt/e", ["plaintext": b64("kept")], "ciphertext")
        let exported = try await h.data(.read, "export/encryption-key/e")
        #expect(exported["type"] == "xchacha20-poly1305")
        let raw = try #require(exported["keys"]?["1"]?.stringValue)
        #expect(Data(base64Encoded: raw)?.count == 32)
        #expect(await h.error(.read, "export/signing-key/e")?.messages == ["signing not supported for the key"])
        // OpenBao answers 500 with its multierror text for a symmetric key's public key.
        #expect(await h.error(.read, "export/public-key/e")?.messages == ["1 error occurred:\n\t* unknown key type xchacha20-poly1305 for export type public-key\n\n"])
        let backup = try await h.string(.read, "backup/e", [:], "backup")
        #expect(try await h.send(.update, "restore/e2", ["backup": .string(backup)]) == nil)
        #expect(unb64(try await h.data(.update, "decrypt/e2", ["ciphertext": .string(ct)])["plaintext"]) == "kept")
    }

    /// OpenBao's backup restores; OpenBao's ciphertexts (with and without associated data) decrypt.
    @Test func openBaoBackup() async throws {
        #expect(try await h.send(.update, "restore", ["backup": .string(PQFixtures.openBaoXChaChaBackup)]) == nil)
        let key = try await h.data(.read, "keys/fx")
        #expect(key["type"] == "xchacha20-poly1305")
        #expect(key["latest_version"] == 2)
        #expect(unb64(try await h.data(.update, "decrypt/fx", ["ciphertext": .string(PQFixtures.openBaoXChaChaV1)])["plaintext"]) == "hello from openbao")
        #expect(
            unb64(try await h.data(.update, "decrypt/fx", ["ciphertext": .string(PQFixtures.openBaoXChaChaV2AAD), "associated_data": b64("aad")])["plaintext"])
                == "hello from openbao")
        let exported = try await h.data(.read, "export/encryption-key/fx")
        #expect(exported["keys"]?["1"]?.stringValue == PQFixtures.openBaoXChaChaExport["1"])
        #expect(exported["keys"]?["2"]?.stringValue == PQFixtures.openBaoXChaChaExport["2"])
    }

    /// OpenBao's derived convergent key decrypts here (exact ciphertext reproduction is in ``ConvergentTests``).
    @Test func openBaoConvergentCiphertextDecrypts() async throws {
        #expect(try await h.send(.update, "restore", ["backup": .string(PQFixtures.openBaoConvergentBackup)]) == nil)
        #expect(
            unb64(try await h.data(.update, "decrypt/xd", ["ciphertext": .string(PQFixtures.openBaoConvergentCiphertext), "context": b64("ctx")])["plaintext"])
                == "hello from openbao")
    }

    /// Keys exported from OpenBao come in through BYOK import and decrypt OpenBao's ciphertexts.
    @Test func openBaoExportImportedThroughBYOK() async throws {
        try await h.storage.putJSON(WrappingKey.storageKey, ["key": .string(ImportFixtures.wrappingKey)])
        let pem = try #require(try await h.data(.read, "wrapping_key")["public_key"]?.stringValue)
        let v1 = try #require(Data(base64Encoded: PQFixtures.openBaoXChaChaExport["1"] ?? ""))
        let v2 = try #require(Data(base64Encoded: PQFixtures.openBaoXChaChaExport["2"] ?? ""))
        let body: [String: JSONValue] = ["type": "xchacha20-poly1305", "ciphertext": .string(try KeyImport.wrapForImport(Array(v1), wrappingKeyPEM: pem))]
        #expect(try await h.send(.update, "keys/imp/import", body) == nil)
        #expect(try await h.send(.update, "keys/imp/import_version", ["ciphertext": .string(try KeyImport.wrapForImport(Array(v2), wrappingKeyPEM: pem))]) == nil)
        #expect(unb64(try await h.data(.update, "decrypt/imp", ["ciphertext": .string(PQFixtures.openBaoXChaChaV1)])["plaintext"]) == "hello from openbao")
        #expect(
            unb64(try await h.data(.update, "decrypt/imp", ["ciphertext": .string(PQFixtures.openBaoXChaChaV2AAD), "associated_data": b64("aad")])["plaintext"])
                == "hello from openbao")
        let wrongSize = try KeyImport.wrapForImport(Array(repeating: 1, count: 16), wrappingKeyPEM: pem)
        let refused = await h.error(.update, "keys/imp2/import", ["type": "xchacha20-poly1305", "ciphertext": .string(wrongSize)])
        #expect(refused?.messages.first?.contains("error importing key: invalid key size 16 bytes for key type xchacha20-poly1305") == true)
        #expect(try await h.data(.read, "keys/imp")["imported_key"] == true)
    }
}
