import Logging

/// What an engine is given when it is mounted.
public struct EngineConfiguration: Sendable {
    public var mountPath: String
    public var type: String
    public var options: [String: String]
    public var logger: Logger
    /// Passwords from the server's password policies (``PasswordSource``).
    public var passwords: any PasswordSource
    /// This mount's rotation schedule, when the core keeps one (see ``RotatingEngine``).
    public var rotations: (any RotationScheduling)?

    public init(
        mountPath: String, type: String, options: [String: String] = [:], logger: Logger,
        passwords: any PasswordSource = DefaultPasswordSource(), rotations: (any RotationScheduling)? = nil
    ) {
        self.mountPath = mountPath
        self.type = type
        self.options = options
        self.logger = logger
        self.passwords = passwords
        self.rotations = rotations
    }
}
