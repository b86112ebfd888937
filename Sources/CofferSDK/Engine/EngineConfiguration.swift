import Logging

/// What an engine is given when it is mounted.
public struct EngineConfiguration: Sendable {
    public var mountPath: String
    public var type: String
    public var options: [String: String]
    public var logger: Logger

    public init(mountPath: String, type: String, options: [String: String] = [:], logger: Logger) {
        self.mountPath = mountPath
        self.type = type
        self.options = options
        self.logger = logger
    }
}
