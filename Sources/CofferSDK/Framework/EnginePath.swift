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

/// What a route's handlers return: an engine's `LogicalResponse?`, or the core's own response type. The router
/// adds its warnings through this, and answers path-help with it.
public protocol RouteOutput: Sendable {
    /// Adds a warning when there is a response to carry it (OpenBao drops warnings of a 204); false when none.
    mutating func addWarning(_ warning: String) -> Bool
    /// The path-help document as this output type.
    static func help(_ data: [String: JSONValue]) -> Self
}

extension Optional: RouteOutput where Wrapped == LogicalResponse {
    /// A response with its own HTTP status (OpenBao's `RespondWithStatusCode`: a tidy's 202, a 404 with data) is
    /// sent as a raw body written before the framework's warnings, so they never reach the client.
    public mutating func addWarning(_ warning: String) -> Bool {
        guard self != nil, self!.httpStatus == nil else { return false }
        self!.warnings.append(warning)
        return true
    }
    public static func help(_ data: [String: JSONValue]) -> LogicalResponse? { LogicalResponse(data: data) }
}

/// An engine's path (handlers return `LogicalResponse?`).
public typealias EnginePath<Engine: Sendable> = RoutePath<Engine, LogicalResponse?>
/// An engine path's operation.
public typealias OperationHandler<Engine: Sendable> = RouteHandler<Engine, LogicalResponse?>
/// An engine's route table.
public typealias PathRouter<Engine: Sendable> = Router<Engine, LogicalResponse?>

/// What a path does for one operation.
public struct RouteHandler<Engine: Sendable, Output: RouteOutput>: Sendable {
    public let run: @Sendable (Engine, PathRequest) async throws -> Output
    public var summary: String
    public var deprecated: Bool
    /// Responses this operation returns without a body (204) in OpenAPI.
    public var returnsNoContent: Bool
    /// Left out of path-help and OpenAPI (OpenBao's `Unpublished`): an operation served only to answer as OpenBao does.
    public var unpublished: Bool

    public init(
        _ summary: String = "", deprecated: Bool = false, noContent: Bool = false, unpublished: Bool = false,
        _ run: @escaping @Sendable (Engine, PathRequest) async throws -> Output
    ) {
        self.run = run
        self.summary = summary
        self.deprecated = deprecated
        self.returnsNoContent = noContent
        self.unpublished = unpublished
    }

    /// From an unapplied method reference: `.init(UserpassEngine.readUser)`.
    public init(
        _ summary: String = "", deprecated: Bool = false, noContent: Bool = false, unpublished: Bool = false,
        method: @escaping @Sendable (Engine) -> @Sendable (PathRequest) async throws -> Output
    ) {
        self.init(summary, deprecated: deprecated, noContent: noContent, unpublished: unpublished) { engine, request in
            try await method(engine)(request)
        }
    }
}

/// A path of an engine, declared once: its pattern, fields, operations, existence check and help. The framework
/// routes requests with it, converts and validates fields by it, answers unsupported paths and operations, and
/// writes path-help and OpenAPI from it.
public struct RoutePath<Engine: Sendable, Output: RouteOutput>: Sendable {
    public var pattern: PathPattern
    public var fields: [Field]
    public var operations: [Operation: RouteHandler<Engine, Output>]
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
        operations: [Operation: RouteHandler<Engine, Output>],
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
