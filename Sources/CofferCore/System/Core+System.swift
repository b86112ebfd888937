import CofferSDK
import Foundation
import Synchronization

/// The `sys/` backend paths that need the core unsealed (the sealed-state endpoints live in the HTTP layer).
extension Core {
    func handleSystem(_ req: CoreRequest, sub: String, operation op: Operation, token: TokenEntry?) async throws -> CoreResponse {
        let parts = sub.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let head = parts.first ?? ""
        let rest = parts.dropFirst().joined(separator: "/")
        let d = req.data
        let lr = LogicalRequest(operation: op, path: sub, data: d, storage: barrier)
        func unsupported() -> LogicalError { LogicalError(.unsupportedOperation, Self.multiError("unsupported operation")) }
        func legacy(_ data: [String: JSONValue]?, warnings: [String] = []) -> CoreResponse {
            CoreResponse(data: data, warnings: warnings, duplicateDataAtTopLevel: true)
        }

        switch head {
        case "mounts", "auth":
            let isAuth = head == "auth"
            if rest.isEmpty {
                guard op == .read else { throw unsupported() }
                let snap = try currentRouter()
                var out: [String: JSONValue] = [:]
                for m in isAuth ? snap.authTable : snap.mountTable { out[m.path] = m.apiJSON(isAuth: isAuth) }
                return legacy(out)
            }
            if rest.hasSuffix("/tune") || rest == "tune" {
                var path = String(rest.dropLast(rest == "tune" ? 4 : 5))
                var isAuth = isAuth
                if !isAuth, path.hasPrefix("auth/") {
                    // `sys/mounts/auth/<path>/tune` tunes an auth method, as in Vault.
                    isAuth = true
                    path.removeFirst(5)
                }
                switch op {
                case .read:
                    guard let m = try findMount(path: path, isAuth: isAuth) else {
                        throw LogicalError.invalidRequest("cannot fetch sysview for path \"\(isAuth ? "auth/" : "")\(Self.normalizeMountPath(path))\"")
                    }
                    return legacy(tuneData(m, isAuth: isAuth))
                case .update, .create:
                    return CoreResponse(warnings: try await tuneMount(path: path, isAuth: isAuth, data: d))
                default: throw unsupported()
                }
            }
            switch op {
            case .read:
                guard let m = try findMount(path: rest, isAuth: isAuth) else {
                    throw LogicalError.invalidRequest("No \(isAuth ? "auth" : "secret engine") mount at \(Self.normalizeMountPath(rest))")
                }
                return legacy(m.apiJSON(isAuth: isAuth).objectValue)
            case .create, .update:
                guard let type = d["type"]?.stringValue, !type.isEmpty else {
                    throw LogicalError.invalidRequest("backend type must be specified as a string")
                }
                var options = d["options"]?.objectValue?.mapValues { $0.stringValue ?? $0.serialized() }
                if type == "kv-v2" || type == "kv" && options?["version"] == nil && isAuth == false && d["version"] != nil {
                    options = (options ?? [:]).merging(["version": d["version"]?.stringValue ?? "2"]) { a, _ in a }
                }
                let realType = (type == "kv-v2" || type == "generic") ? "kv" : type
                if type == "kv-v2" { options = (options ?? [:]).merging(["version": "2"]) { _, b in b } }
                try await enableMount(
                    path: rest, type: realType, description: d["description"]?.stringValue ?? "", options: options,
                    config: d["config"]?.objectValue ?? [:], isAuth: isAuth, local: d["local"]?.boolValue ?? false,
                    sealWrap: d["seal_wrap"]?.boolValue ?? false)
                return CoreResponse()
            case .delete:
                try await disableMount(path: rest, isAuth: isAuth)
                return CoreResponse()
            default: throw unsupported()
            }

        case "remount":
            if parts.count >= 3, parts[1] == "status" {
                return legacy(["migration_id": .string(parts[2]), "migration_info": ["source_mount": "", "target_mount": "", "status": "success"]])
            }
            guard op == .update || op == .create else { throw unsupported() }
            guard let from = d["from"]?.stringValue, !from.isEmpty, let to = d["to"]?.stringValue, !to.isEmpty else {
                throw LogicalError.invalidRequest("both source and destination mount paths must be specified")
            }
            try await remount(from: from, to: to)
            return legacy(["migration_id": .string(RandomID.uuid())], warnings: ["Mount move has been queued. Progress will be reported in OpenBao's server log, tagged with the returned migration_id"])

        case "policy", "policies":
            var isLegacy = head == "policy"
            var name = rest
            if head == "policies" {
                guard parts.count >= 2, parts[1] == "acl" else { throw LogicalError(.unsupportedPath, Self.multiError("unsupported path")) }
                name = parts.dropFirst(2).joined(separator: "/")
                isLegacy = false
            }
            if name.isEmpty {
                guard op == .read || op == .list else { throw unsupported() }
                if !isLegacy && op != .list { throw unsupported() }
                let names = try await policies.list().map { JSONValue.string($0) }
                return isLegacy ? legacy(["keys": .array(names), "policies": .array(names)]) : CoreResponse(data: ["keys": .array(names)])
            }
            switch op {
            case .read:
                let n = PolicyStore.normalize(name)
                if n == "root" {
                    let data: [String: JSONValue] = isLegacy ? ["name": "root", "rules": ""] : ["name": "root", "policy": ""]
                    return isLegacy ? legacy(data) : CoreResponse(data: data)
                }
                guard let p = try await policies.get(n) else { throw LogicalError.notFound }
                if isLegacy { return legacy(["name": .string(n), "rules": .string(p.text)]) }
                return CoreResponse(data: [
                    "name": .string(n), "policy": .string(p.text), "modified": .string(p.modified), "version": 1, "cas_required": false,
                    "allow_slashes_in_identity_templates": false, "allow_wildcards_in_identity_templates": false,
                ])
            case .create, .update:
                var warnings: [String] = []
                var text = d["policy"]?.stringValue ?? ""
                if text.isEmpty, let rules = d["rules"]?.stringValue {
                    text = rules
                    warnings.append("'rules' is deprecated, please use 'policy' instead")
                }
                try await policies.set(name, text: text, now: now())
                return CoreResponse(warnings: warnings)
            case .delete:
                try await policies.delete(name, legacy: isLegacy)
                return CoreResponse()
            default: throw unsupported()
            }

        case "capabilities", "capabilities-self", "capabilities-accessor":
            guard op == .update || op == .create else { throw unsupported() }
            var paths = try lr.strings("paths") ?? []
            if let p = lr.string("path"), !p.isEmpty { paths.append(p) }
            guard !paths.isEmpty else { throw LogicalError.invalidRequest("missing paths") }
            let subject: TokenEntry
            switch head {
            case "capabilities":
                guard let t = lr.string("token"), !t.isEmpty else { throw LogicalError.invalidRequest("missing token") }
                guard let e = try await tokens.lookup(token: t, now: now()) else { throw LogicalError.invalidRequest("invalid token") }
                subject = e
            case "capabilities-accessor":
                guard let a = lr.string("accessor"), !a.isEmpty else { throw LogicalError.invalidRequest("missing accessor") }
                guard let e = try await tokens.lookup(accessor: a) else { throw LogicalError.invalidRequest("invalid accessor") }
                subject = e
            default:
                guard let e = token else { throw LogicalError.permissionDenied }
                subject = e
            }
            var out: [String: JSONValue] = [:]
            var all: [String] = []
            for p in paths {
                let caps = try await capabilityNames(subject, path: p)
                out[p] = .array(caps.map { .string($0) })
                all = caps
            }
            if paths.count == 1 { out["capabilities"] = .array(all.map { .string($0) }) }
            return legacy(out)

        case "metrics":
            guard op == .read, parts.count == 1 else { throw unsupported() }
            return try await metricsResponse(format: d["format"]?.stringValue ?? "")

        case "audit", "audit-hash", "audit-chain":
            return try await handleAuditSystem(head, parts: parts, operation: op, data: d)

        case "key-status":
            guard op == .read else { throw unsupported() }
            let t = try barrier.activeTerm()
            return legacy(["term": .int(Int64(t.term)), "install_time": .string(formatVaultTime(t.installTime)), "encryptions": .int(barrier.encryptions)])

        case "rotate":
            guard op == .update || op == .create else { throw unsupported() }
            guard parts.count == 1 else { throw LogicalError(.unsupportedPath, Self.multiError("unsupported path")) }
            _ = try await rotateKey()
            return CoreResponse()

        case "leases":
            return try await handleLeases(op, parts: Array(parts.dropFirst()), data: d)

        case "renew", "revoke", "revoke-prefix", "revoke-force":
            // The legacy paths before sys/leases/.
            return try await handleLeases(op, parts: parts, data: d)

        case "locked-users":
            if parts.count == 1 {
                guard op == .read else { throw unsupported() }
                return lockedUsers(unlockAccessor: nil, identifier: nil)
            }
            guard parts.count >= 4, parts[2] == "unlock", op == .update || op == .create else {
                throw LogicalError(.unsupportedPath, Self.multiError("unsupported path"))
            }
            return lockedUsers(unlockAccessor: parts[1], identifier: parts.dropFirst(3).joined(separator: "/"))

        case "tools":
            let name = parts.count > 1 ? parts[1] : ""
            guard let tool = systemTools[name] else { throw LogicalError(.unsupportedPath, Self.multiError("unsupported path")) }
            guard op == .update || op == .create else { throw unsupported() }
            let resp = try tool(lr, parts.dropFirst(2).joined(separator: "/"))
            return CoreResponse(data: resp.data, warnings: resp.warnings, httpStatus: resp.httpStatus)

        case "wrapping":
            guard op == .update || op == .create else { throw unsupported() }
            switch rest {
            case "unwrap", "lookup", "rewrap":
                return try await wrappingOperation(rest, wrappingToken: d["token"]?.stringValue ?? "")
            case "wrap":
                guard req.wrapTTL != nil else { throw LogicalError.invalidRequest("endpoint requires response wrapping to be used") }
                return CoreResponse(data: d)
            default:
                throw LogicalError(.unsupportedPath, Self.multiError("unsupported path"))
            }

        case "seal":
            guard op == .update || op == .create else { throw unsupported() }
            try await seal()
            return CoreResponse()

        case "internal" where parts.count == 3 && parts[1] == "specs" && parts[2] == "openapi":
            guard op == .read else { throw unsupported() }
            // The document itself, not a response envelope, as OpenBao sends it.
            return CoreResponse(data: [
                "http_status_code": 200, "http_content_type": "application/json",
                "http_raw_body": .string(try await openAPIDocument(token: token).serialized()),
            ])

        case "internal":
            guard parts.count >= 3, parts[1] == "ui", parts[2] == "mounts" else {
                throw LogicalError(.unsupportedPath, Self.multiError("unsupported path"))
            }
            guard op == .read else { throw unsupported() }
            let snap = try currentRouter()
            let mountPath = parts.dropFirst(3).joined(separator: "/")
            if mountPath.isEmpty {
                var secret: [String: JSONValue] = [:]
                var auth: [String: JSONValue] = [:]
                for m in snap.mountTable where try await visible(m, routePath: m.path, token: token) { secret[m.path] = m.apiJSON(isAuth: false) }
                for m in snap.authTable where try await visible(m, routePath: "auth/" + m.path, token: token) { auth[m.path] = m.apiJSON(isAuth: true) }
                return CoreResponse(data: ["secret": .object(secret), "auth": .object(auth)])
            }
            let full = mountPath.hasSuffix("/") ? mountPath : mountPath + "/"
            var found: (MountEntry, Bool)? = nil
            for m in snap.mountTable where full.hasPrefix(m.path) {
                if found == nil || m.path.count > found!.0.path.count { found = (m, false) }
            }
            for m in snap.authTable where full.hasPrefix("auth/" + m.path) {
                if found == nil || ("auth/" + m.path).count > found!.0.path.count { found = (m, true) }
            }
            // OpenBao answers a token that may not see the mount, or a path no mount serves (so that mounts cannot be
            // probed), with the same 403 and a text naming the path; `bao kv` prints it as the preflight's error.
            let quoted = "\"" + full.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
            let preflightDenied = LogicalError(
                .permissionDenied, "preflight capability check returned 403, please ensure client's policies grant access to path \(quoted)")
            guard let token else { throw LogicalError.permissionDenied }
            guard let (m, isAuth) = found else { throw preflightDenied }
            guard try await hasAnyCapability(token, under: isAuth ? "auth/" + m.path : m.path) else { throw preflightDenied }
            var data = m.apiJSON(isAuth: isAuth).objectValue ?? [:]
            data["path"] = .string(isAuth ? "auth/" + m.path : m.path)
            return CoreResponse(data: data)

        default:
            throw LogicalError(.unsupportedPath, Self.multiError("unsupported path"))
        }
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
