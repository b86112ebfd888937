import CofferSDK
import Foundation

/// The handlers of the `sys/` paths declared in ``SystemBackend``.
extension SystemCall {
    /// `sys/` responses repeat their data at the top level, as OpenBao still does for old clients.
    static func legacy(_ data: [String: JSONValue]?, warnings: [String] = []) -> CoreResponse {
        CoreResponse(data: data, warnings: warnings, duplicateDataAtTopLevel: true)
    }

    var data: [String: JSONValue] { request.data }

    // MARK: mounts and auth methods

    func listMounts(_ r: PathRequest, isAuth: Bool) async throws -> CoreResponse {
        let snap = try core.currentRouter()
        var out: [String: JSONValue] = [:]
        for m in isAuth ? snap.authTable : snap.mountTable { out[m.path] = m.apiJSON(isAuth: isAuth) }
        return Self.legacy(out)
    }

    /// `sys/mounts/auth/<path>/tune` tunes an auth method, as in Vault.
    func tuneTarget(_ r: PathRequest, isAuth: Bool) throws -> (path: String, isAuth: Bool) {
        let path = try r.fields.string("path")
        if !isAuth, path.hasPrefix("auth/") { return (String(path.dropFirst(5)), true) }
        return (path, isAuth)
    }

    func readTune(_ r: PathRequest, isAuth: Bool) async throws -> CoreResponse {
        let (path, isAuth) = try tuneTarget(r, isAuth: isAuth)
        guard let m = try core.findMount(path: path, isAuth: isAuth) else {
            throw LogicalError.invalidRequest("cannot fetch sysview for path \"\(isAuth ? "auth/" : "")\(Core.normalizeMountPath(path))\"")
        }
        return Self.legacy(core.tuneData(m, isAuth: isAuth))
    }

    func writeTune(_ r: PathRequest, isAuth: Bool) async throws -> CoreResponse {
        let (path, isAuth) = try tuneTarget(r, isAuth: isAuth)
        return CoreResponse(warnings: try await core.tuneMount(path: path, isAuth: isAuth, data: data))
    }

    func readMount(_ r: PathRequest, isAuth: Bool) async throws -> CoreResponse {
        let path = try r.fields.string("path")
        guard let m = try core.findMount(path: path, isAuth: isAuth) else {
            throw LogicalError.invalidRequest("No \(isAuth ? "auth" : "secret engine") mount at \(Core.normalizeMountPath(path))")
        }
        return Self.legacy(m.apiJSON(isAuth: isAuth).objectValue)
    }

    func enableMount(_ r: PathRequest, isAuth: Bool) async throws -> CoreResponse {
        let type = try r.fields.string("type")
        guard !type.isEmpty else { throw LogicalError.invalidRequest("backend type must be specified as a string") }
        var options = try r.fields.pairsIfSet("options")
        let version = try r.fields.stringIfSet("version")
        if type == "kv-v2" || type == "kv" && options?["version"] == nil && !isAuth && version != nil {
            options = (options ?? [:]).merging(["version": version ?? "2"]) { a, _ in a }
        }
        let realType = (type == "kv-v2" || type == "generic") ? "kv" : type
        if type == "kv-v2" { options = (options ?? [:]).merging(["version": "2"]) { _, b in b } }
        try await core.enableMount(
            path: try r.fields.string("path"), type: realType, description: try r.fields.string("description"), options: options,
            config: try r.fields.object("config"), isAuth: isAuth, local: try r.fields.bool("local"), sealWrap: try r.fields.bool("seal_wrap"))
        return CoreResponse()
    }

    func disableMount(_ r: PathRequest, isAuth: Bool) async throws -> CoreResponse {
        try await core.disableMount(path: try r.fields.string("path"), isAuth: isAuth)
        return CoreResponse()
    }

    func remount(_ r: PathRequest) async throws -> CoreResponse {
        let from = try r.fields.string("from")
        let to = try r.fields.string("to")
        guard !from.isEmpty, !to.isEmpty else {
            throw LogicalError.invalidRequest("both source and destination mount paths must be specified")
        }
        try await core.remount(from: from, to: to)
        return Self.legacy(
            ["migration_id": .string(RandomID.uuid())],
            warnings: ["Mount move has been queued. Progress will be reported in OpenBao's server log, tagged with the returned migration_id"])
    }

    /// Moves are done before `sys/remount` answers, so every migration reports success.
    func remountStatus(_ r: PathRequest) throws -> CoreResponse {
        Self.legacy([
            "migration_id": .string(try r.fields.string("migration_id")),
            "migration_info": ["source_mount": "", "target_mount": "", "status": "success"],
        ])
    }

    // MARK: policies

    func listPolicies(_ r: PathRequest, legacy: Bool) async throws -> CoreResponse {
        let names = try await core.policies.list().map { JSONValue.string($0) }
        return legacy ? Self.legacy(["keys": .array(names), "policies": .array(names)]) : CoreResponse(data: ["keys": .array(names)])
    }

    func readPolicy(_ r: PathRequest, legacy: Bool) async throws -> CoreResponse {
        let n = PolicyStore.normalize(try r.fields.string("name"))
        if n == "root" {
            let data: [String: JSONValue] = legacy ? ["name": "root", "rules": ""] : ["name": "root", "policy": ""]
            return legacy ? Self.legacy(data) : CoreResponse(data: data)
        }
        guard let p = try await core.policies.get(n) else { throw LogicalError.notFound }
        if legacy { return Self.legacy(["name": .string(n), "rules": .string(p.text)]) }
        return CoreResponse(data: [
            "name": .string(n), "policy": .string(p.text), "modified": .string(p.modified), "version": 1, "cas_required": false,
            "allow_slashes_in_identity_templates": false, "allow_wildcards_in_identity_templates": false,
        ])
    }

    func writePolicy(_ r: PathRequest) async throws -> CoreResponse {
        var warnings: [String] = []
        var text = try r.fields.string("policy")
        if text.isEmpty, r.fields.has("rules"), let rules = data["rules"]?.stringValue {
            text = rules
            warnings.append("'rules' is deprecated, please use 'policy' instead")
        }
        try await core.policies.set(try r.fields.string("name"), text: text, now: core.now())
        return CoreResponse(warnings: warnings)
    }

    func deletePolicy(_ r: PathRequest, legacy: Bool) async throws -> CoreResponse {
        try await core.policies.delete(try r.fields.string("name"), legacy: legacy)
        return CoreResponse()
    }

    // MARK: capabilities

    func capabilities(_ r: PathRequest, _ kind: String) async throws -> CoreResponse {
        var paths = try r.fields.strings("paths")
        paths += try r.fields.strings("path").filter { !$0.isEmpty }
        guard !paths.isEmpty else { throw LogicalError.invalidRequest("missing paths") }
        let subject: TokenEntry
        switch kind {
        case "capabilities":
            let t = try r.fields.string("token")
            guard !t.isEmpty else { throw LogicalError.invalidRequest("missing token") }
            guard let e = try await core.tokens.lookup(token: t, now: core.now()) else { throw LogicalError.invalidRequest("invalid token") }
            subject = e
        case "capabilities-accessor":
            let a = try r.fields.string("accessor")
            guard !a.isEmpty else { throw LogicalError.invalidRequest("missing accessor") }
            guard let e = try await core.tokens.lookup(accessor: a) else { throw LogicalError.invalidRequest("invalid accessor") }
            subject = e
        default:
            guard let e = token else { throw LogicalError.permissionDenied }
            subject = e
        }
        var out: [String: JSONValue] = [:]
        var all: [String] = []
        for p in paths {
            let caps = try await core.capabilityNames(subject, path: p)
            out[p] = .array(caps.map { .string($0) })
            all = caps
        }
        if paths.count == 1 { out["capabilities"] = .array(all.map { .string($0) }) }
        return Self.legacy(out)
    }

    // MARK: audit, keys, leases, tools

    func auditOperation(_ r: PathRequest, _ head: String) async throws -> CoreResponse {
        let path = r.fields.has("path") ? try r.fields.string("path") : ""
        return try await core.handleAuditSystem(head, path: path, operation: r.operation, data: data)
    }

    func keyStatus() throws -> CoreResponse {
        let t = try core.barrier.activeTerm()
        return Self.legacy([
            "term": .int(Int64(t.term)), "install_time": .string(formatVaultTime(t.installTime)), "encryptions": .int(core.barrier.encryptions),
        ])
    }

    /// The lease paths, by action; the lease id or prefix of the path comes in as `url_lease_id` or `prefix`.
    func leases(_ r: PathRequest, _ action: String) async throws -> CoreResponse {
        let fromPath = try r.fields.stringIfSet("url_lease_id") ?? r.fields.stringIfSet("prefix") ?? ""
        return try await core.handleLeases(r.operation, action: action, rest: fromPath, data: data, tls: request.tls)
    }

    func tool(_ r: PathRequest, _ name: String, rest: String) throws -> CoreResponse {
        guard let tool = core.systemTools[name] else { throw LogicalError.noRoute }
        let resp = try tool(r.logical, rest)
        return CoreResponse(data: resp.data, warnings: resp.warnings, httpStatus: resp.httpStatus)
    }

    // MARK: sys/internal/ui/mounts

    func uiMounts() async throws -> CoreResponse {
        let snap = try core.currentRouter()
        var secret: [String: JSONValue] = [:]
        var auth: [String: JSONValue] = [:]
        for m in snap.mountTable where try await core.visible(m, routePath: m.path, token: token) { secret[m.path] = m.apiJSON(isAuth: false) }
        for m in snap.authTable where try await core.visible(m, routePath: "auth/" + m.path, token: token) { auth[m.path] = m.apiJSON(isAuth: true) }
        return CoreResponse(data: ["secret": .object(secret), "auth": .object(auth)])
    }

    func uiMount(_ r: PathRequest) async throws -> CoreResponse {
        let snap = try core.currentRouter()
        let mountPath = try r.fields.string("path")
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
        guard try await core.hasAnyCapability(token, under: isAuth ? "auth/" + m.path : m.path) else { throw preflightDenied }
        var out = m.apiJSON(isAuth: isAuth).objectValue ?? [:]
        out["path"] = .string(isAuth ? "auth/" + m.path : m.path)
        return CoreResponse(data: out)
    }
}
