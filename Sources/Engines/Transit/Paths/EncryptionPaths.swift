import CofferSDK
import Foundation

/// Per-item inputs decoded from base64, with OpenBao's error texts. (OpenBao takes no `nonce` any more: one sent
/// in a batch item is ignored.)
struct ItemInputs {
    var context: [UInt8]?
    var associatedData: [UInt8]?

    init(_ item: [String: JSONValue], associatedData readsAssociatedData: Bool = true) throws(ItemError) {
        let ctx = item.itemString("context")
        if !ctx.isEmpty {
            let c = try decodeBase64Field(ctx)
            context = c
        }
        let ad = readsAssociatedData ? item.itemString("associated_data") : ""
        if !ad.isEmpty {
            // OpenBao fails this one as an internal error of its AEAD factory.
            let v = try decodeBase64Field(ad, prefix: "unable to get associated_data/additional_data from factory[0]: ", isInternal: true)
            associatedData = v
        }
    }
}

/// `encrypt/:name`, `decrypt/:name`, `rewrap/:name`, `datakey/:kind/:name`.
extension TransitEngine {
    /// The fields of a single request that make its one item (kept once: encrypt is the hot path).
    static let encryptItemFields = ["plaintext", "context", "key_version", "associated_data"]
    static let decryptItemFields = ["ciphertext", "context", "associated_data"]

    /// Runs `body` on the items of an operation. A single request answers with its one item's fields and fails with
    /// its error. A batch answers `batch_results`: each item's fields, or for a failed one `error` over `failed`'s
    /// fields, with the item's `reference`; with `failureStatus`, the status is 400 when every item failed, or when
    /// any failed and no `partial_failure_response_code` is given.
    static func itemsResponse(
        _ request: PathRequest, batch: Bool, items: [[String: JSONValue]], failed: [String: JSONValue] = [:],
        failureStatus: Bool = false, _ body: ([String: JSONValue]) throws(ItemError) -> [String: JSONValue]
    ) throws -> LogicalResponse {
        guard batch else {
            do throws(ItemError) {
                return LogicalResponse(data: try body(items.first ?? [:]))
            } catch {
                throw error.logical
            }
        }
        var results: [JSONValue] = []
        results.reserveCapacity(items.count)
        var failures = 0
        for item in items {
            var result: [String: JSONValue]
            do throws(ItemError) {
                result = try body(item)
            } catch {
                failures += 1
                result = failed
                result["error"] = .string(error.message)
            }
            result["reference"] = item["reference"] ?? .string("")
            results.append(.object(result))
        }
        var resp = LogicalResponse(data: ["batch_results": .array(results)])
        guard failureStatus else { return resp }
        let partialFailureCode = try request.fields.intIfSet("partial_failure_response_code")
        if failures > 0 {
            if failures == results.count {
                resp.httpStatus = 400
            } else if let code = partialFailureCode, code != 0 {
                // A status from the client: only a real final status is used (HTTP cannot send 1000 or -5).
                if let status = CheckedNumber.value(code, in: 200...599) {
                    resp.httpStatus = Int(status)
                } else {
                    resp.httpStatus = 400
                    resp.warnings.append("invalid HTTP response code override from partial_failure_response_code, reverting to 400")
                }
            } else {
                resp.httpStatus = 400
            }
        }
        return resp
    }

    func encrypt(_ request: PathRequest) async throws -> LogicalResponse? {
        let fields = request.fields
        let name = try fields.string("name")
        let batch = try BatchDecoder.loop(.encrypt).items(fields.sent("batch_input"))
        if batch == nil, !fields.has("plaintext") {
            throw LogicalError.invalidRequest("missing plaintext to encrypt")
        }
        let items = try batch ?? [request.singleItem(Self.encryptItemFields)]
        var key = try await loadForUse(request.storage, name)
        if key == nil {
            // Upsert, as OpenBao does: the first encrypt creates the key.
            let typeName = try fields.string("type")
            guard let type = KeyType(rawValue: typeName.isEmpty ? "aes256-gcm96" : typeName) else {
                throw LogicalError.invalidRequest("unknown key type \(typeName)")
            }
            guard type.supportsEncryption else {
                throw LogicalError.invalidRequest("key type \(type.rawValue) not supported for this operation")
            }
            let derived = !(items.first?.itemString("context").isEmpty ?? true)
            let convergent = try fields.bool("convergent_encryption")
            if convergent && !derived {
                throw LogicalError.invalidRequest("convergent encryption requires derivation to be enabled, so context is required")
            }
            key = try await lock.withLock {
                if let existing = try await loadKey(request.storage, name) { return existing }
                var p = KeyPolicy(name: name, type: type)
                p.derived = derived
                p.convergentEncryption = convergent
                try rotate(&p)
                return try await save(request.storage, p)
            }
        }
        guard let key else { throw LogicalError.invalidRequest(TransitErrors.keyNotFound) }
        return try Self.itemsResponse(request, batch: batch != nil, items: items, failureStatus: true) { item throws(ItemError) in
            let version = try item.itemVersion()
            let plaintext = try decodeBase64Field(item.itemString("plaintext"))
            let inputs = try ItemInputs(item)
            let (ct, v) = try key.encrypt(
                plaintext, version: version, context: inputs.context, associatedData: inputs.associatedData)
            return ["ciphertext": .string(ct), "key_version": .int(Int64(v))]
        }
    }

    /// The items of a decrypt or a rewrap: `batch_input`, or the request's own fields, which need a ciphertext.
    static func ciphertextItems(
        _ request: PathRequest, _ decoder: BatchDecoder, _ names: [String]
    ) throws -> (batch: [[String: JSONValue]]?, items: [[String: JSONValue]]) {
        let batch = try decoder.items(request.fields.sent("batch_input"))
        if batch == nil, try request.fields.string("ciphertext").isEmpty {
            throw LogicalError.invalidRequest("missing ciphertext to decrypt")
        }
        return (batch, try batch ?? [request.singleItem(names)])
    }

    func decrypt(_ request: PathRequest) async throws -> LogicalResponse? {
        let fields = request.fields
        let name = try fields.string("name")
        let (batch, items) = try Self.ciphertextItems(request, .loop(.decrypt), Self.decryptItemFields)
        guard let key = try await loadForUse(request.storage, name) else { throw LogicalError.invalidRequest(TransitErrors.keyNotFound) }
        return try Self.itemsResponse(request, batch: batch != nil, items: items, failed: ["plaintext": ""], failureStatus: true) {
            item throws(ItemError) in
            let inputs = try ItemInputs(item)
            let pt = try key.decrypt(item.itemString("ciphertext"), context: inputs.context, associatedData: inputs.associatedData)
            return ["plaintext": .string(GoBase64.encode(pt))]
        }
    }

    /// OpenBao's rewrap takes no associated data, and answers a batch with 200 whatever its items' errors.
    func rewrap(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try request.fields.string("name")
        let (batch, items) = try Self.ciphertextItems(request, .maps, ["ciphertext", "context", "key_version"])
        guard let key = try await loadForUse(request.storage, name) else { throw LogicalError.invalidRequest(TransitErrors.keyNotFound) }
        return try Self.itemsResponse(request, batch: batch != nil, items: items) { item throws(ItemError) in
            let version = try item.itemVersion()
            let inputs = try ItemInputs(item, associatedData: false)
            let pt = try key.decrypt(item.itemString("ciphertext"), context: inputs.context)
            let (ct, v) = try key.encrypt(pt, version: version, context: inputs.context)
            return ["ciphertext": .string(ct), "key_version": .int(Int64(v))]
        }
    }

    func datakey(_ request: PathRequest) async throws -> LogicalResponse? {
        let fields = request.fields
        let kind = try fields.string("plaintext")
        let name = try fields.string("name")
        guard kind == "plaintext" || kind == "wrapped" else {
            throw LogicalError.invalidRequest("Invalid path, must be 'plaintext' or 'wrapped'")
        }
        let bits = try fields.int("bits")
        guard bits == 128 || bits == 256 || bits == 512 else { throw LogicalError.invalidRequest("invalid bit length") }
        let version = try fields.int("key_version")
        let single = try request.singleItem(["context", "associated_data"])
        guard let key = try await loadForUse(request.storage, name) else { throw LogicalError.invalidRequest(TransitErrors.keyNotFound) }
        do throws(ItemError) {
            let inputs = try ItemInputs(single)
            let newKey = KeyGenerator.randomBytes(Int(bits / 8))
            let (ct, v) = try key.encrypt(
                newKey, version: version, context: inputs.context, associatedData: inputs.associatedData)
            var data: [String: JSONValue] = ["ciphertext": .string(ct), "key_version": .int(Int64(v))]
            if kind == "plaintext" { data["plaintext"] = .string(GoBase64.encode(newKey)) }
            return LogicalResponse(data: data)
        } catch {
            throw error.logical
        }
    }
}
