import CofferSDK
import Foundation
import Testing

@testable import TransitEngine

@Suite struct EncryptionTests {
    let h = Harness()

    @Test(arguments: ["aes128-gcm96", "aes256-gcm96", "chacha20-poly1305", "rsa-2048", "xwing-mlkem768-x25519"])
    func roundTripEveryEncryptionType(type: String) async throws {
        _ = try await h.data(.update, "keys/k", ["type": .string(type)])
        for text in ["", "hello", String(repeating: "x", count: 190)] {
            let enc = try await h.data(.update, "encrypt/k", ["plaintext": b64(text)])
            let ct = try #require(enc["ciphertext"]?.stringValue)
            #expect(ct.hasPrefix("vault:v1:"))
            #expect(enc["key_version"] == 1)
            let dec = try await h.data(.update, "decrypt/k", ["ciphertext": .string(ct)])
            #expect(unb64(dec["plaintext"]) == text)
        }
    }

    @Test func ciphertextLayoutIsNonceCiphertextTag() async throws {
        _ = try await h.data(.update, "keys/k")
        let ct = try await h.string(.update, "encrypt/k", ["plaintext": b64("hello")], "ciphertext")
        let raw = try #require(Data(base64Encoded: String(ct.dropFirst("vault:v1:".count))))
        #expect(raw.count == 12 + 5 + 16)
        let ct2 = try await h.string(.update, "encrypt/k", ["plaintext": b64("hello")], "ciphertext")
        #expect(ct != ct2)
    }

    @Test func encryptUpsertsAMissingKey() async throws {
        let enc = try await h.data(.update, "encrypt/new", ["plaintext": b64("x")])
        #expect(enc["key_version"] == 1)
        #expect(try await h.data(.read, "keys/new")["type"] == "aes256-gcm96")
        _ = try await h.data(.update, "encrypt/cc", ["plaintext": b64("x"), "type": "chacha20-poly1305"])
        #expect(try await h.data(.read, "keys/cc")["type"] == "chacha20-poly1305")
    }

    @Test func associatedData() async throws {
        _ = try await h.data(.update, "keys/k")
        let ct = try await h.string(.update, "encrypt/k", ["plaintext": b64("hi"), "associated_data": b64("ad")], "ciphertext")
        #expect(unb64(try await h.data(.update, "decrypt/k", ["ciphertext": .string(ct), "associated_data": b64("ad")])["plaintext"]) == "hi")
        #expect(await h.error(.update, "decrypt/k", ["ciphertext": .string(ct)])?.messages == ["cipher: message authentication failed"])
        #expect(
            await h.error(.update, "decrypt/k", ["ciphertext": .string(ct), "associated_data": b64("other")])?.messages == [
                "cipher: message authentication failed"
            ])
    }

    @Test func derivedAndConvergent() async throws {
        _ = try await h.data(.update, "keys/d", ["derived": true])
        #expect(await h.error(.update, "encrypt/d", ["plaintext": b64("x")])?.messages == [TransitErrors.missingContext])
        let ct = try await h.string(.update, "encrypt/d", ["plaintext": b64("x"), "context": b64("c1")], "ciphertext")
        #expect(unb64(try await h.data(.update, "decrypt/d", ["ciphertext": .string(ct), "context": b64("c1")])["plaintext"]) == "x")
        #expect(await h.error(.update, "decrypt/d", ["ciphertext": .string(ct), "context": b64("c2")])?.messages == ["cipher: message authentication failed"])

        _ = try await h.data(.update, "keys/c", ["derived": true, "convergent_encryption": true])
        let a = try await h.string(.update, "encrypt/c", ["plaintext": b64("same"), "context": b64("ctx")], "ciphertext")
        let b = try await h.string(.update, "encrypt/c", ["plaintext": b64("same"), "context": b64("ctx")], "ciphertext")
        let c = try await h.string(.update, "encrypt/c", ["plaintext": b64("same"), "context": b64("other")], "ciphertext")
        let d = try await h.string(.update, "encrypt/c", ["plaintext": b64("diff"), "context": b64("ctx")], "ciphertext")
        #expect(a == b)
        #expect(a != c)
        #expect(a != d)
        #expect(unb64(try await h.data(.update, "decrypt/c", ["ciphertext": .string(a), "context": b64("ctx")])["plaintext"]) == "same")
    }

    @Test func badInputGetsOpenBaoMessages() async throws {
        _ = try await h.data(.update, "keys/k")
        _ = try await h.data(.update, "keys/other")
        _ = try await h.data(.update, "keys/ed", ["type": "ed25519"])
        func err(_ path: String, _ data: [String: JSONValue]) async -> [String]? {
            let e = await h.error(.update, path, data)
            #expect(e?.code == .invalidRequest)
            return e?.messages
        }
        #expect(await err("encrypt/k", ["plaintext": "not base64!"]) == ["illegal base64 data at input byte 3"])
        #expect(await err("encrypt/k", [:]) == ["missing plaintext to encrypt"])
        _ = try await h.data(.update, "keys/dk", ["derived": true])
        #expect(await err("encrypt/dk", ["plaintext": b64("x"), "context": "!!"]) == ["illegal base64 data at input byte 0"])
        #expect(await err("decrypt/k", [:]) == ["missing ciphertext to decrypt"])
        #expect(await err("encrypt/ed", ["plaintext": b64("x")]) == ["message encryption not supported for key type ed25519"])
        #expect(await err("decrypt/k", ["ciphertext": "garbage"]) == ["invalid ciphertext: no prefix"])
        #expect(await err("decrypt/k", ["ciphertext": "vault:v1"]) == ["invalid ciphertext: wrong number of fields"])
        #expect(await err("decrypt/k", ["ciphertext": "vault:vx:AAAA"]) == ["invalid ciphertext: version number could not be decoded"])
        #expect(await err("decrypt/k", ["ciphertext": "vault:v1:garbage"]) == ["invalid ciphertext: could not decode base64"])
        #expect(await err("decrypt/k", ["ciphertext": "vault:v1:AAAA"]) == ["invalid ciphertext length"])
        #expect(await err("decrypt/k", ["ciphertext": "vault:v9:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]) == ["invalid ciphertext: version is too new"])
        #expect(await err("decrypt/k", ["ciphertext": "vault:v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"]) == ["cipher: message authentication failed"])
        #expect(await err("decrypt/missing", ["ciphertext": "vault:v1:AAAA"]) == ["encryption key not found"])
        // Ciphertext of another key, and a tampered one.
        let ct = try await h.string(.update, "encrypt/k", ["plaintext": b64("secret")], "ciphertext")
        #expect(await err("decrypt/other", ["ciphertext": .string(ct)]) == ["cipher: message authentication failed"])
        var raw = Array(Data(base64Encoded: String(ct.dropFirst(9)))!)
        raw[14] ^= 1
        let tampered = "vault:v1:" + Data(raw).base64EncodedString()
        #expect(await err("decrypt/k", ["ciphertext": .string(tampered)]) == ["cipher: message authentication failed"])
        #expect(await err("encrypt/k", ["plaintext": b64("x"), "key_version": 9]) == ["requested version for encryption is higher than the latest key version"])
    }

    @Test func batchItemsFailIndependently() async throws {
        _ = try await h.data(.update, "keys/k")
        let resp = try #require(
            try await h.send(
                .update, "encrypt/k", ["batch_input": [["plaintext": b64("a")], ["plaintext": "!!"], ["plaintext": b64("c"), "reference": "r2"]]]))
        #expect(resp.httpStatus == 400)
        let results = try #require(resp.data?["batch_results"]?.arrayValue)
        #expect(results.count == 3)
        #expect(results[0]["key_version"] == 1)
        #expect(results[0]["reference"] == "")
        #expect(results[1] == ["error": "illegal base64 data at input byte 0", "reference": ""])
        #expect(results[2]["reference"] == "r2")
        let good = try #require(
            try await h.send(.update, "encrypt/k", ["batch_input": [["plaintext": b64("a")], ["plaintext": b64("b")]]]))
        #expect(good.httpStatus == nil)
        let cts = try #require(good.data?["batch_results"]?.arrayValue).map { $0["ciphertext"]! }
        let dec = try #require(
            try await h.send(.update, "decrypt/k", ["batch_input": [["ciphertext": cts[0]], ["ciphertext": "bad"], ["ciphertext": cts[1]]]]))
        #expect(dec.httpStatus == 400)
        let out = try #require(dec.data?["batch_results"]?.arrayValue)
        #expect(unb64(out[0]["plaintext"]) == "a")
        #expect(out[1] == ["plaintext": "", "error": "invalid ciphertext: no prefix", "reference": ""])
        #expect(unb64(out[2]["plaintext"]) == "b")
        let partial = try #require(
            try await h.send(
                .update, "decrypt/k", ["batch_input": [["ciphertext": cts[0]], ["ciphertext": "bad"]], "partial_failure_response_code": 207]))
        #expect(partial.httpStatus == 207)
    }

    @Test func rotationRewrapAndMinDecryption() async throws {
        _ = try await h.data(.update, "keys/k")
        let old = try await h.string(.update, "encrypt/k", ["plaintext": b64("v1 data")], "ciphertext")
        _ = try await h.data(.update, "keys/k/rotate")
        let new = try await h.string(.update, "encrypt/k", ["plaintext": b64("v2 data")], "ciphertext")
        #expect(new.hasPrefix("vault:v2:"))
        let rewrapped = try await h.data(.update, "rewrap/k", ["ciphertext": .string(old)])
        #expect(rewrapped["key_version"] == 2)
        let re = try #require(rewrapped["ciphertext"]?.stringValue)
        #expect(re.hasPrefix("vault:v2:"))
        _ = try await h.data(.update, "keys/k/config", ["min_decryption_version": 2])
        #expect(await h.error(.update, "decrypt/k", ["ciphertext": .string(old)])?.messages == [TransitErrors.tooOld])
        #expect(unb64(try await h.data(.update, "decrypt/k", ["ciphertext": .string(re)])["plaintext"]) == "v1 data")
        #expect(unb64(try await h.data(.update, "decrypt/k", ["ciphertext": .string(new)])["plaintext"]) == "v2 data")
        let v1 = try await h.data(.update, "encrypt/k", ["plaintext": b64("x"), "key_version": 1])
        #expect(v1["key_version"] == 1)  // min_encryption_version is 0
        _ = try await h.data(.update, "keys/k/config", ["min_encryption_version": 2])
        #expect(
            await h.error(.update, "encrypt/k", ["plaintext": b64("x"), "key_version": 1])?.messages == [
                "requested version for encryption is less than the minimum encryption key version"
            ])
    }

    @Test func datakeys() async throws {
        _ = try await h.data(.update, "keys/k")
        let p = try await h.data(.update, "datakey/plaintext/k", [:])
        let plainText = try #require(p["plaintext"]?.stringValue)
        let plain = try #require(Data(base64Encoded: plainText))
        #expect(plain.count == 32)
        let dec = try await h.data(.update, "decrypt/k", ["ciphertext": p["ciphertext"]!])
        #expect(dec["plaintext"]?.stringValue == plain.base64EncodedString())
        let w = try await h.data(.update, "datakey/wrapped/k", ["bits": 512])
        #expect(w["plaintext"] == nil)
        #expect(w["key_version"] == 1)
        #expect(await h.error(.update, "datakey/foo/k")?.messages == ["Invalid path, must be 'plaintext' or 'wrapped'"])
        #expect(await h.error(.update, "datakey/plaintext/k", ["bits": 100])?.messages == ["invalid bit length"])
    }
}
