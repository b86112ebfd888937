import Logging

/// Paths of an engine that need special handling by the core.
public struct SpecialPaths: Sendable {
    /// Reachable without a token (login paths).
    public var unauthenticated: [String]
    /// Need `sudo` in addition to the operation's capability. A trailing `*` is a prefix match.
    public var root: [String]

    public init(unauthenticated: [String] = [], root: [String] = []) {
        self.unauthenticated = unauthenticated
        self.root = root
    }
}

/// A secrets engine or auth method mounted at a path. It reads and writes only `request.storage`.
///
/// ```swift
/// struct Echo: SecretsEngine {
///     func handle(_ request: LogicalRequest) async throws -> LogicalResponse? {
///         LogicalResponse(data: request.data)
///     }
/// }
/// ```
public protocol SecretsEngine: Sendable {
    /// Handles one request. Returns `nil` for "no content" (HTTP 204).
    func handle(_ request: LogicalRequest) async throws -> LogicalResponse?
    /// For `update` requests: whether the target exists, so the core can require `create` instead.
    /// `nil` means the engine does not distinguish (update is checked as update).
    func existenceCheck(_ request: LogicalRequest) async throws -> Bool?
    var specialPaths: SpecialPaths { get }
    /// For login requests of auth methods with lockout (userpass, approle): the name failed attempts are counted
    /// under (a username, a role id), or nil when the request is not a login.
    func loginIdentifier(_ request: LogicalRequest) -> String?
    /// Background work the core runs periodically for every mount while unsealed (transit's `auto_rotate_period`).
    func periodic(storage: any LogicalStorage) async throws
    /// The engine's declared paths, for path-help and the OpenAPI document (see ``FrameworkEngine``).
    var pathDescriptions: [PathDescription] { get }
}

extension SecretsEngine {
    public func existenceCheck(_ request: LogicalRequest) async throws -> Bool? { nil }
    public var specialPaths: SpecialPaths { SpecialPaths() }
    public func loginIdentifier(_ request: LogicalRequest) -> String? { nil }
    public func periodic(storage: any LogicalStorage) async throws {}
}

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

public typealias EngineFactory = @Sendable (EngineConfiguration) async throws -> any SecretsEngine
