import CofferSDK
import Foundation
import Testing

@testable import TransitEngine

@Suite struct ToolsTests {
    let h = Harness()
    func req(_ data: [String: JSONValue]) -> LogicalRequest { h.request(.update, "x", data) }

    @Test func random() async throws {
        let d = try await h.data(.update, "random")
        #expect(Data(base64Encoded: d["random_bytes"]?.stringValue ?? "")?.count == 32)
        let hex = try await h.data(.update, "random/8", ["format": "hex"])
        #expect(hex["random_bytes"]?.stringValue?.count == 16)
        #expect(try transitRandom(req([:]), path: "platform/12").data?["random_bytes"]?.stringValue?.count == 16)
        #expect(try transitRandom(req(["bytes": 3]), path: "all").data?["random_bytes"]?.stringValue?.count == 4)
        func msg(_ data: [String: JSONValue], _ path: String) -> [String]? {
            do {
                _ = try transitRandom(req(data), path: path)
                return nil
            } catch let e as LogicalError {
                return e.messages
            } catch { return nil }
        }
        #expect(msg(["bytes": 0], "") == ["'bytes' cannot be less than 1"])
        #expect(msg(["bytes": 999_999], "") == ["'bytes' should be less than 131072"])
        #expect(msg([:], "hex") == ["error parsing url-set byte count: strconv.Atoi: parsing \"hex\": invalid syntax"])
        #expect(msg([:], "foo/12") == ["unsupported entropy source \"foo\"; must be \"platform\" or \"seal\", or \"all\""])
        #expect(msg(["format": "b32"], "") == ["unsupported encoding format \"b32\"; must be \"hex\" or \"base64\""])
        // sys/tools/random checks its fields on its own route before calling transitRandom; the mount's path does it here.
        #expect(await h.error(.update, "random", ["bytes": "x"])?.messages.first?.hasPrefix("Field validation failed") == true)
    }

    @Test func hash() async throws {
        #expect(try await h.data(.update, "hash", ["input": "aGVsbG8="])["sum"] == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
        #expect(
            try await h.data(.update, "hash/sha2-512", ["input": "aGVsbG8=", "format": "base64"])["sum"]
                == "m3HSJL1i83hdltRq0+o9czGb+8KJDKra4t/3JRlnPKcjI8PZm6XBHXx6zG4UuMXaDEZjR1wuXDre9G9zvN7AQw==")
        #expect(
            try transitHash(req(["input": "aGVsbG8=", "algorithm": "sha3-256"]), path: "").data?["sum"]
                == "3338be694f50c5f338814986cdf0686453a888b84f424d792af4b9202398f392")
        #expect(await h.error(.update, "hash", ["input": "aGVsbG8=", "algorithm": "md5"])?.messages == ["unsupported algorithm md5"])
        #expect(await h.error(.update, "hash", ["input": "aGVsbG8=", "format": "b"])?.messages == ["unsupported encoding format b; must be \"hex\" or \"base64\""])
        #expect(await h.error(.update, "hash", ["input": "!!"])?.messages == ["unable to decode input as base64: illegal base64 data at input byte 0"])
        #expect(await h.error(.update, "hash", [:])?.messages == ["input missing"])
    }
}

@Suite struct ExportBackupTests {
    let h = Harness()

    @Test func exportRules() async throws {
        _ = try await h.data(.update, "keys/t", ["exportable": true])
        _ = try await h.data(.update, "keys/t/rotate")
        let hm = try await h.data(.read, "export/hmac-key/t")
        #expect(hm["name"] == "t")
        #expect(hm["type"] == "aes256-gcm96")
        #expect(hm["keys"]?.objectValue?.keys.sorted() == ["1", "2"])
        let enc = try await h.data(.read, "export/encryption-key/t/latest")
        let key = try #require(enc["keys"]?["2"]?.stringValue)
        #expect(Data(base64Encoded: key)?.count == 32)
        #expect(try await h.data(.read, "export/encryption-key/t/1")["keys"]?.objectValue?.keys.sorted() == ["1"])
        #expect(await h.error(.read, "export/signing-key/t")?.messages == ["signing not supported for the key"])
        #expect(await h.error(.read, "export/foo/t")?.messages == ["invalid export type: foo"])
        _ = try await h.data(.update, "keys/t/config", ["min_decryption_version": 2])
        #expect(await h.error(.read, "export/encryption-key/t/1")?.messages == ["version for export is below minimum decryption version"])
        _ = try await h.data(.update, "keys/ed", ["type": "ed25519"])
        #expect(await h.error(.read, "export/encryption-key/ed")?.messages == ["private key material is not exportable"])
        #expect(try await h.data(.read, "export/public-key/ed")["keys"]?["1"]?.stringValue?.isEmpty == false)
        // An exported key decrypts Coffer's ciphertext outside the engine (here: back through restore).
        let ct = try await h.string(.update, "encrypt/t", ["plaintext": b64("exported")], "ciphertext")
        try await h.restoreKey("copy", type: "aes256-gcm96", key: key)
        let relabelled = "vault:v1:" + ct.dropFirst("vault:v2:".count)
        #expect(unb64(try await h.data(.update, "decrypt/copy", ["ciphertext": .string(relabelled)])["plaintext"]) == "exported")
        // Signing keys export as PEM / Go's 64-byte Ed25519 private key.
        for type in ["ecdsa-p256", "rsa-2048"] {
            _ = try await h.data(.update, "keys/x\(type)", ["type": .string(type), "exportable": true])
            let pem = try #require(try await h.data(.read, "export/signing-key/x\(type)")["keys"]?["1"]?.stringValue)
            #expect(pem.hasPrefix("-----BEGIN") && pem.hasSuffix("-----\n"))
        }
        _ = try await h.data(.update, "keys/xed", ["type": "ed25519", "exportable": true])
        let edKey = try #require(try await h.data(.read, "export/signing-key/xed")["keys"]?["1"]?.stringValue)
        #expect(Data(base64Encoded: edKey)?.count == 64)
    }

    @Test func backupAndRestore() async throws {
        _ = try await h.data(.update, "keys/t")
        #expect(await h.error(.read, "backup/t")?.messages == ["1 error occurred:\n\t* exporting is disallowed on the policy\n\n"])
        _ = try await h.data(.update, "keys/t/config", ["exportable": true, "allow_plaintext_backup": false])
        let refused = await h.error(.read, "backup/t")
        #expect(refused?.code == .internal)
        #expect(refused?.messages == ["1 error occurred:\n\t* plaintext backup is disallowed on the policy\n\n"])
        _ = try await h.data(.update, "keys/t/config", ["allow_plaintext_backup": true])
        let ct = try await h.string(.update, "encrypt/t", ["plaintext": b64("keep me")], "ciphertext")
        let backup = try await h.string(.read, "backup/t", [:], "backup")
        #expect(try await h.data(.read, "keys/t")["backup_info"]?["version"] == 1)
        let exists = await h.error(.update, "restore", ["backup": .string(backup)])
        #expect(exists?.code == .internal)
        #expect(exists?.messages == ["1 error occurred:\n\t* key \"t\" already exists\n\n"])
        #expect(try await h.send(.update, "restore", ["backup": .string(backup), "force": true]) == nil)
        #expect(try await h.send(.update, "restore/t2", ["backup": .string(backup)]) == nil)
        #expect(unb64(try await h.data(.update, "decrypt/t2", ["ciphertext": .string(ct)])["plaintext"]) == "keep me")
        // Into a fresh server.
        let fresh = Harness()
        #expect(try await fresh.send(.update, "restore", ["backup": .string(backup)]) == nil)
        #expect(unb64(try await fresh.data(.update, "decrypt/t", ["ciphertext": .string(ct)])["plaintext"]) == "keep me")
        #expect(await h.error(.update, "restore", [:])?.messages == ["'backup' must be supplied"])
        #expect(await h.error(.update, "restore", ["backup": "!!"])?.messages == ["1 error occurred:\n\t* illegal base64 data at input byte 0\n\n"])
    }
}
