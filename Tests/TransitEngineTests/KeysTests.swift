import CofferSDK
import Foundation
import Logging
import Synchronization
import Testing

@testable import TransitEngine

@Suite struct KeysTests {
    let h = Harness()

    @Test func createReadHasOpenBaoShape() async throws {
        let created = try await h.data(.update, "keys/k1")
        let read = try await h.data(.read, "keys/k1")
        #expect(created == read)
        #expect(read["type"] == "aes256-gcm96")
        #expect(read["name"] == "k1")
        #expect(read["latest_version"] == 1)
        #expect(read["min_decryption_version"] == 1)
        #expect(read["min_encryption_version"] == 0)
        #expect(read["min_available_version"] == 0)
        #expect(read["supports_encryption"] == true)
        #expect(read["supports_decryption"] == true)
        #expect(read["supports_derivation"] == true)
        #expect(read["supports_signing"] == false)
        #expect(read["deletion_allowed"] == false)
        #expect(read["exportable"] == false)
        #expect(read["imported_key"] == false)
        #expect(read["soft_deleted"] == false)
        #expect(read["auto_rotate_period"] == 0)
        #expect(read["kdf"] == nil)
        let keys = try #require(read["keys"]?.objectValue)
        #expect(keys.count == 1)
        #expect(keys["1"]?.intValue != nil)
        #expect(Set(read.keys) == [
            "allow_plaintext_backup", "auto_rotate_period", "deletion_allowed", "derived", "exportable", "imported_key", "keys",
            "latest_version", "min_available_version", "min_decryption_version", "min_encryption_version", "name", "soft_deleted",
            "supports_decryption", "supports_derivation", "supports_encryption", "supports_signing", "type",
        ])
    }

    @Test func asymmetricReadShowsPublicKeys() async throws {
        for (type, name, pemPrefix) in [
            ("ed25519", "ed25519", false), ("ecdsa-p256", "P-256", true), ("ecdsa-p384", "P-384", true),
            ("ecdsa-p521", "P-521", true), ("rsa-2048", "rsa-2048", true), ("mldsa-65", "mldsa-65", false),
        ] {
            let d = try await h.data(.update, "keys/\(type)", ["type": .string(type)])
            let v1 = try #require(d["keys"]?["1"]?.objectValue)
            #expect(v1["name"] == .string(name))
            #expect(v1["certificate_chain"] == "")
            let pub = try #require(v1["public_key"]?.stringValue)
            #expect(pub.hasPrefix("-----BEGIN PUBLIC KEY-----") == pemPrefix, "\(type)")
            if pemPrefix { #expect(pub.hasSuffix("-----END PUBLIC KEY-----\n")) }
            #expect(parseVaultTime(v1["creation_time"]?.stringValue ?? "") != nil)
            #expect(d["supports_signing"] == true)
        }
        let ed = try await h.data(.read, "keys/ed25519")
        #expect(ed["supports_derivation"] == true)
        #expect(ed["supports_encryption"] == false)
        let rsa = try await h.data(.read, "keys/rsa-2048")
        #expect(rsa["supports_encryption"] == true)
        #expect(rsa["supports_derivation"] == false)
    }

    @Test func createIsIdempotentAndValidates() async throws {
        _ = try await h.data(.update, "keys/a1", ["type": "aes128-gcm96"])
        let again = try await h.data(.update, "keys/a1", ["type": "aes256-gcm96"])
        #expect(again["type"] == "aes128-gcm96")
        #expect(await h.error(.update, "keys/x", ["type": "foo"])?.messages == ["unknown key type foo"])
        #expect(
            await h.error(.update, "keys/x", ["convergent_encryption": true])?.messages == [
                "convergent encryption requires derivation to be enabled"
            ])
        let hm = await h.error(.update, "keys/h", ["type": "hmac"])
        #expect(hm?.code == .internal)
        #expect(hm?.messages == ["1 error occurred:\n\t* invalid key size for HMAC key, must be between 32 and 512 bytes\n\n"])
        let hmac = try await h.data(.update, "keys/h", ["type": "hmac", "key_size": 32])
        #expect(hmac["key_size"] == 32)
        #expect(hmac["keys"] == nil)
        #expect(hmac["supports_signing"] == false)
        #expect(
            await h.error(.update, "keys/ar", ["auto_rotate_period": "10s"])?.messages == [
                "auto rotate period must be 0 to disable or at least an hour"
            ])
        let ar = try await h.data(.update, "keys/ar", ["auto_rotate_period": "1h"])
        #expect(ar["auto_rotate_period"] == 3600)
        let derived = try await h.data(.update, "keys/d", ["derived": true, "convergent_encryption": true])
        #expect(derived["kdf"] == "hkdf_sha256")
        #expect(derived["convergent_encryption"] == true)
        #expect(derived["convergent_encryption_version"] == -1)
    }

    @Test func listAndDelete() async throws {
        #expect(await h.error(.list, "keys/")?.code == .notFound)
        _ = try await h.data(.update, "keys/b")
        _ = try await h.data(.update, "keys/a")
        #expect(try await h.data(.list, "keys/")["keys"] == ["a", "b"])
        #expect(try await h.data(.list, "keys")["keys"] == ["a", "b"])
        let refused = await h.error(.delete, "keys/a")
        #expect(refused?.code == .invalidRequest)
        #expect(refused?.messages == ["error deleting policy a: deletion is not allowed for this key"])
        #expect(
            await h.error(.delete, "keys/zz")?.messages == ["error deleting policy zz: could not delete key; not found"])
        let cfg = try await h.data(.update, "keys/a/config", ["deletion_allowed": true])
        #expect(cfg["deletion_allowed"] == true)
        #expect(try await h.send(.delete, "keys/a") == nil)
        #expect(await h.error(.read, "keys/a")?.code == .notFound)
        #expect(try await h.data(.list, "keys/")["keys"] == ["b"])
        #expect(await h.error(.update, "encrypt/a", ["ciphertext": "x"]) != nil)
    }

    @Test func rotateConfigAndTrim() async throws {
        _ = try await h.data(.update, "keys/t")
        for _ in 0..<4 { _ = try await h.data(.update, "keys/t/rotate") }
        #expect(try await h.data(.read, "keys/t")["latest_version"] == 5)
        #expect(
            await h.error(.update, "keys/t/trim", ["min_available_version": 2])?.messages == [
                "minimum available version cannot be set when minimum encryption version is not set"
            ])
        #expect(
            await h.error(.update, "keys/t/config", ["min_encryption_version": 9])?.messages == [
                "cannot set min encryption version of 9, latest key version is 5"
            ])
        let cfg = try await h.data(.update, "keys/t/config", ["min_decryption_version": 3, "min_encryption_version": 4])
        #expect(cfg["keys"]?.objectValue?.keys.sorted() == ["3", "4", "5"])
        #expect(
            await h.error(.update, "keys/t/trim", ["min_available_version": 4])?.messages == [
                "minimum available version cannot be greater than minimum decryption version"
            ])
        #expect(
            await h.error(.update, "keys/t/trim", ["min_available_version": 5])?.messages == [
                "minimum available version cannot be greater than minmum encryption version"
            ])
        let trimmed = try await h.data(.update, "keys/t/trim", ["min_available_version": 3])
        #expect(trimmed["min_available_version"] == 3)
        #expect(
            await h.error(.update, "keys/t/config", ["min_decryption_version": 2])?.messages == [
                "min decryption version should not be less then min available version"
            ])
        #expect(await h.error(.update, "keys/missing/rotate")?.messages == ["key not found"])
        #expect(
            await h.error(.update, "keys/missing/config", [:])?.messages == ["no existing key named missing could be found"])
    }

    @Test func autoRotatePeriodFiresWithInjectedClock() async throws {
        let clock = TestClock()
        let engine = TransitEngine(now: { clock.now })
        let h = Harness(engine: engine)
        _ = try await h.data(.update, "keys/r", ["auto_rotate_period": "1h"])
        let ct1 = try await h.string(.update, "encrypt/r", ["plaintext": b64("a")], "ciphertext")
        #expect(ct1.hasPrefix("vault:v1:"))
        clock.advance(3599)
        #expect(try await h.data(.read, "keys/r")["latest_version"] == 1)
        clock.advance(2)
        #expect(try await h.data(.read, "keys/r")["latest_version"] == 2)
        let ct2 = try await h.string(.update, "encrypt/r", ["plaintext": b64("a")], "ciphertext")
        #expect(ct2.hasPrefix("vault:v2:"))
        #expect(unb64(try await h.data(.update, "decrypt/r", ["ciphertext": .string(ct1)])["plaintext"]) == "a")
        clock.advance(7200)
        try await engine.rotateDueKeys(h.storage)
        #expect(try await h.data(.read, "keys/r")["latest_version"] == 3)
    }

    @Test func keysSurviveARestartOfTheEngine() async throws {
        _ = try await h.data(.update, "keys/p")
        let ct = try await h.string(.update, "encrypt/p", ["plaintext": b64("persist")], "ciphertext")
        let fresh = Harness(engine: makeTransitEngine(.init(mountPath: "transit/", type: "transit", logger: .init(label: "t"))))
        let req = LogicalRequest(operation: .update, path: "decrypt/p", data: ["ciphertext": .string(ct)], storage: h.storage)
        let out = try await fresh.engine.handle(req)
        #expect(unb64(out?.data?["plaintext"]) == "persist")
    }
}

final class TestClock: Sendable {
    private let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    var now: Date { time.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { time.withLock { $0 = $0.addingTimeInterval(seconds) } }
}
