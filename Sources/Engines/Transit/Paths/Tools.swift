import CofferSDK
import Foundation

/// `random[/source][/bytes]`: random bytes (`sys/tools/random` and the transit mount's `random` path).
///
/// `path` is what follows `random`, without the leading slash: `""`, `"32"`, `"platform"`, `"all/16"`.
public func transitRandom(_ request: LogicalRequest, path: String) throws -> LogicalResponse {
    let fields = Fields(request.data)
    let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    let sources: Set<String> = ["platform", "seal", "all"]
    var source = try fields.string("source") ?? "platform"
    var urlBytes: String?
    switch parts.count {
    case 0: break
    case 1:
        if sources.contains(parts[0]) { source = parts[0] } else { urlBytes = parts[0] }
    case 2:
        source = parts[0]
        urlBytes = parts[1]
    default:
        throw TransitErrors.unsupportedPath
    }
    if source.isEmpty { source = "platform" }
    guard sources.contains(source) else {
        throw LogicalError.invalidRequest("unsupported entropy source \"\(source)\"; must be \"platform\" or \"seal\", or \"all\"")
    }
    var count = try fields.int("bytes") ?? 32
    if let urlBytes {
        guard let n = Int64(urlBytes) else {
            throw LogicalError.invalidRequest(
                "error parsing url-set byte count: strconv.Atoi: parsing \"\(urlBytes)\": \(GoDuration.parseIntFailure(urlBytes))")
        }
        count = n
    }
    let format = try fields.string("format") ?? "base64"
    if count < 1 { throw LogicalError.invalidRequest("'bytes' cannot be less than 1") }
    if count > 128 * 1024 { throw LogicalError.invalidRequest("'bytes' should be less than 131072") }
    let bytes = KeyGenerator.randomBytes(Int(count))
    let text: String
    switch format {
    case "", "base64": text = GoBase64.encode(bytes)
    case "hex": text = hexString(bytes)
    default:
        throw LogicalError.invalidRequest("unsupported encoding format \"\(format)\"; must be \"hex\" or \"base64\"")
    }
    return LogicalResponse(data: ["random_bytes": .string(text)])
}

/// `hash[/algorithm]`: a digest of base64 input (`sys/tools/hash` and the transit mount's `hash` path).
///
/// `path` is what follows `hash`, without the leading slash: `""` or an algorithm such as `"sha2-512"`.
public func transitHash(_ request: LogicalRequest, path: String) throws -> LogicalResponse {
    let fields = Fields(request.data)
    let inputText = try fields.string("input") ?? ""
    var algorithm = try fields.string("algorithm") ?? "sha2-256"
    if !path.isEmpty { algorithm = path }
    if algorithm.isEmpty { algorithm = "sha2-256" }
    let format = try fields.string("format") ?? "hex"
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
    let text = format == "base64" ? GoBase64.encode(sum) : hexString(sum)
    return LogicalResponse(data: ["sum": .string(text)])
}

func hexString(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}
