import CofferSDK
import Foundation
import Synchronization

/// The `sys/` backend's dispatch and the helpers its handlers share.
extension Core {
    /// Routes a `sys/` request through ``SystemBackend``'s declared paths.
    func handleSystem(_ req: CoreRequest, sub: String, operation op: Operation, token: TokenEntry?) async throws -> CoreResponse {
        let lr = LogicalRequest(id: req.id, operation: op, path: sub, data: req.data, storage: barrier, remoteAddress: req.remoteAddress, tls: req.tls)
        return try await SystemBackend.router.handle(SystemCall(core: self, request: req, token: token), lr)
    }

    func tuneData(_ m: MountEntry, isAuth: Bool) -> [String: JSONValue] {
        var out: [String: JSONValue] = [
            "description": .string(m.description),
            "default_lease_ttl": .int(m.defaultLeaseTTL > 0 ? m.defaultLeaseTTL : configuration.defaultLeaseTTL),
            "max_lease_ttl": .int(m.maxLeaseTTL > 0 ? m.maxLeaseTTL : configuration.maxLeaseTTL),
            "force_no_cache": .bool(m.forceNoCache),
        ]
        if let o = m.options { out["options"] = .object(o.mapValues { .string($0) }) }
        for (k, v) in m.extraConfig { out[k] = v }
        if isAuth && out["token_type"] == nil { out["token_type"] = "default-service" }
        return out
    }

    /// Capability names for `sys/capabilities*`: `["root"]` for root tokens, `["deny"]` for nothing.
    func capabilityNames(_ token: TokenEntry, path: String) async throws -> [String] {
        if token.isRoot { return ["root"] }
        let acl = try await policies.acl(for: token.policies)
        let caps = acl.capabilities(path: path)
        if caps.isEmpty { return ["deny"] }
        return caps.map(\.rawValue).sorted()
    }

    func hasAnyCapability(_ token: TokenEntry, under prefix: String) async throws -> Bool {
        if token.isRoot { return true }
        let acl = try await policies.acl(for: token.policies)
        return acl.hasAnyCapability(underPrefix: prefix)
    }

    func visible(_ m: MountEntry, routePath: String, token: TokenEntry?) async throws -> Bool {
        if let token { return try await hasAnyCapability(token, under: routePath) }
        return m.extraConfig["listing_visibility"]?.stringValue == "unauth"
    }
}
