/// Path-help (`GET /v1/<path>?help=1`, `bao path-help`) written from a path's declaration, in OpenBao's layout:
/// the synopsis, the parameters with their types and descriptions, then the description.
extension PathRouter {
    public func helpResponse(_ path: EnginePath<Engine>) -> LogicalResponse {
        LogicalResponse(data: ["help": .string(Self.helpText(path)), "see_also": .null])
    }

    static func helpText(_ path: EnginePath<Engine>) -> String {
        var out = "Request:        \(path.pattern.text)\nMatching Route: \(path.pattern.text)\n\n"
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
