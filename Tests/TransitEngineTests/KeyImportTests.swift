import CofferSDK
import Foundation
import Logging
import Testing

@testable import TransitEngine

/// Bring your own key: `wrapping_key`, `keys/:name/import`, `keys/:name/import_version`.
///
/// `ImportFixtures` was made with Python `cryptography` 48: an RSA-4096 wrapping key, keys wrapped for it as OpenBao's
/// key-wrapping guide describes (RSA-OAEP with the case's hash over a fresh AES-256 key, then
/// `aes_key_wrap_with_padding` of the raw key or PKCS#8 DER), and data made with each key outside Coffer (AEAD
/// ciphertexts in transit's `vault:v1:` format, signatures, an HMAC). The `derived` case is a ciphertext that
/// OpenBao 2.7.2 made with an imported derived key (context "ctx"). The messages below are OpenBao 2.7.2's.
@Suite struct KeyImportTests {
    let h = Harness()

    /// Uses the fixtures' wrapping key instead of generating one (RSA-4096 generation is slow in debug builds).
    func seedWrappingKey() async throws {
        try await h.storage.putJSON(WrappingKey.storageKey, ["key": .string(ImportFixtures.wrappingKey)])
    }

    func fixture(_ name: String) throws -> ImportFixtures.Case { try #require(ImportFixtures.cases[name]) }

    /// Imports fixture `name` as key `key`, with extra parameters.
    func importFixture(_ name: String, as key: String? = nil, _ extra: [String: JSONValue] = [:]) async throws {
        let c = try fixture(name)
        var body: [String: JSONValue] = ["type": .string(c.type)]
        if c.hash.isEmpty {
            body["public_key"] = .string(c.material)
        } else {
            body["ciphertext"] = .string(c.material)
            body["hash_function"] = .string(c.hash)
        }
        body.merge(extra) { $1 }
        #expect(try await h.send(.update, "keys/\(key ?? name)/import", body) == nil)
    }

    func messages(_ path: String, _ data: [String: JSONValue] = [:]) async -> [String]? {
        await h.error(.update, path, data)?.messages
    }

    static func multi(_ message: String) -> [String] { ["1 error occurred:\n\t* \(message)\n\n"] }

    var message: JSONValue { .string(Data(ImportFixtures.message.utf8).base64EncodedString()) }

    func verify(_ key: String, _ signature: String, _ extra: [String: JSONValue] = [:]) async throws -> Bool? {
        var body: [String: JSONValue] = ["input": message, "signature": .string(signature)]
        body.merge(extra) { $1 }
        return try await h.data(.update, "verify/\(key)", body)["valid"]?.boolValue
    }

    @Test func wrappingKeyIsMadeOnceAndKept() async throws {
        let first = try await h.string(.read, "wrapping_key", [:], "public_key")
        #expect(first.hasPrefix("-----BEGIN PUBLIC KEY-----\n"))
        #expect(first.hasSuffix("-----END PUBLIC KEY-----\n"))
        #expect(try await h.string(.read, "wrapping_key", [:], "public_key") == first)
        // Another engine on the same storage (a restart, another node) reads the stored key.
        let again = Harness(engine: makeTransitEngine(EngineConfiguration(mountPath: "transit/", type: "transit", logger: .init(label: "t"))))
        let stored = try #require(try await h.storage.get(WrappingKey.storageKey))
        try await again.storage.put(WrappingKey.storageKey, stored)
        #expect(try await again.string(.read, "wrapping_key", [:], "public_key") == first)
        // 4096-bit: a 550-byte SubjectPublicKeyInfo.
        let body = first.split(separator: "\n").dropFirst().dropLast().joined()
        #expect(Data(base64Encoded: body)?.count == 550)
        #expect(await h.error(.update, "wrapping_key")?.code == .unsupportedOperation)
        // And a key wrapped for it imports.
        let target = (0..<32).map { UInt8($0) }
        let wrapped = try KeyImport.wrapForImport(target, wrappingKeyPEM: first)
        #expect(try await h.send(.update, "keys/mine/import", ["ciphertext": .string(wrapped), "exportable": true]) == nil)
        let exported = try await h.data(.read, "export/encryption-key/mine")["keys"]?["1"]?.stringValue
        #expect(exported == Data(target).base64EncodedString())
    }

    @Test(arguments: ["aes256", "chacha", "aes128"])
    func symmetricKeysDecryptDataMadeOutside(name: String) async throws {
        try await seedWrappingKey()
        try await importFixture(name)
        let c = try fixture(name)
        let plain = try await h.string(.update, "decrypt/\(name)", ["ciphertext": .string(c.data)], "plaintext")
        #expect(unb64(.string(plain)) == ImportFixtures.plaintext)
        let read = try await h.data(.read, "keys/\(name)")
        #expect(read["type"] == .string(c.type))
        #expect(read["imported_key"] == true)
        #expect(read["imported_key_allow_rotation"] == false)
        #expect(read["latest_version"] == 1)
        #expect(read["kdf"] == nil)
        // And Coffer's own encryptions round-trip under the imported key.
        let ct = try await h.string(.update, "encrypt/\(name)", ["plaintext": b64("again")], "ciphertext")
        #expect(unb64(try await h.data(.update, "decrypt/\(name)", ["ciphertext": .string(ct)])["plaintext"]) == "again")
    }

    @Test(arguments: ["ed", "p256", "p521", "mldsa", "rsa"])
    func signingKeysVerifySignaturesMadeOutside(name: String) async throws {
        try await seedWrappingKey()
        try await importFixture(name)
        let c = try fixture(name)
        #expect(try await verify(name, c.data) == true)
        let signature = try await h.string(.update, "sign/\(name)", ["input": message], "signature")
        #expect(try await verify(name, signature) == true)
        let read = try await h.data(.read, "keys/\(name)")
        #expect(read["imported_key"] == true)
        #expect(read["keys"]?["1"]?["public_key"]?.stringValue?.isEmpty == false)
    }

    @Test func rsaKeyDecryptsOAEPCiphertextMadeOutside() async throws {
        try await seedWrappingKey()
        try await importFixture("rsa")
        let ct = try fixture("rsa").extra
        #expect(unb64(try await h.data(.update, "decrypt/rsa", ["ciphertext": .string(ct)])["plaintext"]) == ImportFixtures.plaintext)
    }

    @Test func hmacKeyMatchesHMACMadeOutside() async throws {
        try await seedWrappingKey()
        try await importFixture("hmac")
        let c = try fixture("hmac")
        #expect(try await h.string(.update, "hmac/hmac", ["input": message], "hmac") == c.data)
        #expect(try await h.data(.update, "verify/hmac", ["input": message, "hmac": .string(c.data)])["valid"] == true)
        let read = try await h.data(.read, "keys/hmac")
        #expect(read["key_size"] == 48)
        #expect(read["imported_key"] == true)
    }

    /// Imported derived keys use OpenBao's HMAC-SHA256 counter-mode KDF, not the HKDF of keys made here.
    @Test func derivedImportedKeyDecryptsOpenBaoCiphertext() async throws {
        try await seedWrappingKey()
        try await importFixture("derived", ["derived": true])
        let c = try fixture("derived")
        #expect(unb64(try await h.data(.update, "decrypt/derived", ["ciphertext": .string(c.data), "context": b64("ctx")])["plaintext"]) == "hello world")
        let read = try await h.data(.read, "keys/derived")
        #expect(read["kdf"] == "hmac-sha256-counter")
        #expect(read["kdf_mode"] == "hmac-sha256-counter")
        #expect(read["convergent_encryption"] == false)
    }

    @Test func derivationFunctionsMatchOpenBao() {
        let key = (0..<32).map { UInt8($0) }
        let counter = KeyGenerator.derive(key, context: Array("ctx".utf8), count: 32, kdf: .hmacSHA256Counter)
        // HMAC-SHA256(key, 00000000 || "ctx" || 00000100)
        #expect(counter == hex("6093f40b8feb4ece4f5bec25381ac36cef3f2bfaf14b7afe5f0fa4e0098a6e12"))
        #expect(KeyGenerator.derive(key, context: Array("ctx".utf8), count: 16, kdf: .hmacSHA256Counter) == Array(counter.prefix(16)))
    }

    @Test func publicKeysOnlyVerifyButDoNotSign() async throws {
        try await importFixture("p384pub")
        let c = try fixture("p384pub")
        #expect(try await verify("p384pub", c.data) == true)
        #expect(await messages("sign/p384pub", ["input": message]) == Self.multi("requested version for signing does not contain a private part"))
        let read = try await h.data(.read, "keys/p384pub")
        #expect(read["keys"]?["1"]?["name"] == "P-384")
        #expect(read["keys"]?["1"]?["public_key"]?.stringValue?.hasPrefix("-----BEGIN PUBLIC KEY-----") == true)
        #expect(read["imported_key"] == true)
        // Export of private material shows the version empty.
        _ = try await h.data(.update, "keys/p384pub/config", ["exportable": true])
        #expect(try await h.data(.read, "export/signing-key/p384pub")["keys"]?["1"] == "")
        #expect(try await h.data(.read, "export/public-key/p384pub")["keys"]?["1"] == read["keys"]?["1"]?["public_key"])
    }

    @Test func privateKeyCompletesAPublicOnlyVersion() async throws {
        try await seedWrappingKey()
        try await importFixture("edpub")
        let c = try fixture("edpub")
        #expect(try await verify("edpub", c.data) == true)
        // Importing the matching private key fills in version 1 rather than adding a version.
        #expect(try await h.send(.update, "keys/edpub/import_version", ["ciphertext": .string(c.extra), "hash_function": "SHA256"]) == nil)
        let read = try await h.data(.read, "keys/edpub")
        #expect(read["latest_version"] == 1)
        let signature = try await h.string(.update, "sign/edpub", ["input": message], "signature")
        #expect(signature == c.data)  // Ed25519 is deterministic.
        #expect(
            await messages("keys/edpub/import_version", ["ciphertext": .string(c.extra), "version": 1])
                == Self.multi("private key imported, key version cannot be updated"))
        #expect(
            await messages("keys/edpub/import_version", ["public_key": .string(c.material), "version": 1])
                == Self.multi("cannot add a public key to a key version that already has a public key set"))
        #expect(await messages("keys/edpub/import_version", ["ciphertext": .string(c.extra), "version": 5]) == Self.multi("no such key version"))
    }

    @Test func rsaPublicKeyEncryptsAndVerifiesButCannotDecrypt() async throws {
        try await seedWrappingKey()
        try await importFixture("rsapub")
        let c = try fixture("rsapub")
        #expect(try await verify("rsapub", c.data, ["signature_algorithm": "pkcs1v15"]) == true)
        let ct = try await h.string(.update, "encrypt/rsapub", ["plaintext": b64("to the owner")], "ciphertext")
        #expect(
            await messages("decrypt/rsapub", ["ciphertext": .string(ct)])
                == Self.multi("cannot decrypt ciphertext, key version does not have a private counterpart"))
        // Another RSA key's private half does not match version 1.
        #expect(
            await messages("keys/rsapub/import_version", ["ciphertext": .string(try fixture("rsa").material), "version": 1])
                == Self.multi("cannot import key, key pair does not match"))
        #expect(try await h.send(.update, "keys/rsapub/import_version", ["ciphertext": .string(c.extra), "version": 1]) == nil)
        #expect(unb64(try await h.data(.update, "decrypt/rsapub", ["ciphertext": .string(ct)])["plaintext"]) == "to the owner")
    }

    @Test func importVersionAddsVersions() async throws {
        try await seedWrappingKey()
        try await importFixture("aes256", as: "k")
        try await importFixture("aes256v2", as: "ignored")
        let v2 = try fixture("aes256v2")
        #expect(try await h.send(.update, "keys/k/import_version", ["ciphertext": .string(v2.material), "type": "ed25519"]) == nil)
        let read = try await h.data(.read, "keys/k")
        #expect(read["latest_version"] == 2)
        #expect(read["keys"]?.objectValue?.count == 2)
        #expect(unb64(try await h.data(.update, "decrypt/k", ["ciphertext": .string(v2.data)])["plaintext"]) == ImportFixtures.plaintext)
        #expect(unb64(try await h.data(.update, "decrypt/k", ["ciphertext": .string(try fixture("aes256").data)])["plaintext"]) == ImportFixtures.plaintext)
        #expect(try await h.data(.update, "encrypt/k", ["plaintext": b64("x")])["key_version"] == 2)
        #expect(
            await messages("keys/k/import_version", ["ciphertext": .string(v2.material), "version": 1])
                == Self.multi("provided type does not support importing key versions"))
    }

    @Test func rotationNeedsAllowRotation() async throws {
        try await seedWrappingKey()
        try await importFixture("aes256", as: "fixed")
        #expect(await messages("keys/fixed/rotate", [:]) == Self.multi("imported key fixed does not allow rotation within Vault"))
        try await importFixture("aes256", as: "free", ["allow_rotation": true, "auto_rotate_period": "2h"])
        let before = try await h.data(.read, "keys/free")
        #expect(before["imported_key_allow_rotation"] == true)
        #expect(before["auto_rotate_period"] == 7200)
        let rotated = try await h.data(.update, "keys/free/rotate")
        #expect(rotated["latest_version"] == 2)
        // Rotated here, the key is no longer an imported key.
        #expect(rotated["imported_key"] == false)
        #expect(rotated["imported_key_allow_rotation"] == nil)
        #expect(
            await messages("keys/free/import_version", ["ciphertext": .string(try fixture("aes256v2").material)])
                == Self.multi("the import_version endpoint can only be used with an imported key"))
    }

    @Test func autoRotationSkipsKeysThatMayNotRotate() async throws {
        try await seedWrappingKey()
        try await importFixture("aes256", as: "fixed")
        _ = try await h.data(.update, "keys/fixed/config", ["auto_rotate_period": "1h"])
        let engine = TransitEngine(now: { Date().addingTimeInterval(7200) })
        let late = Harness(engine: engine)
        for key in try await h.storage.listRecursive(prefix: "") {
            try await late.storage.put(key, try #require(try await h.storage.get(key)))
        }
        #expect(try await late.data(.read, "keys/fixed")["latest_version"] == 1)
    }

    @Test func importErrorsMatchOpenBao() async throws {
        try await seedWrappingKey()
        let aes = try fixture("aes256").material
        try await importFixture("aes256", as: "taken")
        #expect(
            await messages("keys/taken/import", ["ciphertext": .string(aes)])
                == Self.multi("the import path cannot be used with an existing key; use import-version to rotate an existing imported key"))
        #expect(await messages("keys/x/import", ["ciphertext": "!!!"]) == Self.multi("illegal base64 data at input byte 0"))
        #expect(await messages("keys/x/import", ["ciphertext": "YWJj"]) == Self.multi("provided ciphertext is too short"))
        let garbage = Data(repeating: 7, count: 600).base64EncodedString()
        #expect(await messages("keys/x/import", ["ciphertext": .string(garbage)]) == Self.multi("crypto/rsa: decryption error"))
        #expect(await messages("keys/x/import", ["ciphertext": .string(aes), "hash_function": "SHA512"]) == Self.multi("crypto/rsa: decryption error"))
        #expect(await messages("keys/x/import", ["ciphertext": .string(aes), "hash_function": "MD5"]) == ["unknown hash function: MD5"])
        #expect(await h.error(.update, "keys/x/import", ["ciphertext": .string(aes), "type": "foo"])?.code == .invalidRequest)
        #expect(await messages("keys/x/import", ["ciphertext": .string(aes), "type": "foo"]) == ["unknown key type: foo"])
        #expect(await messages("keys/x/import", ["ciphertext": .string(aes), "type": ""]) == ["unknown key type: "])
        #expect(
            await messages("keys/x/import", ["ciphertext": .string(aes), "type": "aes128-gcm96"])
                == Self.multi("error importing key: invalid key size 32 bytes for key type aes128-gcm96"))
        #expect(
            await messages("keys/x/import", ["ciphertext": .string(try fixture("ed").material), "hash_function": "SHA384", "type": "ecdsa-p256"])
                == Self.multi("error importing key: invalid key type: expected ecdsa-p256, got ed25519.PrivateKey"))
        #expect(
            await messages("keys/x/import", ["ciphertext": .string(try fixture("p256").material), "hash_function": "sha224", "type": "ecdsa-p384"])
                == Self.multi("error importing key: invalid curve: expected P-384, got P-256"))
        #expect(
            await messages("keys/x/import", ["ciphertext": .string(try fixture("rsa").material), "type": "rsa-3072"])
                == Self.multi("error importing key: invalid key size: expected 384 bytes, got 256 bytes"))
        #expect(
            await messages("keys/x/import", ["ciphertext": .string(aes), "convergent_encryption": true, "derived": true])
                == Self.multi("import cannot be used on keys with convergent encryption enabled"))
        #expect(
            await messages("keys/x/import", ["ciphertext": .string(aes), "auto_rotate_period": "2h"])
                == Self.multi("allow_rotation must be set to true if auto-rotation is enabled"))
        #expect(await messages("keys/x/import", [:]) == Self.multi("provided type does not support public_key import"))
        #expect(
            await messages("keys/x/import", ["type": "ed25519", "public_key": "garbage"])
                == Self.multi("error importing key: error parsing public key: not in PEM format"))
        #expect(
            await messages("keys/x/import", ["type": "ed25519", "public_key": .string(try fixture("p384pub").material)])
                == Self.multi("error importing key: invalid key type: expected ed25519, got *ecdsa.PublicKey"))
        // A tampered key wrap.
        var bytes = try #require(Data(base64Encoded: aes))
        bytes[bytes.count - 1] ^= 1
        #expect(await messages("keys/x/import", ["ciphertext": .string(bytes.base64EncodedString())]) == Self.multi("kwp: unwrap failed integrity check"))
        #expect(
            await messages("keys/x/import", ["ciphertext": .string(bytes.prefix(bytes.count - 3).base64EncodedString())])
                == Self.multi("kwp: wrapped key size must be a multiple of 8 bytes"))
        #expect(
            await messages("keys/x/import", ["ciphertext": .string(bytes.prefix(520).base64EncodedString())])
                == Self.multi("kwp: wrapped key size too small"))
        #expect(await h.error(.read, "keys/x/import")?.code == .unsupportedOperation)
        #expect(await h.error(.read, "keys/x")?.code == .notFound)

        #expect(
            await messages("keys/missing/import_version", ["ciphertext": .string(aes)])
                == Self.multi("no key found with name missing; to import a new key, use the import/ endpoint"))
        _ = try await h.data(.update, "keys/made-here")
        #expect(
            await messages("keys/made-here/import_version", ["ciphertext": .string(aes)])
                == Self.multi("the import_version endpoint can only be used with an imported key"))
        let short = try KeyImport.wrapForImport(Array(repeating: 1, count: 16), wrappingKeyPEM: try await h.string(.read, "wrapping_key", [:], "public_key"))
        #expect(
            await messages("keys/taken/import_version", ["ciphertext": .string(short)])
                == Self.multi("invalid key size 16 bytes for key type aes256-gcm96"))
    }
}
