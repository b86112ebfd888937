import CofferSDK

/// The result of `sys/init`.
public struct InitResult: Sendable {
    public var keys: [[UInt8]]
    public var rootToken: String
}
