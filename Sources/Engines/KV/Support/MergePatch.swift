import Foundation
import CofferSDK

/// JSON Merge Patch (RFC 7386): objects merge recursively, `null` removes a member, anything else replaces.
func jsonMergePatch(target: JSONValue, patch: JSONValue) -> JSONValue {
    guard case .object(let patchMembers) = patch else { return patch }
    var result: [String: JSONValue]
    if case .object(let t) = target { result = t } else { result = [:] }
    for (key, value) in patchMembers {
        if value.isNull {
            result.removeValue(forKey: key)
        } else {
            result[key] = jsonMergePatch(target: result[key] ?? .null, patch: value)
        }
    }
    return .object(result)
}

/// OpenBao accepts PATCH only with the merge-patch media type (parameters such as charset are ignored).
func requireMergePatchContentType(_ request: LogicalRequest) throws {
    let provided = request.contentType ?? ""
    let mediaType = provided.split(separator: ";", maxSplits: 1).first.map {
        $0.trimmingCharacters(in: .whitespaces).lowercased()
    } ?? ""
    if mediaType != "application/merge-patch+json" {
        throw LogicalError(
            .unsupportedMediaType, "PATCH requires Content-Type of application/merge-patch+json, provided \(provided)")
    }
}
