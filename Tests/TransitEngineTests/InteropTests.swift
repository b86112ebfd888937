import CofferSDK
import Foundation
import Testing

@testable import TransitEngine

/// Values produced outside Coffer: by Python `cryptography` (AESGCM, ChaCha20Poly1305, HKDF, Ed25519, ECDSA, HMAC)
/// and by OpenBao 2.7.2 itself (a ciphertext and the exported key that made it).
@Suite struct InteropTests {
    let h = Harness()
    static let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="  // bytes 0...31

    @Test func decryptsPythonAESGCM() async throws {
        try await h.restoreKey("py", type: "aes256-gcm96", key: Self.key)
        let ct = "vault:v1:ZGVmZ2hpamtsbW5vIXWqAwuGJr5YEDCF+hUTiSqtaDlRY8n4DRHa1m7Lft0MyTY="
        #expect(unb64(try await h.data(.update, "decrypt/py", ["ciphertext": .string(ct)])["plaintext"]) == "interop from python")
        let withAAD = "vault:v1:ZGVmZ2hpamtsbW5vIXWqAwuGJr5YEDCF+hUTiSqtaKS3+qhqdvVdL1acNz/ACV4="
        #expect(
            unb64(try await h.data(.update, "decrypt/py", ["ciphertext": .string(withAAD), "associated_data": b64("aad-data")])["plaintext"])
                == "interop from python")
    }

    @Test func decryptsPythonChaCha20Poly1305() async throws {
        try await h.restoreKey("cc", type: "chacha20-poly1305", key: Self.key)
        let ct = "vault:v1:ZGVmZ2hpamtsbW5vXX/Pr+rKBnKdrHoS0vmh5xip/CrzhTd7XgveoAIF3HXncJs="
        #expect(unb64(try await h.data(.update, "decrypt/cc", ["ciphertext": .string(ct)])["plaintext"]) == "interop from python")
    }

    @Test func derivesKeysWithHKDFSHA256LikePython() async throws {
        try await h.restoreKey("dv", type: "aes256-gcm96", key: Self.key, derived: true)
        let ct = "vault:v1:ZGVmZ2hpamtsbW5v7ol6WFQFnj2NNFwtP94ADWwPpDjYmro2jrWhOoYK3ZjuAKM="
        #expect(
            unb64(try await h.data(.update, "decrypt/dv", ["ciphertext": .string(ct), "context": b64("my-context")])["plaintext"])
                == "interop from python")
    }

    @Test func decryptsOpenBaoCiphertexts() async throws {
        // `bao write transit/encrypt/t plaintext=aGVsbG8=` with key version 5, then `export/encryption-key/t/5`.
        try await h.restoreKey("bao", type: "aes256-gcm96", key: "O7JOBJxLVDl2xLayrJkFnqvfVZ93XEhwHRNiaOGbwdY=")
        let ct = "vault:v1:66L3K7X81bCJ4J8T4SJeeceUU0ICUcl1LTQ4tMqXOBoE"  // re-labelled v5 -> v1
        #expect(unb64(try await h.data(.update, "decrypt/bao", ["ciphertext": .string(ct)])["plaintext"]) == "hello")
        // A derived convergent key on OpenBao (context "ctx").
        try await h.restoreKey("baod", type: "aes256-gcm96", key: "TE4PVlDiYqTdzsrhxbkuop+dU3aBJpi70fQn0p48xIY=", derived: true)
        let dct = "vault:v1:xrj3mw7Ejzq8pyanvNplcffBF49nkBUTfA5JzInLDfTR"
        #expect(unb64(try await h.data(.update, "decrypt/baod", ["ciphertext": .string(dct), "context": b64("ctx")])["plaintext"]) == "hello")
    }

    @Test func ed25519MatchesPython() async throws {
        // Seed 1...32; Ed25519 is deterministic, so the signature must be byte-identical.
        try await h.restoreKey("ed", type: "ed25519", key: "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=")
        let read = try await h.data(.read, "keys/ed")
        #expect(read["keys"]?["1"]?["public_key"] == "ebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ=")
        let sig = try await h.string(.update, "sign/ed", ["input": b64("hello")], "signature")
        let python = "vault:v1:aXDa1WTZQN+QF6IkMbwtUvrgtWzge4YPvjgZ/nEoZTzLTObAWu8BQehLFCjMYon9bh1aCUHiAF9N/lNM27GZDg=="
        #expect(sig == python)
        #expect(try await h.data(.update, "verify/ed", ["input": b64("hello"), "signature": .string(python)])["valid"] == true)
    }

    @Test func verifiesPythonECDSA() async throws {
        try await h.restoreKey("ec", type: "ecdsa-p256", key: "EjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJCrze8=")
        let s256 = "vault:v1:MEUCIDsZV6CFrETRpEK3N2PwVCJJVvSyoXjc+R3UVfx2UBy6AiEAnKFlSQvtPbDWmWOpu4IV4fW2a3NsuWXIezpux0/94nY="
        let s384 = "vault:v1:MEUCIQD0TO8sg9iS8IDiuyzraXoJylwGFhpsPge0aJUPhEtcEAIgOGxf5Zm2bjEcVRl4sMu/Q57VGB8mwypyqW5OAFx8d3Q="
        #expect(try await h.data(.update, "verify/ec", ["input": b64("hello"), "signature": .string(s256)])["valid"] == true)
        #expect(try await h.data(.update, "verify/ec/sha2-384", ["input": b64("hello"), "signature": .string(s384)])["valid"] == true)
        #expect(try await h.data(.update, "verify/ec", ["input": b64("hello"), "signature": .string(s384)])["valid"] == false)
    }

    @Test func hmacMatchesPython() async throws {
        try await h.restoreKey("hm", type: "aes256-gcm96", key: Self.key, hmacKey: "MjM0NTY3ODk6Ozw9Pj9AQUJDREVGR0hJSktMTU5PUFE=")
        #expect(try await h.string(.update, "hmac/hm", ["input": b64("hello")], "hmac") == "vault:v1:ua8lISuucwXAJLCMlN7cZrj5cc+ql/x/NIuFsRcAxzg=")
        #expect(
            try await h.string(.update, "hmac/hm/sha2-512", ["input": b64("hello")], "hmac")
                == "vault:v1:DP6rkNYaOMTW4qvDnR63p4l6Ro+oIQKuJRlPDg80QhnHjsK9L8aQa+ZrDHujJ97ISS7AWRgai000axpDjw2CMg==")
    }

    @Test func goBase64Semantics() throws {
        #expect(try GoBase64.decode("aGVsbG8=") == Array("hello".utf8))
        #expect(try GoBase64.decode("aGVsbG9=") == Array("hello".utf8))  // Go ignores the unused bits
        #expect(throws: GoBase64.DecodeError(offset: 3)) { try GoBase64.decode("not base64!") }
        #expect(throws: GoBase64.DecodeError(offset: 0)) { try GoBase64.decode("!!") }
        #expect(throws: GoBase64.DecodeError(offset: 4)) { try GoBase64.decode("aGVsbG8") }
        #expect(try GoBase64.decode("") == [])
        #expect(throws: GoBase64.DecodeError(offset: 4)) { try GoBase64.decode("ab==cdef") }  // as Go: input after padding
        #expect(throws: GoBase64.DecodeError(offset: 1)) { try GoBase64.decode("a===") }
        #expect(try GoBase64.decode("aGVs\nbG8=") == Array("hello".utf8))  // line breaks take the slow path
    }

    /// The hand-written encoder and the quick decoding path agree with Foundation on every length and on random bytes.
    @Test func base64AgreesWithFoundation() throws {
        var rng = SystemRandomNumberGenerator()
        for length in Array(0...40) + [1023, 1024, 1025, 4096] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let text = GoBase64.encode(bytes)
            #expect(text == Data(bytes).base64EncodedString(), "length \(length)")
            #expect(try GoBase64.decode(text) == bytes, "length \(length)")
            #expect(GoBase64.encode(Data(bytes)) == text)
        }
    }
}
