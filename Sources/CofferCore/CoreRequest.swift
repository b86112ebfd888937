import CofferSDK

/// A request after HTTP decoding.
public struct CoreRequest: Sendable {
    public var id: String
    public var operation: CofferSDK.Operation
    /// Without the `/v1/` prefix or a leading slash.
    public var path: String
    public var data: [String: JSONValue]
    public var token: String?
    public var contentType: String?
    /// From `X-Vault-Wrap-TTL`: wrap the response in a single-use token living this many seconds.
    public var wrapTTL: Int64?
    /// The client's IP address.
    public var remoteAddress: String?
    /// The TLS connection the request came on (nil over plain HTTP), with the client's certificates.
    public var tls: TLSConnectionState?

    public init(
        id: String, operation: CofferSDK.Operation, path: String, data: [String: JSONValue] = [:], token: String? = nil, contentType: String? = nil,
        wrapTTL: Int64? = nil, remoteAddress: String? = nil, tls: TLSConnectionState? = nil
    ) {
        self.remoteAddress = remoteAddress
        self.tls = tls
        self.id = id
        self.operation = operation
        self.path = path
        self.data = data
        self.token = token
        self.contentType = contentType
        self.wrapTTL = wrapTTL
    }
}
