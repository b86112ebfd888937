import CofferSDK
import Foundation

/// `hmac/:name[/:algorithm]`, `sign/:name[/:algorithm]`, `verify/:name[/:algorithm]`.
extension TransitEngine {
    /// The hash of a signature (`hash_algorithm`, or its older name `algorithm`), or of an HMAC to verify (checked
    /// with the signature options, as OpenBao does); the path's algorithm wins.
    static func hashAlgorithm(_ request: PathRequest) throws -> HashAlgorithm {
        let fields = request.fields
        var name = try fields.string("urlalgorithm")
        if name.isEmpty { name = try fields.string("hash_algorithm") }
        if name.isEmpty { name = try fields.string("algorithm") }
        guard let alg = HashAlgorithm(rawValue: name.isEmpty ? "sha2-256" : name) else {
            throw LogicalError.invalidRequest("invalid hash algorithm \"\(name)\"")
        }
        return alg
    }

    /// The hash of an HMAC, with OpenBao's texts (it prints an unknown name as the zero of its hash type).
    static func hmacAlgorithm(_ request: PathRequest) throws -> HashAlgorithm {
        var name = try request.fields.string("urlalgorithm")
        if name.isEmpty { name = try request.fields.string("algorithm") }
        guard let alg = HashAlgorithm(rawValue: name.isEmpty ? "sha2-256" : name) else {
            throw LogicalError.invalidRequest("unsupported algorithm '\\x00'")
        }
        if alg == .none { throw LogicalError.invalidRequest("algorithm cannot be none") }
        return alg
    }

    func hmac(_ request: PathRequest) async throws -> LogicalResponse? {
        let fields = request.fields
        let name = try fields.string("name")
        // OpenBao's order: the key, then the algorithm, then the input.
        guard let key = try await loadForUse(request.storage, name) else { throw LogicalError.invalidRequest(TransitErrors.keyNotFound) }
        let alg = try Self.hmacAlgorithm(request)
        let batch = try BatchDecoder.structs(goType: "transit.batchRequestHMACItem").items(fields.sent("batch_input"))
        if batch == nil, !fields.has("input") { throw LogicalError.invalidRequest("missing input for HMAC") }
        let items = try batch ?? [request.singleItem(["input", "key_version"])]
        let defaultVersion = try fields.int("key_version")
        return try Self.itemsResponse(request, batch: batch != nil, items: items) { item throws(ItemError) in
            if batch != nil, item.lacks("input") { throw ItemError("missing input for HMAC") }
            let input = try decodeBase64Field(item.itemString("input"), prefix: "unable to decode input as base64: ")
            let version = item.itemInt("key_version") ?? defaultVersion
            return ["hmac": .string(try key.hmac(input, version: version, algorithm: alg))]
        }
    }

    func signOptions(_ request: PathRequest) throws -> SignOptions {
        let fields = request.fields
        var o = SignOptions()
        o.hashAlgorithm = try Self.hashAlgorithm(request)
        o.prehashed = try fields.bool("prehashed")
        o.signatureAlgorithm = try fields.string("signature_algorithm")
        o.marshaling = try fields.string("marshaling_algorithm")
        if o.marshaling.isEmpty { o.marshaling = "asn1" }
        guard o.marshaling == "asn1" || o.marshaling == "jws" else {
            throw LogicalError.invalidRequest("invalid marshaling type \"\(o.marshaling)\"")
        }
        o.saltLength = try fields.string("salt_length")
        do throws(ItemError) {
            _ = try SignOptions.parseSaltLength(o.saltLength)
        } catch {
            throw error.logical
        }
        return o
    }

    /// The decoded `input` of a sign or verify item (a batch item must have one).
    static func itemInput(_ item: [String: JSONValue], batch: Bool) throws(ItemError) -> [UInt8] {
        if batch, item.lacks("input") { throw ItemError("missing input") }
        return try decodeBase64Field(item.itemString("input"), prefix: "unable to decode input as base64: ")
    }

    func sign(_ request: PathRequest) async throws -> LogicalResponse? {
        let fields = request.fields
        let name = try fields.string("name")
        let options = try signOptions(request)
        guard let key = try await loadForUse(request.storage, name) else { throw LogicalError.invalidRequest("signing key not found") }
        guard key.policy.type.supportsSigning else {
            throw LogicalError.invalidRequest("key type \(key.policy.type.rawValue) does not support signing")
        }
        let batch = try BatchDecoder.structs(goType: "transit.batchRequestSignItem").items(fields.sent("batch_input"))
        let items = try batch ?? [request.singleItem(["input", "context", "key_version"])]
        return try Self.itemsResponse(request, batch: batch != nil, items: items, failed: ["key_version": 0]) { item throws(ItemError) in
            let input = try Self.itemInput(item, batch: batch != nil)
            let itemOptions = try options.with(context: item)
            let (sig, v) = try key.sign(input, version: try item.itemVersion(), options: itemOptions)
            return ["signature": .string(sig), "key_version": .int(Int64(v))]
        }
    }

    func verify(_ request: PathRequest) async throws -> LogicalResponse? {
        let fields = request.fields
        let name = try fields.string("name")
        let batch = try BatchDecoder.structs(goType: "transit.batchRequestVerifyItem").items(fields.sent("batch_input"))
        let items = try batch ?? [request.singleItem(["input", "context", "signature", "hmac"])]
        if batch == nil {
            if !fields.has("signature") && !fields.has("hmac") {
                throw LogicalError.invalidRequest("neither a 'signature' nor an 'hmac' were given to verify")
            }
        } else {
            let withSig = items.filter { $0["signature"] != nil }.count
            let withMAC = items.filter { $0["hmac"] != nil }.count
            if withSig > 0 && withSig != items.count {
                throw LogicalError.invalidRequest("some elements of batch_input are missing 'signature'")
            }
            if withMAC > 0 && withMAC != items.count {
                throw LogicalError.invalidRequest("some elements of batch_input are missing 'hmac'")
            }
            if withSig == 0 && withMAC == 0 {
                throw LogicalError.invalidRequest("neither a 'signature' nor an 'hmac' were given to verify")
            }
        }
        let isSignature = items.first?["signature"] != nil
        let options = try signOptions(request)
        let macAlgorithm = options.hashAlgorithm
        guard let key = try await loadForUse(request.storage, name) else {
            throw LogicalError.invalidRequest(isSignature ? "signature verification key not found" : TransitErrors.keyNotFound)
        }
        if !isSignature && macAlgorithm == .none { throw LogicalError.invalidRequest("algorithm cannot be none") }
        if isSignature && !key.policy.type.supportsSigning {
            throw LogicalError.invalidRequest("key type \(key.policy.type.rawValue) does not support verification")
        }
        return try Self.itemsResponse(request, batch: batch != nil, items: items, failed: ["valid": false]) { item throws(ItemError) in
            let input = try Self.itemInput(item, batch: batch != nil)
            if isSignature {
                return ["valid": .bool(try key.verify(input, signature: item.itemString("signature"), options: try options.with(context: item)))]
            }
            return ["valid": .bool(try key.verifyHMAC(input, hmac: item.itemString("hmac"), algorithm: macAlgorithm))]
        }
    }
}
