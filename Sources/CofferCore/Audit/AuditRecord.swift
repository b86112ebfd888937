import CofferAuditChain
import CofferSDK
import Crypto
import Dispatch
import Foundation
import Synchronization

/// What an audit line says about one request or response, before a device hashes it with its own salt.
struct AuditRecord: Sendable {
    /// The token store's paths that carry a token or an accessor as a path segment
    /// (`auth/token/revoke-orphan/<token>`): the audit log records that segment hashed like any token, so no
    /// credential reaches a log in the clear, whatever form of the request was used.
    static let tokenInPath: Set<Substring> = ["lookup", "renew", "revoke", "revoke-orphan", "renew-self", "revoke-self"]
    static let accessorInPath: Set<Substring> = ["lookup-accessor", "renew-accessor", "revoke-accessor", "accessors"]

    static func hashingCredentials(
        in path: String, token: (String) -> String, accessor: (String) -> String
    ) -> String {
        guard path.hasPrefix("auth/token/") else { return path }
        let rest = path.dropFirst("auth/token/".count)
        guard let slash = rest.firstIndex(of: "/") else { return path }
        let head = rest[..<slash]
        let value = String(rest[rest.index(after: slash)...])
        guard !value.isEmpty else { return path }
        if tokenInPath.contains(head) { return "auth/token/" + head + "/" + token(value) }
        if accessorInPath.contains(head) { return "auth/token/" + head + "/" + accessor(value) }
        return path
    }

    enum Kind: String, Sendable { case request, response }
    var kind: Kind
    var time: Date
    var request: CoreRequest
    var operation: CofferSDK.Operation
    var token: TokenEntry?
    var mount: (point: String, type: String, accessor: String)?
    var nonHMACRequestKeys: Set<String> = []
    var nonHMACResponseKeys: Set<String> = []
    var response: CoreResponse? = nil
    var error: String? = nil

    func render(for device: AuditDevice) -> JSONValue {
        let raw = device.logRaw
        func h(_ s: String) -> JSONValue { .string(raw ? s : device.hash(s)) }
        func hAccessor(_ s: String) -> JSONValue { .string(raw || !device.hmacAccessor ? s : device.hash(s)) }
        func tree(_ v: JSONValue, skip: Set<String>) -> JSONValue {
            if raw { return v }
            switch v {
            case .string(let s): return .string(device.hash(s))
            case .array(let a): return .array(a.map { tree($0, skip: []) })
            case .object(let o):
                var out: [String: JSONValue] = [:]
                for (k, x) in o { out[k] = skip.contains(k) ? x : tree(x, skip: []) }
                return .object(out)
            default: return v
            }
        }

        var auth: [String: JSONValue] = [:]
        if let t = token {
            if let client = request.token { auth["client_token"] = h(client) }
            auth["accessor"] = hAccessor(t.accessor)
            auth["display_name"] = .string(t.displayName)
            auth["policies"] = .array(t.policies.map { .string($0) })
            auth["token_policies"] = .array(t.policies.map { .string($0) })
            if let meta = t.meta, !meta.isEmpty { auth["metadata"] = .object(meta.mapValues { .string($0) }) }
            if !t.entityID.isEmpty { auth["entity_id"] = .string(t.entityID) }
            auth["token_type"] = .string(t.type.isEmpty ? "service" : t.type)
            auth["token_ttl"] = .int(t.creationTTL)
            auth["token_issue_time"] = .string(formatVaultTime(Date(timeIntervalSince1970: t.creationTime.timeIntervalSince1970.rounded(.down))))
            if t.numUses > 0 { auth["num_uses"] = .int(Int64(t.numUses)) }
        } else {
            auth["token_type"] = "default"
        }

        var req: [String: JSONValue] = [
            "id": .string(request.id), "operation": .string(operation.rawValue), "namespace": ["id": "root"],
            "path": .string(raw ? request.path : Self.hashingCredentials(in: request.path, token: { device.hash($0) },
                accessor: { device.hmacAccessor ? device.hash($0) : $0 })),
        ]
        if let m = mount {
            req["mount_point"] = .string(m.point)
            req["mount_type"] = .string(m.type)
            if !m.accessor.isEmpty { req["mount_accessor"] = .string(m.accessor) }
        }
        if let client = request.token, !client.isEmpty { req["client_token"] = h(client) }
        if let t = token { req["client_token_accessor"] = hAccessor(t.accessor) }
        if !request.data.isEmpty { req["data"] = tree(.object(request.data), skip: nonHMACRequestKeys) }
        if let ip = request.remoteAddress { req["remote_address"] = .string(ip) }
        if let w = request.wrapTTL, w > 0 { req["wrap_ttl"] = .int(w) }

        var out: [String: JSONValue] = [
            "type": .string(kind.rawValue), "time": .string(formatVaultTime(time)), "auth": .object(auth), "request": .object(req),
        ]
        if kind == .response {
            var resp: [String: JSONValue] = [:]
            if let m = mount {
                resp["mount_point"] = .string(m.point)
                resp["mount_type"] = .string(m.type)
                if !m.accessor.isEmpty { resp["mount_accessor"] = .string(m.accessor) }
            }
            if let r = response {
                if var data = r.data {
                    if device.elideListResponses, operation == .list, let keys = data["keys"]?.arrayValue {
                        data["keys"] = .int(Int64(keys.count))
                    }
                    resp["data"] = tree(.object(data), skip: nonHMACResponseKeys)
                }
                if let a = r.auth?.objectValue {
                    var ra = a
                    if let c = a["client_token"]?.stringValue { ra["client_token"] = h(c) }
                    if let c = a["accessor"]?.stringValue { ra["accessor"] = hAccessor(c) }
                    resp["auth"] = .object(ra)
                }
                if let w = r.wrapInfo?.objectValue {
                    var rw = w
                    if let c = w["token"]?.stringValue { rw["token"] = h(c) }
                    if let c = w["accessor"]?.stringValue { rw["accessor"] = hAccessor(c) }
                    resp["wrap_info"] = .object(rw)
                }
                if !r.warnings.isEmpty { resp["warnings"] = .array(r.warnings.map { .string($0) }) }
                if r.httpStatus != nil && r.httpStatus != 200 && r.httpStatus != 204 { resp["status"] = .int(Int64(r.httpStatus!)) }
            }
            if let e = error { resp["data"] = ["error": h(e)] }
            out["response"] = .object(resp)
        }
        if let e = error { out["error"] = .string(e) }
        return .object(out)
    }
}
