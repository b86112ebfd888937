import CofferSDK

/// `sys/internal/specs/openapi`: the OpenAPI document of the mounted paths, written from the engines' declarations.
extension Core {
    /// Like OpenBao, the document holds what the caller may reach: every mount for a root token, the mounts the
    /// token has some capability under otherwise, none without a token.
    func openAPIDocument(token: TokenEntry?) async throws -> JSONValue {
        let snap = try currentRouter()
        var mounts: [OpenAPIDocument.Mount] = []
        guard let token else { return OpenAPIDocument.build(version: CofferVersion.apiVersion, mounts: []) }
        for m in snap.mounts.values.sorted(by: { $0.routePath < $1.routePath }) {
            guard try await hasAnyCapability(token, under: m.routePath) else { continue }
            mounts.append(
                OpenAPIDocument.Mount(
                    path: m.routePath, tag: m.isAuth ? "auth" : "secrets", type: m.entry.type, paths: m.engine.pathDescriptions))
        }
        // The token store is an auth mount of the core's own, declared like an engine.
        if try await hasAnyCapability(token, under: "auth/token/") {
            mounts.append(OpenAPIDocument.Mount(path: "auth/token/", tag: "auth", type: "token", paths: TokenBackend.router.pathDescriptions))
        }
        return OpenAPIDocument.build(version: CofferVersion.apiVersion, mounts: mounts)
    }
}
