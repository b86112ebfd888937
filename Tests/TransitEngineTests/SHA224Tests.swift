import CofferSDK
import Foundation
import Testing

@testable import TransitEngine

/// `sha2-224` (BoringSSL's SHA-224 / HMAC / RSA through the shim) and `sha3-224` (swift-crypto's XKCP SHA3-224) for
/// hash, hmac, sign and verify, against Python `hashlib` / `cryptography` values (see ``PQFixtures``).
@Suite struct SHA224Tests {
    let h = Harness()

    @Test func hash() async throws {
        #expect(try await h.string(.update, "hash/sha2-224", ["input": b64("hello")], "sum") == PQFixtures.sha224Hello)
        #expect(try await h.string(.update, "hash", ["input": b64("hello"), "algorithm": "sha3-224"], "sum") == PQFixtures.sha3_224Hello)
        // Empty input digests (FIPS 180-4 / FIPS 202 values).
        #expect(hexEncoded(BoringSSLShim.sha224([UInt8]())) == "d14a028c2a3a2bc9476102bb288234c415a2b01f828ea62ac5b3e42f")
        #expect(hexEncoded(BoringSSLShim.sha3_224([UInt8]())) == "6b4e03423667dbb73b6e15454f0eb1abd4597f9a1b078e3f5b5a6bc7")
    }

    @Test func hmac() async throws {
        try await h.restoreKey("k", type: "aes256-gcm96", key: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
        let mac = try await h.string(.update, "hmac/k/sha2-224", ["input": b64("hello")], "hmac")
        #expect(mac == PQFixtures.hmacSHA224Hello)
        let mac3 = try await h.string(.update, "hmac/k", ["input": b64("hello"), "algorithm": "sha3-224"], "hmac")
        #expect(mac3 == PQFixtures.hmacSHA3_224Hello)
        #expect(try await h.data(.update, "verify/k/sha2-224", ["input": b64("hello"), "hmac": .string(mac)])["valid"] == true)
        #expect(try await h.data(.update, "verify/k/sha2-224", ["input": b64("hellO"), "hmac": .string(mac)])["valid"] == false)
        #expect(try await h.data(.update, "verify/k/sha3-224", ["input": b64("hello"), "hmac": .string(mac3)])["valid"] == true)
        #expect(try await h.data(.update, "verify/k/sha3-224", ["input": b64("hello"), "hmac": .string(mac)])["valid"] == false)
    }

    @Test func ecdsa() async throws {
        try await h.restoreKey("e", type: "ecdsa-p256", key: PQFixtures.ecdsaKey)
        #expect(try await h.data(.update, "verify/e/sha2-224", ["input": b64("hello"), "signature": .string(PQFixtures.ecdsaSHA224)])["valid"] == true)
        #expect(try await h.data(.update, "verify/e/sha2-256", ["input": b64("hello"), "signature": .string(PQFixtures.ecdsaSHA224)])["valid"] == false)
        #expect(try await h.data(.update, "verify/e/sha3-224", ["input": b64("hello"), "signature": .string(PQFixtures.ecdsaSHA3_224)])["valid"] == true)
        for alg in ["sha2-224", "sha3-224"] {
            let sig = try await h.string(.update, "sign/e/\(alg)", ["input": b64("hello")], "signature")
            #expect(try await h.data(.update, "verify/e/\(alg)", ["input": b64("hello"), "signature": .string(sig)])["valid"] == true)
            // Prehashed input is the 28-byte digest itself.
            let digest = try #require(HashAlgorithm(rawValue: alg)?.digest(Array("hello".utf8)))
            #expect(
                try await h.data(.update, "verify/e/\(alg)", ["input": .string(Data(digest).base64EncodedString()), "prehashed": true, "signature": .string(sig)])["valid"]
                    == true)
        }
    }

    @Test func rsa() async throws {
        try await h.restoreKey("r", type: "rsa-2048", key: PQFixtures.rsaKey)
        // PKCS#1 v1.5 is deterministic: Coffer's signature is Python's.
        let v15 = try await h.string(.update, "sign/r/sha2-224", ["input": b64("hello"), "signature_algorithm": "pkcs1v15"], "signature")
        #expect(v15 == PQFixtures.rsaPKCS1v15SHA224)
        #expect(
            try await h.data(.update, "verify/r/sha2-224", ["input": b64("hello"), "signature_algorithm": "pkcs1v15", "signature": .string(v15)])["valid"] == true)
        #expect(
            try await h.data(.update, "verify/r/sha2-224", ["input": b64("hellO"), "signature_algorithm": "pkcs1v15", "signature": .string(v15)])["valid"] == false)
        #expect(try await h.data(.update, "verify/r/sha2-224", ["input": b64("hello"), "signature": .string(PQFixtures.rsaPSSSHA224)])["valid"] == true)
        #expect(try await h.data(.update, "verify/r/sha2-256", ["input": b64("hello"), "signature": .string(PQFixtures.rsaPSSSHA224)])["valid"] == false)
        let pss = try await h.string(.update, "sign/r/sha2-224", ["input": b64("hello")], "signature")
        #expect(try await h.data(.update, "verify/r/sha2-224", ["input": b64("hello"), "signature": .string(pss)])["valid"] == true)
        #expect(await h.error(.update, "sign/r/sha2-224", ["input": b64("hello"), "salt_length": "20"])?.messages != nil)
        // SHA-3 stays unsupported for RSA keys, as every SHA-3 size already was.
        #expect(await h.error(.update, "sign/r/sha3-224", ["input": b64("hello")])?.messages == ["unsupported hash algorithm sha3-224 for RSA keys"])
    }

    @Test func ed25519IgnoresTheHash() async throws {
        _ = try await h.send(.update, "keys/ed", ["type": "ed25519"])
        let sig = try await h.string(.update, "sign/ed/sha2-224", ["input": b64("hello")], "signature")
        #expect(try await h.data(.update, "verify/ed/sha3-224", ["input": b64("hello"), "signature": .string(sig)])["valid"] == true)
    }
}
