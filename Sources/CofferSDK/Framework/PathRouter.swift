/// An engine's route table: its declared paths and the trie that matches them, built once per engine type.
///
/// ```swift
/// struct Echo: FrameworkEngine {
///     static let router = PathRouter<Echo>([
///         EnginePath("echo/{name}", fields: [.string("text")], operations: [
///             .update: .init { _, req in LogicalResponse(data: ["text": .string(try req.fields.string("text"))]) }
///         ])
///     ])
/// }
/// ```
public struct Router<Engine: Sendable, Output: RouteOutput>: Sendable {
    public let paths: [RoutePath<Engine, Output>]
    @usableFromInline let trie: PathTrie
    @usableFromInline let schemas: [[String: Field]]
    public let specialPaths: SpecialPaths
    /// The engine's own help text (OpenBao's backend `Help`), shown by path-help on the mount's root.
    public let help: String
    /// Whether a field that fails validation on an unauthenticated path is a 500 rather than the usual 400: OpenBao's
    /// core first looks up the login's alias on methods with user lockout (userpass, ldap, approle), and a bad field
    /// fails that lookup as an internal error. Methods without lockout (jwt) answer 400.
    public let lockoutLookahead: Bool
    /// The leased secrets the engine hands out, by type name.
    public let secretTypes: [String: SecretType<Engine>]

    public init(
        _ paths: [RoutePath<Engine, Output>], secrets: [SecretType<Engine>] = [], help: String = "",
        lockoutLookahead: Bool = true
    ) {
        self.paths = paths
        self.secretTypes = Dictionary(secrets.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        self.trie = PathTrie(paths.map(\.pattern))
        // A named segment the path does not declare is a string field.
        self.schemas = paths.map { p in
            var schema = Dictionary(p.fields.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            for name in p.pattern.parameterNames where schema[name] == nil { schema[name] = Field(name, .string) }
            return schema
        }
        self.specialPaths = SpecialPaths(
            unauthenticated: paths.filter(\.unauthenticated).map(\.specialPathEntry),
            root: paths.filter(\.sudo).map(\.specialPathEntry))
        self.help = help
        self.lockoutLookahead = lockoutLookahead
    }

    // The request path's methods are inlinable: each engine's module specializes them for its own engine type, so
    // a request pays for no generic metadata look-up or copy of an unspecialized `RoutePath` on its way through.

    /// The route a mount-relative path matches, and the request its handlers see.
    @inlinable
    public func resolve(_ request: LogicalRequest) -> (path: RoutePath<Engine, Output>, request: PathRequest)? {
        guard let m = trie.match(request.path) else { return nil }
        return (paths[m.route], pathRequest(request, m))
    }

    /// The request as the matched route's handlers see it: every name of the pattern is laid over the body, an
    /// optional part the path leaves out as "" (OpenBao sets each named group of its regex, matched or not).
    @inlinable
    func pathRequest(_ request: LogicalRequest, _ m: PathTrie.Match) -> PathRequest {
        let pattern = paths[m.route].pattern
        var captures: [(name: String, value: JSONValue)] = []
        if !pattern.parameterNames.isEmpty {
            captures.reserveCapacity(pattern.parameterNames.count)
            for name in pattern.parameterNames {
                captures.append((name, .string(m.captures.first(where: { $0.name == name })?.value ?? "")))
            }
        }
        return PathRequest(
            logical: request, fields: FieldData(body: request.data, captures: captures, schema: schemas[m.route]),
            pattern: pattern.text)
    }

    /// Routes, validates and runs one request: an unknown path or an undeclared operation is the framework's error,
    /// a field that does not convert is refused before the handler runs, and fields the path does not declare are
    /// named in a warning, as OpenBao's framework does.
    @inlinable
    public func handle(_ engine: Engine, _ request: LogicalRequest) async throws -> Output {
        guard let (path, preq) = resolve(request) else { throw LogicalError.noRoute }
        if request.operation == .help { return helpResponse(path, request: request) }
        let handler: RouteHandler<Engine, Output>
        if let h = path.operations[request.operation] {
            handler = h
        } else if request.operation == .create, let h = path.operations[.update] {
            handler = h
        } else {
            throw LogicalError.noOperation
        }
        if let failure = preq.fields.validationFailure() {
            // OpenBao answers a bad field of a login with user lockout with a 500, any other request's with a 400.
            throw LogicalError(
                path.unauthenticated && lockoutLookahead ? .internal : .invalidRequest, "Field validation failed: " + failure)
        }
        var response = try await handler.run(engine, preq)
        if !request.data.isEmpty {
            addFieldWarnings(&response, path, request.data, schema: preq.fields.schema)
        }
        return response
    }

    /// The warnings OpenBao's framework adds about the body: fields the path does not declare, and captured
    /// parameters the body also sent (not null), whatever their value.
    @usableFromInline
    func addFieldWarnings(
        _ response: inout Output, _ path: RoutePath<Engine, Output>, _ data: [String: JSONValue], schema: [String: Field]
    ) {
        if !path.takesArbitraryInput {
            let ignored = data.keys.filter { schema[$0] == nil }.sorted()
            if !ignored.isEmpty {
                _ = response.addWarning("Endpoint ignored these unrecognized parameters: [\(ignored.joined(separator: " "))]")
            }
        }
        let replaced = path.pattern.parameterNames.filter { (data[$0] ?? .null) != .null }
        if !replaced.isEmpty {
            _ = response.addWarning(
                "Endpoint replaced the value of these parameters with the values captured from the endpoint's path: [\(replaced.joined(separator: " "))]")
        }
    }

    /// Whether the target of an `update` exists (nil when the path has no existence check). The fields are
    /// validated first, and a bad one refused without the `Field validation failed: ` prefix, as OpenBao's
    /// existence check does.
    @inlinable
    public func existenceCheck(_ engine: Engine, _ request: LogicalRequest) async throws -> Bool? {
        // Most updates have no existence check: they pay for the match only.
        guard let m = trie.match(request.path), let check = paths[m.route].existenceCheck else { return nil }
        let preq = pathRequest(request, m)
        if let failure = preq.fields.validationFailure() { throw LogicalError.invalidRequest(failure) }
        return try await check(engine, preq)
    }
}

extension Router {
    /// Renews or revokes a leased secret through its declared type (OpenBao's framework answers a type it does not
    /// know, or a renewal the type does not declare, with "unsupported operation").
    public func handleSecret(_ engine: Engine, _ request: LogicalRequest) async throws -> LogicalResponse? {
        guard let name = request.secret?.secretType, let type = secretTypes[name] else { throw LogicalError.noOperation }
        switch request.operation {
        case .revoke:
            try await type.revoke(engine, request)
            return nil
        case .renew:
            guard let renew = type.renew else { throw LogicalError.noOperation }
            return try await renew(engine, request)
        default:
            throw LogicalError.noOperation
        }
    }
}

/// An engine whose paths are declared in a ``PathRouter``: routing, existence checks, special paths and help come
/// from the declarations.
public protocol FrameworkEngine: SecretsEngine {
    static var router: PathRouter<Self> { get }
}

extension FrameworkEngine {
    @inlinable
    public func handle(_ request: LogicalRequest) async throws -> LogicalResponse? {
        if request.secret != nil, request.operation == .renew || request.operation == .revoke {
            return try await Self.router.handleSecret(self, request)
        }
        return try await Self.router.handle(self, request)
    }

    @inlinable
    public func existenceCheck(_ request: LogicalRequest) async throws -> Bool? {
        try await Self.router.existenceCheck(self, request)
    }

    public var specialPaths: SpecialPaths { Self.router.specialPaths }

    public func revokeSecrets(_ requests: [LogicalRequest]) async throws -> Bool {
        guard let name = requests.first?.secret?.secretType, requests.allSatisfy({ $0.secret?.secretType == name }),
            let batch = Self.router.secretTypes[name]?.revokeBatch
        else { return false }
        try await batch(self, requests)
        return true
    }
}
