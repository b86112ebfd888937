/// What the core asks of the identity store: implemented by the `identity` engine, injected into the core.
///
/// ```swift
/// let entity = try await identity.resolveLogin(mountAccessor: "auth_userpass_1234", mountType: "userpass",
///                                              mountPath: "auth/userpass/", alias: AuthAlias(name: "alice"))
/// ```
public protocol IdentityResolver: Sendable {
    /// Finds the entity for a login's alias on a mount, creating the entity and the alias when they are new, and
    /// updating the alias metadata. Returns the entity.
    func resolveLogin(mountAccessor: String, mountType: String, mountPath: String, alias: AuthAlias) async throws -> ResolvedEntity
    /// The policies an entity gets from itself and from every group it belongs to (directly or through parent
    /// groups); empty for an unknown or disabled entity.
    func policies(entityID: String) async throws -> [String]
    /// Values for policy path templates: `identity.entity.id`, `identity.entity.name`,
    /// `identity.entity.aliases.<mount accessor>.name`, `identity.entity.aliases.<mount accessor>.metadata.<key>`,
    /// `identity.entity.metadata.<key>`, `identity.groups.names.<name>.id` ...
    func templateValues(entityID: String) async throws -> [String: String]
}

/// An identity entity as the core needs it after a login.
public struct ResolvedEntity: Sendable, Equatable {
    public var id: String
    public var name: String
    public var aliasID: String
    public var disabled: Bool

    public init(id: String, name: String, aliasID: String, disabled: Bool = false) {
        self.id = id
        self.name = name
        self.aliasID = aliasID
        self.disabled = disabled
    }
}
