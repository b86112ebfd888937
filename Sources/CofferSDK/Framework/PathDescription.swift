/// A path's declaration without its handlers: what path-help and the OpenAPI document are written from, for
/// engines and the core's own backends alike.
public struct PathDescription: Sendable {
    public var pattern: PathPattern
    public var fields: [Field]
    /// The operations the path serves, with their summaries and whether they are deprecated.
    public var operations: [(operation: Operation, summary: String, deprecated: Bool, noContent: Bool)]
    public var synopsis: String
    public var description: String
    public var createSupported: Bool
    public var unauthenticated: Bool
    public var sudo: Bool

    public init(
        pattern: PathPattern, fields: [Field], operations: [(operation: Operation, summary: String, deprecated: Bool, noContent: Bool)],
        synopsis: String, description: String, createSupported: Bool, unauthenticated: Bool, sudo: Bool
    ) {
        self.pattern = pattern
        self.fields = fields
        self.operations = operations
        self.synopsis = synopsis
        self.description = description
        self.createSupported = createSupported
        self.unauthenticated = unauthenticated
        self.sudo = sudo
    }
}

extension RoutePath {
    public var pathDescription: PathDescription {
        let order: [Operation] = [.read, .list, .create, .update, .patch, .delete]
        let ops = order.compactMap { op -> (operation: Operation, summary: String, deprecated: Bool, noContent: Bool)? in
            guard let h = operations[op], !h.unpublished else { return nil }
            return (op, h.summary, h.deprecated, h.returnsNoContent)
        }
        return PathDescription(
            pattern: pattern, fields: fields, operations: ops, synopsis: synopsis, description: description,
            createSupported: existenceCheck != nil || operations[.create] != nil, unauthenticated: unauthenticated, sudo: sudo)
    }
}

extension Router {
    public var pathDescriptions: [PathDescription] { paths.map(\.pathDescription) }
}

extension SecretsEngine {
    /// An engine not built on the framework declares no paths.
    public var pathDescriptions: [PathDescription] { [] }
}

extension FrameworkEngine {
    public var pathDescriptions: [PathDescription] { Self.router.pathDescriptions }
}
