import CofferSDK
import Foundation
import Testing

@testable import TransitEngine

/// The paths as declared on the framework, answering as OpenBao 2.7.2 does (each expectation checked on `bao`).
@Suite struct FrameworkTests {
    let h = Harness()

    func multi(_ text: String) -> [String] { [LogicalError.multiErrorText(text)] }

    @Test func unknownPathsOperationsAndFields() async throws {
        #expect(await h.error(.update, "keys/k/foo")?.messages == multi("unsupported path"))
        #expect(await h.error(.update, "keys/a b")?.code == .unsupportedPath)
        let e = await h.error(.read, "encrypt/k")
        #expect(e?.code == .unsupportedOperation)
        #expect(e?.messages == multi("unsupported operation"))
        // `nonce` and `reference` are not fields of a single encrypt in OpenBao: ignored, and named.
        let resp = try #require(try await h.send(.update, "encrypt/k", ["plaintext": "aGk=", "nonce": "!!", "reference": "r", "foo": 1]))
        #expect(resp.warnings == ["Endpoint ignored these unrecognized parameters: [foo nonce reference]"])
        #expect(resp.data?["reference"] == nil)
    }

    @Test func fieldValidation() async throws {
        // encrypt has an existence check: its validation error comes without the prefix; other paths have none.
        #expect(
            await h.error(.update, "encrypt/k", ["plaintext": "aGk=", "key_version": "x"])?.messages == [
                "error converting input for field \"key_version\": '' cannot parse value as 'int': strconv.ParseInt: invalid syntax"
            ])
        #expect(
            await h.error(.update, "cache-config", ["size": "x"])?.messages == [
                "Field validation failed: error converting input for field \"size\": '' cannot parse value as 'int': strconv.ParseInt: invalid syntax"
            ])
        #expect(
            await h.error(.update, "hash", ["input": "aGk=", "format": [1]])?.messages == [
                "Field validation failed: error converting input for field \"format\": '' expected type 'string', got unconvertible type '[]interface {}'"
            ])
    }

    @Test func malformedBatchInputIsAGoError() async throws {
        _ = try await h.data(.update, "keys/k")
        _ = try await h.data(.update, "keys/ed", ["type": "ed25519"])
        let cases: [(String, JSONValue, String)] = [
            ("encrypt/k", "x", "source data must be an array or slice, got string"),
            ("decrypt/k", [:], "source data must be an array or slice, got map[string]interface {}"),
            ("encrypt/k", [1, true], "[0] expected a map, got 'json.Number'"),
            ("encrypt/k", [.null], "[0] expected a map, got '<nil>'"),
            ("sign/ed", "x", "'' source data must be an array or slice, got string"),
            ("hmac/k", .double(1.5), "'' source data must be an array or slice, got string"),
            ("verify/ed", [:], "'' source data must be an array or slice, got map"),
            (
                "sign/ed", [1, true, [2]],
                "decoding failed due to the following error(s):\n\n'[0]' expected type 'transit.batchRequestSignItem', got unconvertible type 'json.Number'\n'[1]' expected type 'transit.batchRequestSignItem', got unconvertible type 'bool'\n'[2]' expected type 'transit.batchRequestSignItem', got unconvertible type '[]interface {}'"
            ),
            ("rewrap/k", [1, true], "decoding failed due to the following error(s):\n\n'[0]' expected a map or struct, got \"string\"\n'[1]' expected a map or struct, got \"bool\""),
        ]
        for (path, batch, text) in cases {
            let e = await h.error(.update, path, ["input": "aGk=", "batch_input": batch])
            #expect(e?.code == .internal, "\(path)")
            #expect(e?.messages == multi("failed to parse batch input: " + text), "\(path)")
        }
        for path in ["encrypt/k", "decrypt/k", "rewrap/k", "hmac/k", "sign/ed", "verify/ed"] {
            #expect(await h.error(.update, path, ["batch_input": []])?.messages == ["missing batch input to process"], "\(path)")
        }
        // A null element is an empty item for the paths that decode with mapstructure; a batch item needs its input.
        let signed = try await h.data(.update, "sign/ed", ["batch_input": [.null, ["input": ""]]])
        let results = signed["batch_results"]?.arrayValue ?? []
        #expect(results.first == ["key_version": 0, "error": "missing input", "reference": ""])
        #expect(results.last?["signature"] != nil)
        let macs = try await h.data(.update, "hmac/k", ["batch_input": [[:]]])["batch_results"]?.arrayValue
        #expect(macs?.first?["error"] == "missing input for HMAC")
    }

    @Test func batchItemsDecodeAsOpenBaosGoTypes() async throws {
        _ = try await h.data(.update, "keys/k")
        _ = try await h.data(.update, "keys/ed", ["type": "ed25519"])
        // hmac, sign and verify items are maps of strings: numbers are their text, a null is "", a bool is refused.
        let macs = try await h.data(.update, "hmac/k", ["batch_input": [["input": 1, "reference": 2], ["input": .null]]])
        #expect(macs["batch_results"]?.arrayValue?.first?["reference"] == "2")
        #expect(macs["batch_results"]?.arrayValue?.last?["hmac"] != nil)
        #expect(
            await h.error(.update, "sign/ed", ["batch_input": [["input": [1], "reference": true]]])?.messages == multi(
                "failed to parse batch input: decoding failed due to the following error(s):\n\n'[0][input]' expected type 'string', got unconvertible type '[]interface {}'\n'[0][reference]' expected type 'string', got unconvertible type 'bool'"
            ))
        // rewrap's items are OpenBao's BatchRequestItem: fields checked in its order.
        #expect(
            await h.error(.update, "rewrap/k", ["batch_input": [["ciphertext": true, "context": [1], "key_version": .double(1.5), "reference": .null]]])?
                .messages == multi(
                    "failed to parse batch input: decoding failed due to the following error(s):\n\n'[0].context' expected type 'string', got unconvertible type '[]interface {}'\n'[0].ciphertext' expected type 'string', got unconvertible type 'bool'\n'[0].key_version' cannot parse value as 'int': strconv.ParseInt: parsing \"1.5\": invalid syntax"
                ))
        #expect(
            await h.error(.update, "rewrap/k", ["batch_input": [["ciphertext": "x", "key_version": "1"]]])?.messages == multi(
                "failed to parse batch input: decoding failed due to the following error(s):\n\n'[0].key_version' expected type 'int', got unconvertible type 'string'"))
        // encrypt and decrypt check each item themselves, every problem listed.
        #expect(
            await h.error(.update, "encrypt/k", ["batch_input": [["plaintext": 1, "context": 1, "associated_data": 1, "reference": 1, "key_version": "x", "nonce": 1]]])?
                .messages == multi(
                    "failed to parse batch input: '[0].context' expected type 'string', got unconvertible type 'json.Number'\n'[0].plaintext' expected type 'string', got unconvertible type 'json.Number'\n'[0].key_version' expected type 'int', got unconvertible type 'string'\n'[0].associated_data' expected type 'string', got unconvertible type 'json.Number'\n'[0].reference' expected type 'string', got unconvertible type 'json.Number'"
                ))
        #expect(
            await h.error(.update, "decrypt/k", ["batch_input": [["context": 1]]])?.messages == multi(
                "failed to parse batch input: '[0].context' expected type 'string', got unconvertible type 'json.Number'\n'[0].ciphertext' missing ciphertext to decrypt"))
    }

    @Test func keyOptionsThisServerDoesNotServe() async throws {
        #expect(await h.error(.update, "keys/x", ["external_key_ref": "r"])?.messages == ["must provide type=external-key to use external_key_ref"])
        _ = try await h.data(.update, "keys/k")
        #expect(await h.error(.update, "keys/k/rotate", ["external_key_ref": "r"])?.messages == ["cannot use external_key_ref on key of type aes256-gcm96"])
        #expect(await h.error(.update, "keys/h", ["type": "hmac", "key_size": 10])?.messages == ["invalid key_size 10"])
        #expect(
            try await h.send(.update, "random/seal/8")?.warnings == ["no seal/entropy augmentation available, using platform entropy source"])
    }

    @Test func rewrapAnswersBatchesWith200AndIgnoresAssociatedData() async throws {
        _ = try await h.data(.update, "keys/k")
        let resp = try #require(try await h.send(.update, "rewrap/k", ["batch_input": [["ciphertext": "x"], ["ciphertext": "vault:v1:abc"]]]))
        #expect(resp.httpStatus == nil)
        #expect(resp.data?["batch_results"]?.arrayValue?.first?["error"] == "invalid ciphertext: no prefix")
        let ct = try await h.string(.update, "encrypt/k", ["plaintext": "aGk=", "associated_data": "YWQ="], "ciphertext")
        let e = await h.error(.update, "rewrap/k", ["ciphertext": .string(ct), "associated_data": "YWQ="])
        #expect(e?.messages == ["cipher: message authentication failed"])
        // Bad associated data is an internal error of OpenBao's AEAD factory.
        let bad = await h.error(.update, "encrypt/k", ["plaintext": "aGk=", "associated_data": "!!"])
        #expect(bad?.code == .internal)
        #expect(bad?.messages == multi("unable to get associated_data/additional_data from factory[0]: illegal base64 data at input byte 0"))
    }

    @Test func cacheConfigIsKept() async throws {
        #expect(try await h.data(.read, "cache-config")["size"] == 0)
        #expect(await h.error(.update, "cache-config", ["size": 5])?.messages == ["size must be 0 or a value greater or equal to 10"])
        #expect(await h.error(.update, "cache-config", ["size": -1])?.messages == ["size must be 0 or a value greater or equal to 10"])
        #expect(try await h.data(.update, "cache-config", ["size": 12])["size"] == 12)
        #expect(try await h.data(.read, "cache-config")["size"] == 12)
    }

    @Test func optionalSegmentsComeFromThePathOnly() async throws {
        // OpenBao lays an unmatched optional segment over the body as "": the body's value is not used.
        let sum = try await h.data(.update, "hash", ["input": "aGk=", "urlalgorithm": "sha2-512"])["sum"]?.stringValue
        #expect(sum?.count == 64)
        #expect(await h.error(.update, "hash/a b", ["input": "aGk="])?.messages == ["unsupported algorithm a b"])
        #expect(try await h.send(.update, "random", ["source": "foo"]) != nil)
        // A segment that is not a source name is the byte count; one that is not a name at all is ignored.
        #expect(await h.error(.update, "random/a-b.c")?.messages == ["error parsing url-set byte count: strconv.Atoi: parsing \"a-b.c\": invalid syntax"])
        #expect(await h.error(.update, "random/a/b")?.messages == ["error parsing url-set byte count: strconv.Atoi: parsing \"b\": invalid syntax"])
        #expect(try await h.data(.update, "random/a b", ["bytes": 4])["random_bytes"]?.stringValue?.count == 8)
        _ = try await h.data(.update, "keys/bk", ["exportable": true, "allow_plaintext_backup": true])
        let backup = try await h.string(.read, "backup/bk", [:], "backup")
        let exists = await h.error(.update, "restore", ["backup": .string(backup), "name": "fromBody"])
        #expect(exists?.messages == multi("key \"bk\" already exists"))
    }

    @Test func systemToolsReadThePathLikeTheMount() throws {
        // sys/tools/ checks the fields and names unknown ones itself; the body's `source` is not used.
        let request = h.request(.update, "x", ["bytes": 4, "source": "bogus"])
        #expect(try transitRandom(request, path: "").data?["random_bytes"]?.stringValue?.count == 8)
        let e = #expect(throws: LogicalError.self) { try transitRandom(request, path: "all/4/5") }
        #expect(e?.messages == ["error parsing url-set byte count: strconv.Atoi: parsing \"4/5\": invalid syntax"])
        #expect(try transitHash(h.request(.update, "x", ["input": "aGk="]), path: "sha2-512").data?["sum"]?.stringValue?.count == 128)
    }

    @Test func optionalPartsTakeSlashesAndErrorsComeInOpenBaosOrder() async throws {
        _ = try await h.data(.update, "keys/k")
        #expect(await h.error(.update, "hmac/k/a/b", ["input": "aGk="])?.messages == ["unsupported algorithm '\\x00'"])
        #expect(await h.error(.update, "hmac/nokey/bad", ["batch_input": "x"])?.messages == ["encryption key not found"])
        #expect(await h.error(.update, "hmac/k/none", ["batch_input": "x"])?.messages == ["algorithm cannot be none"])
        #expect(await h.error(.update, "hmac/k/")?.code == .unsupportedPath)
        #expect(await h.error(.update, "hash/a/b", ["input": "aGk="])?.messages == ["unsupported algorithm a/b"])
        #expect(await h.error(.update, "restore/a/b", ["backup": "!!"])?.messages == multi("key names cannot be paths"))
        #expect(await h.error(.read, "export/encryption-key/k/a/b")?.messages == ["private key material is not exportable"])
        // verify reads hash_algorithm before algorithm for an HMAC too.
        let mac = try await h.string(.update, "hmac/k/sha2-512", ["input": "aGk="], "hmac")
        #expect(try await h.data(.update, "verify/k", ["input": "aGk=", "hmac": .string(mac), "hash_algorithm": "sha2-512"])["valid"] == true)
        #expect(
            try await h.data(.update, "verify/k", ["input": "aGk=", "hmac": .string(mac), "hash_algorithm": "sha2-256", "algorithm": "sha2-512"])["valid"]
                == false)
        #expect(await h.error(.update, "verify/k/none", ["input": "aGk=", "hmac": .string(mac)])?.messages == ["algorithm cannot be none"])
    }

    @Test func capturesReplaceTheBodyWithAWarning() async throws {
        // OpenBao names a captured parameter the body also sent, even with the same value or when the optional
        // part is absent from the path.
        let replaced = { (name: String) in "Endpoint replaced the value of these parameters with the values captured from the endpoint's path: [\(name)]" }
        #expect(try await h.send(.update, "encrypt/k", ["plaintext": "aGk=", "name": "k"])?.warnings == [replaced("name")])
        #expect(try await h.send(.update, "random", ["source": "foo", "bytes": 4])?.warnings == [replaced("source")])
        #expect(try await h.send(.update, "hash", ["input": "aGk=", "urlalgorithm": "sha2-512", "zz": 1])?.warnings == [
            "Endpoint ignored these unrecognized parameters: [zz]", replaced("urlalgorithm"),
        ])
    }

    @Test func keysHaveNoExistenceCheck() async throws {
        // Creating a key is an update in OpenBao (a create-only policy cannot make one); encrypt upserts on create.
        #expect(try await Harness().engine.existenceCheck(h.request(.update, "keys/new")) == nil)
        #expect(try await h.engine.existenceCheck(h.request(.update, "encrypt/new", ["plaintext": "aGk="])) == false)
    }
}
