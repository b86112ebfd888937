/// One request as a path handler sees it: the logical request, the route's fields (body and named segments) and
/// the pattern that matched.
public struct PathRequest: Sendable {
    public var logical: LogicalRequest
    public var fields: FieldData
    /// The declared pattern that matched (`keys/{name}`), for handlers shared by several paths.
    public var pattern: String

    public var operation: Operation { logical.operation }
    public var storage: any LogicalStorage { logical.storage }
    /// The path below the mount.
    public var path: String { logical.path }
    public var data: [String: JSONValue] { logical.data }
}

/// What a path does for one operation.
public struct OperationHandler<Engine: Sendable>: Sendable {
    public let run: @Sendable (Engine, PathRequest) async throws -> LogicalResponse?
    public var summary: String
    public var deprecated: Bool
    /// Responses this operation returns without a body (204) in OpenAPI.
    public var returnsNoContent: Bool

    public init(
        _ summary: String = "", deprecated: Bool = false, noContent: Bool = false,
        _ run: @escaping @Sendable (Engine, PathRequest) async throws -> LogicalResponse?
    ) {
        self.run = run
        self.summary = summary
        self.deprecated = deprecated
        self.returnsNoContent = noContent
    }

    /// From an unapplied method reference: `.init(UserpassEngine.readUser)`.
    public init(
        _ summary: String = "", deprecated: Bool = false, noContent: Bool = false,
        method: @escaping @Sendable (Engine) -> @Sendable (PathRequest) async throws -> LogicalResponse?
    ) {
        self.init(summary, deprecated: deprecated, noContent: noContent) { engine, request in
            try await method(engine)(request)
        }
    }
}

/// A path of an engine, declared once: its pattern, fields, operations, existence check and help. The framework
/// routes requests with it, converts and validates fields by it, answers unsupported paths and operations, and
/// writes path-help and OpenAPI from it.
public struct EnginePath<Engine: Sendable>: Sendable {
    public var pattern: PathPattern
    public var fields: [Field]
    public var operations: [Operation: OperationHandler<Engine>]
    /// For `update` requests: whether the target exists; when it does not, the core checks `create` instead.
    public var existenceCheck: (@Sendable (Engine, PathRequest) async throws -> Bool)?
    public var synopsis: String
    public var description: String
    /// Reachable without a token (login paths).
    public var unauthenticated: Bool
    /// Needs `sudo` in addition to the operation's capability.
    public var sudo: Bool
    /// Takes any fields (a KV secret's data): no unknown-field warning, fields outside the schema kept in `raw`.
    public var takesArbitraryInput: Bool

    public init(
        _ pattern: String,
        fields: [Field] = [],
        operations: [Operation: OperationHandler<Engine>],
        existenceCheck: (@Sendable (Engine, PathRequest) async throws -> Bool)? = nil,
        unauthenticated: Bool = false,
        sudo: Bool = false,
        takesArbitraryInput: Bool = false,
        synopsis: String = "",
        description: String = ""
    ) {
        self.pattern = PathPattern(pattern)
        self.fields = fields
        self.operations = operations
        self.existenceCheck = existenceCheck
        self.unauthenticated = unauthenticated
        self.sudo = sudo
        self.takesArbitraryInput = takesArbitraryInput
        self.synopsis = synopsis
        self.description = description
    }

    /// The pattern as a special-path entry for the core: the literal prefix, with `*` when a capture follows.
    var specialPathEntry: String {
        var out: [String] = []
        for seg in pattern.segments {
            guard case .literal(let l) = seg else { return (out + [""]).joined(separator: "/") + "*" }
            out.append(l)
        }
        return out.joined(separator: "/")
    }
}
