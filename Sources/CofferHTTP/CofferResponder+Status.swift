import CofferSDK
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Status codes and raw responses: the one place a number becomes an `HTTPResponse.Status`, and the one place a body
/// chosen by engine data (`http_raw_body`) is sent as it is.
extension CofferResponder {
    /// The codes a response may carry: final statuses only. `HTTPResponse.Status(code:)` traps outside 0...999, and a
    /// 1xx written as a final answer would be taken by clients as an interim response followed by stray bytes.
    static let validStatusCodes = 200...599

    /// The checked conversion every response status goes through: `nil` outside ``validStatusCodes``.
    static func checkedStatus(_ code: some BinaryInteger) -> HTTPResponse.Status? {
        guard let c = Int(exactly: code), validStatusCodes.contains(c) else { return nil }
        return HTTPResponse.Status(code: c)
    }

    /// A status the server itself chose (an error's code, an engine's `httpStatus`): one out of range is a bug
    /// somewhere, answered 500 rather than a trap.
    static func serverStatus(_ code: Int) -> HTTPResponse.Status {
        checkedStatus(code) ?? .internalServerError
    }

    /// A response with a body, except for 204 and 304, which carry none: NIO's encoder strips their framing headers,
    /// so body bytes would be read by the client as the start of the next response.
    static func response(status: HTTPResponse.Status, headers: HTTPFields, body: ByteBuffer) -> Response {
        if status.code == 204 || status.code == 304 { return Response(status: status, headers: headers) }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body))
    }

    /// `X-Vault-Raw-Error`: why a raw response could not be built (OpenBao's header, with an empty 500).
    static let rawErrorHeader = HTTPField.Name("X-Vault-Raw-Error") ?? .contentType  // a valid name: never nil

    /// Content types a raw response may declare: those the server's own raw responses use (OIDC discovery and keys,
    /// metrics, certificates). Anything else, such as `text/html` stored in a cubbyhole, is served as `text/plain`.
    static let rawContentTypes: Set<String> = [
        "application/json", "application/jwk-set+json", "application/jwt", "application/pkix-cert", "application/pkix-crl",
        "application/pem-file", "application/x-pem-file", "application/pem-certificate-chain", "application/ocsp-response",
        "application/octet-stream", "text/plain",
        // ACME (RFC 8555): problem documents and JOSE bodies.
        "application/problem+json", "application/jose+json",
    ]

    /// Headers a raw response may set through `http_headers` (an object of name to a string or an array of
    /// strings): the ones an ACME server needs (RFC 8555 §6.5, §7.1, §8.2). Any other name is ignored.
    static let rawHeaderNames: [String: HTTPField.Name] = {
        var out: [String: HTTPField.Name] = [:]
        for n in ["Replay-Nonce", "Location", "Link", "Retry-After"] {
            if let name = HTTPField.Name(n) { out[n.lowercased()] = name }
        }
        return out
    }()

    /// The longest value, and the most values per name, `http_headers` may set.
    static let maxRawHeaderValueLength = 2048
    static let maxRawHeaderValues = 4

    /// The allowed headers of a raw response's `http_headers`: names outside ``rawHeaderNames`` are dropped, as are
    /// values that are not printable ASCII (no CR or LF can split the response) or are too long. `Location` is dropped
    /// on a 3xx status, so that user data served raw (a cubbyhole value read back) cannot turn into a redirect.
    static func safeRawHeaders(_ value: JSONValue?, status: HTTPResponse.Status) -> [(HTTPField.Name, String)] {
        guard let object = value?.objectValue else { return [] }
        var out: [(HTTPField.Name, String)] = []
        for (key, v) in object.sorted(by: { $0.key < $1.key }) {
            guard let name = rawHeaderNames[key.lowercased()] else { continue }
            if name == .location, (300...399).contains(status.code) { continue }
            let values: [String]
            switch v {
            case .string(let s): values = [s]
            case .array(let a): values = a.compactMap(\.stringValue)
            default: values = []
            }
            for text in values.prefix(maxRawHeaderValues)
            where !text.isEmpty && text.utf8.count <= maxRawHeaderValueLength && text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
                out.append((name, text))
            }
        }
        return out
    }

    /// The `Content-Type` to send for a raw response's declared one.
    static func safeRawContentType(_ declared: String?) -> String {
        guard let declared else { return "application/json" }
        let utf8 = declared.utf8
        let end = utf8.firstIndex(of: UInt8(ascii: ";")) ?? utf8.endIndex
        let mediaType = String(decoding: utf8[utf8.startIndex..<end], as: UTF8.self).trimmingWhitespace().lowercased()
        guard rawContentTypes.contains(mediaType) else { return "text/plain" }
        // Parameters (Prometheus' `version=0.0.4`) are kept when they are plain printable ASCII.
        return utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) ? declared : mediaType
    }

    /// A response whose status, type and body come from engine data (`http_status_code`, `http_content_type`,
    /// `http_raw_body`, and a few headers from `http_headers`, see ``safeRawHeaders(_:status:)``). The data may be a user's (a cubbyhole value read back, a wrapped response unwrapped), so
    /// the status is checked, the type is limited to ``rawContentTypes``, and the body can neither be sniffed into
    /// another type nor run scripts (`X-Content-Type-Options: nosniff`, `Content-Security-Policy: sandbox`).
    static func rawResponse(_ data: [String: JSONValue], statusCode: Int64) -> Response {
        var headers = HTTPFields()
        headers.reserveCapacity(4)
        headers[.cacheControl] = "no-store"
        guard let status = checkedStatus(statusCode) else {
            headers[rawErrorHeader] = "invalid status code"
            return Response(status: .internalServerError, headers: headers)
        }
        headers[.contentType] = safeRawContentType(data["http_content_type"]?.stringValue)
        headers[.xContentTypeOptions] = "nosniff"
        headers[.contentSecurityPolicy] = "sandbox"
        for (name, value) in safeRawHeaders(data["http_headers"], status: status) { headers.append(HTTPField(name: name, value: value)) }
        // A binary body (DER) comes base64 in `http_raw_body_base64`.
        if let b64 = data["http_raw_body_base64"]?.stringValue, let bytes = Data(base64Encoded: b64) {
            return response(status: status, headers: headers, body: ByteBuffer(bytes: bytes))
        }
        let body = data["http_raw_body"]?.stringValue ?? ""
        return response(status: status, headers: headers, body: ByteBuffer(string: body))
    }
}
