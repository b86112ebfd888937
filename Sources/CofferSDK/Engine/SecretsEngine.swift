import Logging

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
    /// Releases what the engine holds outside its storage (a database engine's connection pools): called when its
    /// mount is disabled and when the core seals. The engine is not used afterwards.
    func shutdown() async
    /// Revokes many leased secrets of one type at once (each request a `.revoke` with its `secret`), all or nothing.
    /// Answers false when the engine has no batch revocation for them; throws when it failed (the core then revokes
    /// them one by one).
    func revokeSecrets(_ requests: [LogicalRequest]) async throws -> Bool
    /// On a standby that serves reads: another node changed `key` (relative to the engine's storage). An engine that
    /// keeps anything read from storage in memory drops what it derived from that key. Called while no request of
    /// this node runs.
    func invalidate(key: String)
}

extension SecretsEngine {
    public func existenceCheck(_ request: LogicalRequest) async throws -> Bool? { nil }
    public var specialPaths: SpecialPaths { SpecialPaths() }
    public func loginIdentifier(_ request: LogicalRequest) -> String? { nil }
    public func periodic(storage: any LogicalStorage) async throws {}
    public func shutdown() async {}
    public func revokeSecrets(_ requests: [LogicalRequest]) async throws -> Bool { false }
    public func invalidate(key: String) {}
}

public typealias EngineFactory = @Sendable (EngineConfiguration) async throws -> any SecretsEngine
