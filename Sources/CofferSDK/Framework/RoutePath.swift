/// An engine's path (handlers return `LogicalResponse?`).
public typealias EnginePath<Engine: Sendable> = RoutePath<Engine, LogicalResponse?>
/// An engine path's operation.
public typealias OperationHandler<Engine: Sendable> = RouteHandler<Engine, LogicalResponse?>
/// An engine's route table.
public typealias PathRouter<Engine: Sendable> = Router<Engine, LogicalResponse?>

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
