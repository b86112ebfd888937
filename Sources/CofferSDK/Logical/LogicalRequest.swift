import Foundation

/// One request as an engine sees it: the operation, the path below the mount, the decoded body and the
/// engine's own storage view.
public struct LogicalRequest: Sendable {
    public var id: String
    public var operation: Operation
    /// Path below the mount point, without a leading slash.
    public var path: String
    /// Body fields for writes; query parameters for reads and lists.
    public var data: [String: JSONValue]
    /// The raw Content-Type sent with a PATCH, so engines can enforce merge-patch media types.
    public var contentType: String?
    public var storage: any LogicalStorage
    /// The mount point with a trailing slash, e.g. `secret/`.
    public var mountPoint: String
    public var mountType: String
    public var mountAccessor: String
    /// Options of the mount (`version` for kv).
    public var mountOptions: [String: String]
    /// The accessor of the calling token, if any.
    public var clientTokenAccessor: String?
    public var displayName: String
    /// Whether the caller's token holds the root policy.
    public var isRoot: Bool
    /// The client's IP address (for CIDR bindings such as `secret_id_bound_cidrs`).
    public var remoteAddress: String?
    /// The TLS connection the request came on, nil over plain HTTP (OpenBao's `Connection.ConnState`): the `cert`
    /// auth method reads the client's certificates from it.
    public var tls: TLSConnectionState?
    /// The identity entity of the calling token ("" when it has none).
    public var entityID: String = ""
    /// For `.renew` requests: the auth being renewed, as the engine returned it at login (with `internalData`).
    public var auth: AuthInfo?
    /// For `.renew` and `.revoke` of a leased secret: the secret as the engine issued it, with the lease's id and times.
    public var secret: SecretInfo?

    public init(
        id: String = UUID().uuidString.lowercased(),
        operation: Operation,
        path: String,
        data: [String: JSONValue] = [:],
        contentType: String? = nil,
        storage: any LogicalStorage,
        mountPoint: String = "",
        mountType: String = "",
        mountAccessor: String = "",
        mountOptions: [String: String] = [:],
        clientTokenAccessor: String? = nil,
        displayName: String = "",
        isRoot: Bool = false,
        remoteAddress: String? = nil,
        tls: TLSConnectionState? = nil,
        auth: AuthInfo? = nil
    ) {
        self.id = id
        self.operation = operation
        self.path = path
        self.data = data
        self.contentType = contentType
        self.storage = storage
        self.mountPoint = mountPoint
        self.mountType = mountType
        self.mountAccessor = mountAccessor
        self.mountOptions = mountOptions
        self.clientTokenAccessor = clientTokenAccessor
        self.displayName = displayName
        self.isRoot = isRoot
        self.remoteAddress = remoteAddress
        self.tls = tls
        self.auth = auth
    }
}
