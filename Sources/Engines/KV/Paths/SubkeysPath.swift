import CofferSDK
import Foundation

/// `<mount>/subkeys/<path>`: the structure of a version with every leaf value replaced by null.
extension KVv2Engine {
    func readSubkeys(_ request: PathRequest) async throws -> LogicalResponse? {
        let path = try request.fields.string("path")
        let requested = try request.fields.int("version")
        let depth = try request.fields.int("depth")
        let (meta, version, data) = try await Self.loadVersion(request.storage, path, requested)
        guard let data else {
            return LogicalResponse(data: ["metadata": meta.versionResponse(version), "subkeys": .null], httpStatus: 404)
        }
        return LogicalResponse(data: [
            "metadata": meta.versionResponse(version),
            "subkeys": Self.subkeys(of: data.objectValue ?? [:], level: 1, depth: depth),
        ])
    }

    /// Keys at `level >= depth` (when depth is non-zero) and keys whose value is not a non-empty object are leaves.
    static func subkeys(of object: [String: JSONValue], level: Int64, depth: Int64) -> JSONValue {
        var out: [String: JSONValue] = [:]
        for (key, value) in object {
            if case .object(let child) = value, !child.isEmpty, depth == 0 || level < depth {
                out[key] = subkeys(of: child, level: level + 1, depth: depth)
            } else {
                out[key] = .null
            }
        }
        return .object(out)
    }
}
