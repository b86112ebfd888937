import CofferSDK
import Foundation
import Testing

@testable import TransitEngine

/// The request sequences of hvac 2.4.0's `test_transit.py`, at the engine level.
@Suite struct HvacFlowTests {
    @Test func fullFlow() async throws {
        let h = Harness()
        #expect(try await h.data(.update, "keys/testkey")["name"] == "testkey")
        #expect(try await h.data(.update, "keys/ar", ["auto_rotate_period": "1h"])["auto_rotate_period"] == 3600)
        #expect(try await h.data(.read, "keys/testkey")["name"] == "testkey")
        _ = try await h.data(.update, "keys/testkey/config", ["deletion_allowed": true])
        #expect(try await h.send(.delete, "keys/testkey") == nil)

        _ = try await h.data(.update, "keys/testkey", ["exportable": true])
        #expect(try await h.data(.read, "export/hmac-key/testkey")["keys"]?.objectValue?.count == 1)
        let pt = b64("hi itsame hvac")
        let ct = try await h.string(.update, "encrypt/testkey", ["plaintext": pt], "ciphertext")
        #expect(try await h.data(.update, "decrypt/testkey", ["ciphertext": .string(ct)])["plaintext"] == pt)
        _ = try await h.data(.update, "keys/testkey/rotate")
        #expect(try await h.data(.update, "rewrap/testkey", ["ciphertext": .string(ct)])["ciphertext"] != nil)
        #expect(try await h.data(.update, "datakey/plaintext/testkey", [:])["ciphertext"] != nil)
        #expect(try await h.data(.update, "random", ["bytes": 32])["random_bytes"] != nil)
        #expect(try await h.data(.update, "hash", ["input": b64("hash this ish"), "algorithm": "sha2-256", "format": "hex"])["sum"] != nil)
        #expect(try await h.data(.update, "hmac/testkey", ["input": b64("hash this ish"), "algorithm": "sha2-256"])["hmac"] != nil)

        _ = try await h.data(.update, "keys/edkey", ["type": "ed25519"])
        for salt in ["auto", "hash", "-1", "0", "1"] {
            let sig = try await h.string(
                .update, "sign/edkey",
                ["input": b64("hash this ish"), "hash_algorithm": "sha2-256", "signature_algorithm": "pss", "salt_length": .string(salt)],
                "signature")
            let v = try await h.data(
                .update, "verify/edkey",
                [
                    "name": "edkey", "input": b64("hash this ish"), "signature": .string(sig), "hash_algorithm": "sha2-256",
                    "signature_algorithm": "pss", "salt_length": .string(salt),
                ])
            #expect(v["valid"] == true)
        }

        _ = try await h.data(.update, "keys/testkey/config", ["exportable": true, "allow_plaintext_backup": true])
        let backup = try await h.string(.read, "backup/testkey", [:], "backup")
        #expect(try await h.send(.update, "restore/new_test_ky", ["backup": .string(backup), "force": false]) == nil)
        #expect(try await h.send(.update, "restore/new_test_ky2", ["backup": .string(backup), "force": true]) == nil)
        #expect(await h.error(.update, "restore", ["backup": .string(backup), "force": false])?.messages.first?.contains("already exists") == true)

        let h2 = Harness()
        _ = try await h2.data(.update, "keys/testkey")
        for _ in 0..<10 { _ = try await h2.data(.update, "keys/testkey/rotate") }
        _ = try await h2.data(.update, "keys/testkey/config", ["min_decryption_version": 3, "min_encryption_version": 9])
        _ = try await h2.data(.read, "keys/testkey")
        #expect(try await h2.data(.update, "keys/testkey/trim", ["min_available_version": 2])["min_available_version"] == 2)
    }
}
