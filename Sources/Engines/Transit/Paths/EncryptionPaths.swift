import CofferSDK
import Foundation

/// Per-item inputs decoded from base64, with OpenBao's error texts.
struct ItemInputs {
    var context: [UInt8]?
    var nonce: [UInt8]?
    var associatedData: [UInt8]?

    init(_ item: [String: JSONValue]) throws(ItemError) {
        let ctx = item.itemString("context")
        if !ctx.isEmpty {
            let c = try decodeBase64Field(ctx)
            context = c
        }
        let n = item.itemString("nonce")
        if !n.isEmpty {
            let v = try decodeBase64Field(n)
            nonce = v
        }
        let ad = item.itemString("associated_data")
        if !ad.isEmpty {
            let v = try decodeBase64Field(ad)
            associatedData = v
        }
    }
}

/// `encrypt/:name`, `decrypt/:name`, `rewrap/:name`, `datakey/:kind/:name`.
extension TransitEngine {
    /// The single-request fields as one batch item.
    static func singleItem(_ request: LogicalRequest, _ names: [String]) -> [String: JSONValue] {
        var item: [String: JSONValue] = [:]
        for n in names { if let v = request.data[n] { item[n] = v } }
        return item
    }

    /// Assembles a batch response: 400 when every item failed, or when any failed and no
    /// `partial_failure_response_code` is given.
    static func batchResponse(_ results: [JSONValue], failures: Int, request: LogicalRequest, failStatus: Bool = true) throws -> LogicalResponse {
        var resp = LogicalResponse(data: ["batch_results": .array(results)])
        if failures > 0 && failStatus {
            if failures == results.count {
                resp.httpStatus = 400
            } else if let code = try Fields(request.data).int("partial_failure_response_code"), code != 0 {
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

    func encrypt(_ request: LogicalRequest, name: String) async throws -> LogicalResponse? {
        let fields = Fields(request.data)
        let batch = try fields.batch()
        if batch == nil, (try fields.string("plaintext")) == nil {
            throw LogicalError.invalidRequest("missing plaintext to encrypt")
        }
        let items = batch ?? [Self.singleItem(request, ["plaintext", "context", "nonce", "key_version", "associated_data", "reference"])]
        var key = try await loadForUse(request.storage, name)
        if key == nil {
            // Upsert, as OpenBao does: the first encrypt creates the key.
            let typeName = try fields.string("type") ?? "aes256-gcm96"
            guard let type = KeyType(rawValue: typeName.isEmpty ? "aes256-gcm96" : typeName) else {
                throw LogicalError.invalidRequest("unknown key type \(typeName)")
            }
            guard type.supportsEncryption else {
                throw LogicalError.invalidRequest("key type \(type.rawValue) not supported for this operation")
            }
            let derived = !(items.first?.itemString("context").isEmpty ?? true)
            let convergent = try fields.bool("convergent_encryption") ?? false
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
        var results: [JSONValue] = []
        results.reserveCapacity(items.count)
        var failures = 0
        for item in items {
            let reference = item["reference"] ?? .string("")
            do throws(ItemError) {
                let version = try item.itemVersion()
                let plaintext = try decodeBase64Field(item.itemString("plaintext"))
                let inputs = try ItemInputs(item)
                let (ct, v) = try key.encrypt(
                    plaintext, version: version, context: inputs.context, nonce: inputs.nonce, associatedData: inputs.associatedData)
                results.append(["ciphertext": .string(ct), "key_version": .int(Int64(v)), "reference": reference])
            } catch {
                if batch == nil { throw error.logical }
                failures += 1
                results.append(["error": .string(error.message), "reference": reference])
            }
        }
        if batch == nil, case .object(var o) = results[0] {
            o.removeValue(forKey: "reference")
            return LogicalResponse(data: o)
        }
        return try Self.batchResponse(results, failures: failures, request: request)
    }

    func decrypt(_ request: LogicalRequest, name: String) async throws -> LogicalResponse? {
        let fields = Fields(request.data)
        let batch = try fields.batch()
        if batch == nil, (try fields.string("ciphertext") ?? "").isEmpty {
            throw LogicalError.invalidRequest("missing ciphertext to decrypt")
        }
        let items = batch ?? [Self.singleItem(request, ["ciphertext", "context", "nonce", "associated_data", "reference"])]
        guard let key = try await loadForUse(request.storage, name) else { throw LogicalError.invalidRequest(TransitErrors.keyNotFound) }
        var results: [JSONValue] = []
        results.reserveCapacity(items.count)
        var failures = 0
        for item in items {
            let reference = item["reference"] ?? .string("")
            do throws(ItemError) {
                let inputs = try ItemInputs(item)
                let pt = try key.decrypt(item.itemString("ciphertext"), context: inputs.context, associatedData: inputs.associatedData)
                results.append(["plaintext": .string(GoBase64.encode(pt)), "reference": reference])
            } catch {
                if batch == nil { throw error.logical }
                failures += 1
                results.append(["plaintext": "", "error": .string(error.message), "reference": reference])
            }
        }
        if batch == nil, case .object(let o) = results[0] {
            return LogicalResponse(data: ["plaintext": o["plaintext"] ?? ""])
        }
        return try Self.batchResponse(results, failures: failures, request: request)
    }

    func rewrap(_ request: LogicalRequest, name: String) async throws -> LogicalResponse? {
        let fields = Fields(request.data)
        let batch = try fields.batch()
        if batch == nil, (try fields.string("ciphertext") ?? "").isEmpty {
            throw LogicalError.invalidRequest("missing ciphertext to decrypt")
        }
        let items = batch ?? [Self.singleItem(request, ["ciphertext", "context", "nonce", "key_version", "associated_data", "reference"])]
        guard let key = try await loadForUse(request.storage, name) else { throw LogicalError.invalidRequest(TransitErrors.keyNotFound) }
        var results: [JSONValue] = []
        var failures = 0
        for item in items {
            let reference = item["reference"] ?? .string("")
            do throws(ItemError) {
                let version = try item.itemVersion()
                let inputs = try ItemInputs(item)
                let pt = try key.decrypt(item.itemString("ciphertext"), context: inputs.context, associatedData: inputs.associatedData)
                let (ct, v) = try key.encrypt(
                    pt, version: version, context: inputs.context, nonce: inputs.nonce, associatedData: inputs.associatedData)
                results.append(["ciphertext": .string(ct), "key_version": .int(Int64(v)), "reference": reference])
            } catch {
                if batch == nil { throw error.logical }
                failures += 1
                results.append(["error": .string(error.message), "reference": reference])
            }
        }
        if batch == nil, case .object(var o) = results[0] {
            o.removeValue(forKey: "reference")
            return LogicalResponse(data: o)
        }
        return try Self.batchResponse(results, failures: failures, request: request)
    }

    func datakey(_ request: LogicalRequest, kind: String, name: String) async throws -> LogicalResponse? {
        guard kind == "plaintext" || kind == "wrapped" else {
            throw LogicalError.invalidRequest("Invalid path, must be 'plaintext' or 'wrapped'")
        }
        let fields = Fields(request.data)
        let bits = try fields.int("bits") ?? 256
        guard bits == 128 || bits == 256 || bits == 512 else { throw LogicalError.invalidRequest("invalid bit length") }
        let version = try fields.int("key_version") ?? 0
        guard let key = try await loadForUse(request.storage, name) else { throw LogicalError.invalidRequest(TransitErrors.keyNotFound) }
        do throws(ItemError) {
            let inputs = try ItemInputs(Self.singleItem(request, ["context", "nonce", "associated_data"]))
            let newKey = KeyGenerator.randomBytes(Int(bits / 8))
            let (ct, v) = try key.encrypt(
                newKey, version: version, context: inputs.context, nonce: inputs.nonce, associatedData: inputs.associatedData)
            var data: [String: JSONValue] = ["ciphertext": .string(ct), "key_version": .int(Int64(v))]
            if kind == "plaintext" { data["plaintext"] = .string(GoBase64.encode(newKey)) }
            return LogicalResponse(data: data)
        } catch {
            throw error.logical
        }
    }
}
