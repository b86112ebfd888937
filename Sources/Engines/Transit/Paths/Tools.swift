import CofferSDK
import Foundation

/// `sys/tools/random[/source][/bytes]`: random bytes, served by the transit mount's `random` path.
///
/// `path` is what follows `random`, without the leading slash: `""`, `"32"`, `"platform"`, `"all/16"`.
public func transitRandom(_ request: LogicalRequest, path: String) throws -> LogicalResponse {
    try TransitEngine.tool(request, path.isEmpty ? "random" : "random/" + path, TransitEngine.random)
}

/// `sys/tools/hash[/algorithm]`: a digest of base64 input, served by the transit mount's `hash` path.
///
/// `path` is what follows `hash`, without the leading slash: `""` or an algorithm such as `"sha2-512"`.
public func transitHash(_ request: LogicalRequest, path: String) throws -> LogicalResponse {
    try TransitEngine.tool(request, path.isEmpty ? "hash" : "hash/" + path, TransitEngine.hash)
}

extension TransitEngine {
    static let randomFields: [Field] = [
        Field("bytes", .int, default: .int(32), "Number of bytes to return."),
        Field("urlbytes", .string, "Number of bytes, given in the path."),
        Field("format", .string, default: "base64", "Encoding of the output: base64 or hex."),
        Field("source", .string, default: "platform", "Source of randomness: platform, seal or all."),
    ]

    static let hashFields: [Field] = [
        Field("input", .string, "Base64 input data."),
        Field("algorithm", .string, default: "sha2-256", "Hash algorithm: sha2-224, sha2-256, sha2-384, sha2-512, sha3-224, sha3-256, sha3-384 or sha3-512."),
        urlAlgorithm,
        Field("format", .string, default: "hex", "Encoding of the output: hex or base64."),
    ]

    /// Runs the `random` or `hash` path for `sys/tools/`, whose own route has already checked the fields and named
    /// the unknown ones: `path` is the transit path, so its optional parts are read as on the mount.
    static func tool(_ request: LogicalRequest, _ path: String, _ run: (PathRequest) throws -> LogicalResponse) throws -> LogicalResponse {
        var request = request
        request.path = path
        guard let (_, preq) = router.resolve(request) else { throw LogicalError.noRoute }
        return try run(preq)
    }

    /// OpenBao reads the byte count from the path's second segment, or from its only one when that is not a source
    /// name, and `bytes` only when the path names neither.
    static func random(_ request: PathRequest) throws -> LogicalResponse {
        let sources: Set<String> = ["platform", "seal", "all"]
        let pathSource = try request.fields.string("source")
        let urlBytes = try request.fields.string("urlbytes")
        var source = "platform"
        var count = try request.fields.int("bytes")
        var countText: String?
        if !pathSource.isEmpty {
            if urlBytes.isEmpty && sources.contains(pathSource) {
                source = pathSource
            } else if urlBytes.isEmpty {
                countText = pathSource
            } else {
                source = pathSource
                countText = urlBytes
            }
        }
        if let countText {
            guard let n = Int64(countText) else {
                throw LogicalError.invalidRequest(
                    "error parsing url-set byte count: strconv.Atoi: parsing \"\(countText)\": \(GoDuration.parseIntFailure(countText))")
            }
            count = n
        }
        guard sources.contains(source) else {
            throw LogicalError.invalidRequest("unsupported entropy source \"\(source)\"; must be \"platform\" or \"seal\", or \"all\"")
        }
        let format = try request.fields.string("format")
        if count < 1 { throw LogicalError.invalidRequest("'bytes' cannot be less than 1") }
        if count > 128 * 1024 { throw LogicalError.invalidRequest("'bytes' should be less than 131072") }
        let bytes = KeyGenerator.randomBytes(Int(count))
        let text: String
        switch format {
        case "", "base64": text = GoBase64.encode(bytes)
        case "hex": text = hexEncoded(bytes)
        default:
            throw LogicalError.invalidRequest("unsupported encoding format \"\(format)\"; must be \"hex\" or \"base64\"")
        }
        var response = LogicalResponse(data: ["random_bytes": .string(text)])
        // This server has no seal entropy to add, as OpenBao says of a seal without it.
        if source == "seal" { response.warnings.append("no seal/entropy augmentation available, using platform entropy source") }
        return response
    }

    static func hash(_ request: PathRequest) throws -> LogicalResponse {
        let inputText = try request.fields.string("input")
        var algorithm = try request.fields.string("urlalgorithm")
        if algorithm.isEmpty { algorithm = try request.fields.string("algorithm") }
        if algorithm.isEmpty { algorithm = "sha2-256" }
        let format = try request.fields.string("format")
        if inputText.isEmpty { throw LogicalError.invalidRequest("input missing") }
        let input: [UInt8]
        do throws(GoBase64.DecodeError) {
            input = try GoBase64.decode(inputText)
        } catch {
            throw LogicalError.invalidRequest("unable to decode input as base64: \(error.description)")
        }
        switch format {
        case "", "hex", "base64": break
        default: throw LogicalError.invalidRequest("unsupported encoding format \(format); must be \"hex\" or \"base64\"")
        }
        guard let alg = HashAlgorithm(rawValue: algorithm), alg != .none, let sum = alg.digest(input) else {
            throw LogicalError.invalidRequest("unsupported algorithm \(algorithm)")
        }
        let text = format == "base64" ? GoBase64.encode(sum) : hexEncoded(sum)
        return LogicalResponse(data: ["sum": .string(text)])
    }
}
