import CofferSDK
import Foundation
import Testing

@testable import TransitEngine

@Suite struct SigningTests {
    let h = Harness()

    @Test(arguments: ["ed25519", "ecdsa-p256", "ecdsa-p384", "ecdsa-p521", "rsa-2048", "mldsa-65", "mldsa-87"])
    func signVerifyEveryType(type: String) async throws {
        _ = try await h.data(.update, "keys/s", ["type": .string(type)])
        let signed = try await h.data(.update, "sign/s", ["input": b64("message")])
        #expect(signed["key_version"] == 1)
        let sig = try #require(signed["signature"]?.stringValue)
        #expect(sig.hasPrefix("vault:v1:"))
        #expect(try await h.data(.update, "verify/s", ["input": b64("message"), "signature": .string(sig)])["valid"] == true)
        #expect(try await h.data(.update, "verify/s", ["input": b64("other"), "signature": .string(sig)])["valid"] == false)
        #expect(try await h.data(.update, "verify/s", ["input": b64("message"), "signature": "vault:v1:AAAA"])["valid"] == false)
    }

    @Test func ecdsaOptions() async throws {
        _ = try await h.data(.update, "keys/ec", ["type": "ecdsa-p256"])
        for alg in ["sha2-256", "sha2-384", "sha2-512", "sha3-256", "sha1"] {
            let sig = try await h.string(.update, "sign/ec/\(alg)", ["input": b64("m")], "signature")
            #expect(try await h.data(.update, "verify/ec/\(alg)", ["input": b64("m"), "signature": .string(sig)])["valid"] == true)
            #expect(try await h.data(.update, "verify/ec", ["input": b64("m"), "signature": .string(sig), "hash_algorithm": .string(alg)])["valid"] == true)
        }
        let jws = try await h.string(.update, "sign/ec", ["input": b64("m"), "marshaling_algorithm": "jws"], "signature")
        #expect(!jws.contains("+") && !jws.contains("/") && !jws.hasSuffix("="))
        #expect(try await h.data(.update, "verify/ec", ["input": b64("m"), "signature": .string(jws), "marshaling_algorithm": "jws"])["valid"] == true)
        // Prehashed: the caller sends the SHA-256 digest.
        let digest = Data(HashAlgorithm.sha2_256.digest(Array("m".utf8))!).base64EncodedString()
        let pre = try await h.string(.update, "sign/ec", ["input": .string(digest), "prehashed": true], "signature")
        #expect(try await h.data(.update, "verify/ec", ["input": b64("m"), "signature": .string(pre)])["valid"] == true)
        #expect(await h.error(.update, "sign/ec", ["input": b64("m"), "marshaling_algorithm": "x"])?.messages == ["invalid marshaling type \"x\""])
        #expect(await h.error(.update, "sign/ec", ["input": b64("m"), "hash_algorithm": "x"])?.messages == ["invalid hash algorithm \"x\""])
    }

    @Test func rsaOptions() async throws {
        _ = try await h.data(.update, "keys/r", ["type": "rsa-2048"])
        for sigAlg in ["pss", "pkcs1v15"] {
            for hash in ["sha2-256", "sha2-384", "sha2-512"] {
                let body: [String: JSONValue] = ["input": b64("m"), "signature_algorithm": .string(sigAlg), "hash_algorithm": .string(hash)]
                let sig = try await h.string(.update, "sign/r", body, "signature")
                var v = body
                v["signature"] = .string(sig)
                #expect(try await h.data(.update, "verify/r", v)["valid"] == true)
            }
        }
        for salt in ["auto", "hash", "-1", "32"] {
            let sig = try await h.string(.update, "sign/r", ["input": b64("m"), "salt_length": .string(salt)], "signature")
            #expect(try await h.data(.update, "verify/r", ["input": b64("m"), "signature": .string(sig), "salt_length": .string(salt)])["valid"] == true)
        }
        #expect(await h.error(.update, "sign/r", ["input": b64("m"), "salt_length": "-2"])?.messages == ["salt length is invalid: -2"])
        #expect(await h.error(.update, "sign/r", ["input": b64("m"), "salt_length": "foo"])?.messages == ["salt length neither 'auto', 'hash', nor an int: foo"])
        let bad = await h.error(.update, "sign/r", ["input": b64("m"), "signature_algorithm": "x"])
        #expect(bad?.code == .internal)
        #expect(bad?.messages == ["1 error occurred:\n\t* unsupported rsa signature algorithm x\n\n"])
    }

    @Test func ed25519IgnoresRSAOptionsLikeOpenBao() async throws {
        _ = try await h.data(.update, "keys/ed", ["type": "ed25519"])
        for salt in ["auto", "hash", "-1", "0", "1"] {
            let body: [String: JSONValue] = [
                "input": b64("hash this ish"), "hash_algorithm": "sha2-256", "signature_algorithm": "pss", "salt_length": .string(salt),
            ]
            let sig = try await h.string(.update, "sign/ed", body, "signature")
            var v = body
            v["signature"] = .string(sig)
            #expect(try await h.data(.update, "verify/ed", v)["valid"] == true)
        }
    }

    @Test func signingErrorsAndBatches() async throws {
        _ = try await h.data(.update, "keys/aes")
        _ = try await h.data(.update, "keys/ed", ["type": "ed25519"])
        #expect(await h.error(.update, "sign/aes", ["input": b64("m")])?.messages == ["key type aes256-gcm96 does not support signing"])
        #expect(await h.error(.update, "verify/aes", ["input": b64("m"), "signature": "vault:v1:AA=="])?.messages == ["key type aes256-gcm96 does not support verification"])
        #expect(await h.error(.update, "verify/ed", ["input": b64("m")])?.messages == ["neither a 'signature' nor an 'hmac' were given to verify"])
        #expect(await h.error(.update, "verify/ed", ["input": b64("m"), "signature": "bad"])?.messages == ["invalid signature: no prefix"])
        #expect(await h.error(.update, "verify/ed", ["input": b64("m"), "signature": "vault:v1:!!"])?.messages == ["invalid base64 signature value"])
        let batch = try #require(try await h.send(.update, "sign/ed", ["batch_input": [["input": b64("a")], ["input": "!"]]]))
        #expect(batch.httpStatus == nil)
        let results = try #require(batch.data?["batch_results"]?.arrayValue)
        #expect(results[0]["key_version"] == 1)
        #expect(results[1] == ["key_version": 0, "error": "unable to decode input as base64: illegal base64 data at input byte 0", "reference": ""])
        let sig = try #require(results[0]["signature"])
        let verified = try #require(
            try await h.send(.update, "verify/ed", ["batch_input": [["input": b64("a"), "signature": sig], ["input": b64("b"), "signature": sig]]]))
        let v = try #require(verified.data?["batch_results"]?.arrayValue)
        #expect(v[0]["valid"] == true)
        #expect(v[1]["valid"] == false)
        #expect(
            await h.error(.update, "verify/ed", ["batch_input": [["input": b64("a"), "signature": sig], ["input": b64("b")]]])?.messages == [
                "some elements of batch_input are missing 'signature'"
            ])
    }

    @Test func hmacAndVerify() async throws {
        _ = try await h.data(.update, "keys/k")
        let mac = try await h.string(.update, "hmac/k", ["input": b64("hello")], "hmac")
        #expect(mac.hasPrefix("vault:v1:"))
        #expect(try await h.data(.update, "verify/k", ["input": b64("hello"), "hmac": .string(mac)])["valid"] == true)
        #expect(try await h.data(.update, "verify/k", ["input": b64("hellx"), "hmac": .string(mac)])["valid"] == false)
        let mac512 = try await h.string(.update, "hmac/k/sha2-512", ["input": b64("hello")], "hmac")
        #expect(try await h.data(.update, "verify/k/sha2-512", ["input": b64("hello"), "hmac": .string(mac512)])["valid"] == true)
        #expect(try await h.data(.update, "verify/k", ["input": b64("hello"), "hmac": .string(mac512), "algorithm": "sha2-512"])["valid"] == true)
        #expect(try await h.data(.update, "verify/k", ["input": b64("hello"), "hmac": .string(mac512)])["valid"] == false)
        #expect(await h.error(.update, "verify/k", ["input": b64("hello"), "hmac": "xx"])?.messages == ["invalid HMAC to verify: no prefix"])
        let batch = try #require(try await h.send(.update, "hmac/k", ["batch_input": [["input": b64("a")], ["input": "!"]]]))
        let r = try #require(batch.data?["batch_results"]?.arrayValue)
        #expect(r[0]["hmac"]?.stringValue?.hasPrefix("vault:v1:") == true)
        #expect(r[1]["error"] == "unable to decode input as base64: illegal base64 data at input byte 0")
        // HMAC keys of type hmac.
        _ = try await h.data(.update, "keys/hm", ["type": "hmac", "key_size": 64])
        let m = try await h.string(.update, "hmac/hm", ["input": b64("x")], "hmac")
        #expect(try await h.data(.update, "verify/hm", ["input": b64("x"), "hmac": .string(m)])["valid"] == true)
        _ = try await h.data(.update, "keys/k/rotate")
        _ = try await h.data(.update, "keys/k/config", ["min_decryption_version": 2])
        #expect(
            await h.error(.update, "verify/k", ["input": b64("hello"), "hmac": .string(mac)])?.messages == [
                "cannot verify HMAC: version is too old (disallowed by policy)"
            ])
    }
}
