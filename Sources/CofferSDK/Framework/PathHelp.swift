/// Path-help (`GET /v1/<path>?help=1`, `bao path-help`) written from a path's declaration, in OpenBao's layout:
/// the synopsis, the parameters with their types and descriptions, then the description.
extension Router {
    /// `{"help": …, "openapi": …, "see_also": null}`, which the HTTP layer sends as it is (no response envelope).
    public func helpResponse(_ path: RoutePath<Engine, Output>, request: LogicalRequest) -> Output {
        let mount = OpenAPIDocument.Mount(path: "", tag: request.mountPoint.hasPrefix("auth/") ? "auth" : "secrets", type: "", paths: [path.pathDescription])
        return Output.help([
            "help": .string(Self.helpText(path, requested: request.path)),
            "openapi": OpenAPIDocument.build(version: CofferSDKInfo.apiVersion, mounts: [mount]),
            "see_also": .null,
        ])
    }

    static func helpText(_ path: RoutePath<Engine, Output>, requested: String) -> String {
        var out = "Request:        \(requested)\nMatching Route: \(path.pattern.regex)\n\n"
        out += path.synopsis.trimmingWhitespace()
        if !path.fields.isEmpty {
            out += "\n\n## PARAMETERS\n"
            for f in path.fields.sorted(by: { $0.name < $1.name }) {
                out += "\n    \(f.name) (\(f.type.helpName))\n"
                let text = f.description.trimmingWhitespace()
                if !text.isEmpty {
                    out += "\n" + text.split(separator: "\n", omittingEmptySubsequences: false).map { "        " + $0 }.joined(separator: "\n") + "\n"
                }
            }
        }
        let description = path.description.trimmingWhitespace()
        if !description.isEmpty { out += "\n## DESCRIPTION\n\n" + description + "\n" }
        return out
    }
}
