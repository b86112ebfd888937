import CofferSDK
import Foundation
import Synchronization

/// Response wrapping: a response stored inside the barrier behind a single-use token.
extension Core {
    static let wrappingPrefix = "sys/wrapping/response/"
    static let wrappingPolicy = "response-wrapping"

    /// Stores `resp` behind a new wrapping token and returns a response carrying only `wrap_info`.
    func wrap(_ resp: CoreResponse, ttl: Int64, path: String) async throws -> CoreResponse {
        let now = self.now()
        let token = "s." + RandomID.base62(24)
        let entry = TokenEntry(
            idHash: try tokens.hash(token), accessor: RandomID.base62(24), parentHash: nil, policies: [Self.wrappingPolicy], meta: nil,
            displayName: "", numUses: 1, creationTime: now, creationTTL: ttl, explicitMaxTTL: 0, period: 0, renewable: false, path: path,
            expireTime: now.addingTimeInterval(Double(ttl)), role: "")
        var stored: [String: JSONValue] = [
            "lease_id": .string(resp.leaseID), "renewable": .bool(resp.renewable), "lease_duration": .int(resp.leaseDuration),
            "data": resp.data.map { .object($0) } ?? .null, "auth": resp.auth ?? .null,
            "warnings": resp.warnings.isEmpty ? .null : .array(resp.warnings.map { .string($0) }),
        ]
        stored["creation_path"] = .string(path)
        try await tokens.create(entry)
        try await barrier.putJSON(Self.wrappingPrefix + entry.idHash, .object(stored))
        var info: [String: JSONValue] = [
            "token": .string(token), "accessor": .string(entry.accessor), "ttl": .int(ttl),
            "creation_time": .string(formatVaultTime(now)), "creation_path": .string(path),
        ]
        if let wrappedAccessor = resp.auth?["accessor"]?.stringValue { info["wrapped_accessor"] = .string(wrappedAccessor) }
        var out = CoreResponse()
        out.wrapInfo = .object(info)
        return out
    }

    func wrappingOperation(_ op: String, wrappingToken: String) async throws -> CoreResponse {
        let invalid = LogicalError.invalidRequest("wrapping token is not valid or does not exist")
        guard !wrappingToken.isEmpty, let entry = try await tokens.lookup(token: wrappingToken, now: now()),
            entry.policies == [Self.wrappingPolicy], entry.numUses > 0,
            let stored = try await barrier.getJSON(Self.wrappingPrefix + entry.idHash)
        else { throw invalid }
        if op != "lookup" {
            // Exactly once: of concurrent unwraps (or rewraps) only the one that takes the single use goes on.
            guard let used = try await tokens.takeUse(hash: entry.idHash), used.numUses == -1 else { throw invalid }
        }
        switch op {
        case "lookup":
            return CoreResponse(data: [
                "creation_path": stored["creation_path"] ?? "", "creation_time": .string(formatVaultTime(entry.creationTime)),
                "creation_ttl": .int(entry.creationTTL),
            ])
        case "rewrap":
            try await tokens.revokeTree(hash: entry.idHash)
            let resp = Self.storedResponse(stored)
            return try await wrap(resp, ttl: entry.creationTTL, path: stored["creation_path"]?.stringValue ?? "")
        default:
            // Exactly once: the token is revoked before the response is returned.
            try await tokens.revokeTree(hash: entry.idHash)
            return Self.storedResponse(stored)
        }
    }

    static func storedResponse(_ v: JSONValue) -> CoreResponse {
        CoreResponse(
            data: v["data"]?.objectValue, warnings: v["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            auth: (v["auth"]?.isNull ?? true) ? nil : v["auth"], leaseID: v["lease_id"]?.stringValue ?? "",
            leaseDuration: v["lease_duration"]?.intValue ?? 0, renewable: v["renewable"]?.boolValue ?? false)
    }
}
