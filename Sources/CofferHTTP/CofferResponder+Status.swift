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
    ]

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
    /// `http_raw_body`). The data may be a user's (a cubbyhole value read back, a wrapped response unwrapped), so
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
        // A binary body (DER) comes base64 in `http_raw_body_base64`.
        if let b64 = data["http_raw_body_base64"]?.stringValue, let bytes = Data(base64Encoded: b64) {
            return response(status: status, headers: headers, body: ByteBuffer(bytes: bytes))
        }
        let body = data["http_raw_body"]?.stringValue ?? ""
        return response(status: status, headers: headers, body: ByteBuffer(string: body))
    }
}
