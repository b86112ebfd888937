import CofferSDK

/// The seal configuration, stored in plaintext at `core/seal-config` (it holds no secret).
public struct SealConfig: Sendable, Equatable {
    public var shares: Int
    public var threshold: Int
}
