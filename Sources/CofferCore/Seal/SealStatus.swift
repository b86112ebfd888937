import CofferSDK

/// The seal-status view shared by `sys/seal-status`, `sys/unseal` and the health endpoint.
public struct SealStatus: Sendable {
    public var initialized: Bool
    public var sealed: Bool
    public var threshold: Int
    public var shares: Int
    public var progress: Int
    public var nonce: String
    public var clusterName: String
    public var clusterID: String
    public var storageType: String
}
