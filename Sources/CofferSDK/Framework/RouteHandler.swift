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
