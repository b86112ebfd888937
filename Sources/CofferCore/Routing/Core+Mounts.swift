import CofferSDK
import Foundation
import Logging
import Synchronization

/// Built-in types that may be mounted as secrets engines or auth methods.
extension Core {
    static let protectedMountPrefixes = ["sys/", "auth/", "cubbyhole/", "identity/"]

    /// Normalizes a mount path: no leading slash, one trailing slash.
    static func normalizeMountPath(_ raw: String) -> String {
        var p = raw
        while p.hasPrefix("/") { p.removeFirst() }
        if !p.hasSuffix("/") { p += "/" }
        return p
    }

    func enableMount(path rawPath: String, type: String, description: String, options: [String: String]?, config: [String: JSONValue], isAuth: Bool, local: Bool = false, sealWrap: Bool = false) async throws {
        let path = Self.normalizeMountPath(rawPath)
        guard path != "/" else { throw LogicalError.invalidRequest("missing mount point") }
        guard !type.isEmpty else { throw LogicalError.invalidRequest("backend type must be specified as a string") }
        let routePath = isAuth ? "auth/" + path : path
        if !isAuth {
            for p in Self.protectedMountPrefixes where routePath.hasPrefix(p) {
                throw LogicalError.invalidRequest("cannot mount \"\(path)\"")
            }
        }
        if type == "system" || type == "identity" || type == "cubbyhole" || (type == "token" && isAuth) {
            throw LogicalError.invalidRequest(isAuth ? "token credential backend cannot be instantiated" : "cannot mount \"\(path)\" of type \"\(type)\"")
        }
        guard (isAuth ? authFactories : engineFactories)[type] != nil else {
            throw LogicalError.invalidRequest("plugin not found in the catalog: \(type)")
        }
        // A kv mount without a version is version 1 but says nothing (OpenBao counts it as version 0 when tuned).
        var opts = options
        if type == "kv", opts == nil { opts = [:] }
        let defaultTTL = try config["default_lease_ttl"].map { try parseTTL($0, field: "default_lease_ttl") } ?? 0
        let maxTTL = try config["max_lease_ttl"].map { try parseTTL($0, field: "max_lease_ttl") } ?? 0
        try await stateLock.withLock {
            var snap = try currentRouter()
            let table = isAuth ? snap.authTable : snap.mountTable
            let fullNew = routePath
            for existing in table {
                let fullExisting = isAuth ? "auth/" + existing.path : existing.path
                if fullNew.hasPrefix(fullExisting) || fullExisting.hasPrefix(fullNew) {
                    throw LogicalError.invalidRequest("path is already in use at \(existing.path)")
                }
            }
            let accessorPrefix = isAuth ? "auth_\(type)_" : "\(type)_"
            var entry = MountEntry(
                path: path, type: type, description: description, uuid: RandomID.uuid(), accessor: accessorPrefix + RandomID.hex(4),
                options: opts, local: local, sealWrap: sealWrap, defaultLeaseTTL: defaultTTL, maxLeaseTTL: maxTTL)
            entry.extraConfig = Self.extraTunables(config)
            if isAuth {
                if let t = try Self.tokenTypeTunable(config, mountType: type) { entry.extraConfig["token_type"] = .string(t) }
            } else {
                entry.extraConfig.removeValue(forKey: "token_type")
            }
            guard let mounted = try await instantiate(entry, isAuth: isAuth) else {
                throw LogicalError.invalidRequest("plugin not found in the catalog: \(type)")
            }
            if isAuth { snap.authTable.append(entry) } else { snap.mountTable.append(entry) }
            try await saveTables(mounts: snap.mountTable, auth: snap.authTable)
            snap.mounts[mounted.routePath] = mounted
            router.withLock { $0 = snap }
        }
    }

    static let passThroughTunables = [
        "audit_non_hmac_request_keys", "audit_non_hmac_response_keys", "listing_visibility", "passthrough_request_headers",
        "allowed_response_headers", "allowed_managed_keys", "user_lockout_config", "plugin_version", "token_type",
    ]

    static func extraTunables(_ config: [String: JSONValue]) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for k in passThroughTunables {
            if let v = config[k] {
                if case .string(let s) = v, k != "listing_visibility", k != "token_type", k != "plugin_version" {
                    out[k] = .array(s.split(separator: ",").map { .string(String($0)) })
                } else {
                    out[k] = v
                }
            }
        }
        return out
    }

    /// An auth mount's `token_type` (the type of the tokens its logins issue), validated; nil when not given. The
    /// token store's own mount has no such setting.
    static func tokenTypeTunable(_ config: [String: JSONValue], mountType: String) throws -> String? {
        guard let raw = config["token_type"] else { return nil }
        if mountType == "token" {
            throw LogicalError.invalidRequest("'token_type' cannot be set for 'token' or 'ns_token' auth mounts")
        }
        let s = raw.stringValue ?? raw.serialized()
        switch s {
        case "": return "default-service"
        case "default-service", "default-batch", "service", "batch": return s
        default: throw LogicalError.invalidRequest("invalid value for 'token_type'")
        }
    }

    /// A TTL field through the one checked duration parser (past ~292 years is an error, never a trap), with
    /// OpenBao's wording for each place it is read.
    func parseTTL(_ v: JSONValue, field: String, tune: Bool = false) throws -> Int64 {
        if case .string(let s) = v, s == "system" { return 0 }
        switch GoDuration.parseDurationSecond(v) {
        case .success(let d): return d
        case .failure(let e):
            let raw: String
            switch v {
            case .string(let s): raw = s
            case .double(let d): raw = GoDuration.numberText(d)
            default: raw = v.serialized()
            }
            switch field {
            case "increment":
                throw LogicalError.invalidRequest("Field validation failed: error converting input for field \"increment\": \(e.message)")
            case _ where tune: throw LogicalError.invalidRequest(e.message)
            case "default_lease_ttl": throw LogicalError.invalidRequest("unable to parse default TTL of \(raw): \(e.message)")
            case "max_lease_ttl": throw LogicalError.invalidRequest("unable to parse max TTL of \(raw): \(e.message)")
            default: throw LogicalError.invalidRequest("unable to parse \(field): \(e.message)")
            }
        }
    }

    func disableMount(path rawPath: String, isAuth: Bool) async throws {
        let path = Self.normalizeMountPath(rawPath)
        if !isAuth {
            for p in ["sys/", "cubbyhole/", "identity/"] where path == p {
                throw LogicalError.invalidRequest("cannot unmount \"\(path)\"")
            }
        } else if path == "token/" {
            throw LogicalError.invalidRequest("token credential backend cannot be disabled")
        }
        try await stateLock.withLock {
            var snap = try currentRouter()
            guard let idx = (isAuth ? snap.authTable : snap.mountTable).firstIndex(where: { $0.path == path }) else {
                return  // Disabling a path that is not mounted is not an error.
            }
            if !isAuth {
                // Every lease the engine handed out is revoked first; a failure keeps the mount (as OpenBao).
                try await revokeMountLeases(routePath: path)
            }
            let entry = isAuth ? snap.authTable.remove(at: idx) : snap.mountTable.remove(at: idx)
            rotations.cancelMount(entry.uuid)
            try await saveTables(mounts: snap.mountTable, auth: snap.authTable)
            let removed = snap.mounts.removeValue(forKey: isAuth ? "auth/" + path : path)
            router.withLock { $0 = snap }
            await removed?.engine.shutdown()
            if isAuth {
                // Every token issued through this mount dies with it.
                try await tokens.revokeByPathPrefix("auth/" + path)
            }
            // Remove the engine's data after the table no longer points at it.
            try await PrefixedStorage(base: barrier, prefix: (isAuth ? "auth/" : "logical/") + entry.uuid + "/").deletePrefix("")
        }
    }

    func findMount(path rawPath: String, isAuth: Bool) throws -> MountEntry? {
        let path = Self.normalizeMountPath(rawPath)
        let snap = try currentRouter()
        return (isAuth ? snap.authTable : snap.mountTable).first { $0.path == path }
    }

    /// Tunes a mount; returns the response's warnings. Raising a kv mount's `options.version` from 1 to 2 upgrades
    /// its data in place before this returns: the mount refuses requests meanwhile, and the converted data and the
    /// new mount table are committed in one transaction.
    func tuneMount(path rawPath: String, isAuth: Bool, data: [String: JSONValue]) async throws -> [String] {
        let path = Self.normalizeMountPath(rawPath)
        return try await stateLock.withLock {
            var snap = try currentRouter()
            let tablePathPrefix = isAuth ? "auth/" : ""
            guard var entry = (isAuth ? snap.authTable : snap.mountTable).first(where: { $0.path == path }) else {
                throw LogicalError.invalidRequest("tune of path \"\(tablePathPrefix)\(path)\" failed: no mount entry found")
            }
            if let v = data["default_lease_ttl"] { entry.defaultLeaseTTL = try parseTTL(v, field: "default_lease_ttl", tune: true) }
            if let v = data["max_lease_ttl"] { entry.maxLeaseTTL = try parseTTL(v, field: "max_lease_ttl", tune: true) }
            if entry.maxLeaseTTL != 0, entry.defaultLeaseTTL > entry.maxLeaseTTL {
                throw LogicalError.invalidRequest("default lease TTL cannot be greater than max lease TTL")
            }
            if let d = data["description"]?.stringValue { entry.description = d }
            if let f = data["force_no_cache"]?.boolValue { entry.forceNoCache = f }
            if data["token_type"] != nil && !isAuth {
                throw LogicalError.invalidRequest("'token_type' can only be modified on auth mounts")
            }
            for (k, v) in Self.extraTunables(data) { entry.extraConfig[k] = v }
            if isAuth, let t = try Self.tokenTypeTunable(data, mountType: entry.type) { entry.extraConfig["token_type"] = .string(t) }
            var warnings: [String] = []
            var reinstantiate = false
            var upgradeFrom: [String: String]? = nil
            if let o = data["options"]?.objectValue {
                let previous = entry.options ?? [:]
                var opts = previous
                var version: Int64? = nil
                if let v = o["version"] {
                    let (from, to) = try Self.versionChange(previous: previous["version"], requested: v.stringValue ?? v.serialized())
                    version = to
                    if from < to {
                        // OpenBao 2.7.2 names the target version as 0 in this warning; its text is kept word for word.
                        warnings.append(
                            "Upgrading mount from version \(from) to version 0. This mount will be unavailable for a brief period and will resume service shortly."
                        )
                        if entry.type == "kv" { upgradeFrom = previous }
                    }
                }
                for (k, v) in o {
                    let s = v.stringValue ?? v.serialized()
                    if k == "version", let version {
                        opts[k] = String(version)
                    } else if s.isEmpty {
                        opts.removeValue(forKey: k)
                    } else {
                        opts[k] = s
                    }
                }
                if entry.type == "kv", opts["version"] != previous["version"] { reinstantiate = true }
                entry.options = opts
            }
            if isAuth {
                if let i = snap.authTable.firstIndex(where: { $0.path == path }) { snap.authTable[i] = entry }
            } else if let i = snap.mountTable.firstIndex(where: { $0.path == path }) {
                snap.mountTable[i] = entry
            }
            let route = isAuth ? "auth/" + path : path
            var mounted: MountedEngine? = nil
            if reinstantiate || snap.mounts[route] != nil { mounted = try await instantiate(entry, isAuth: isAuth) }
            var tableOps = tableOperations(mounts: snap.mountTable, auth: snap.authTable)
            if let upgradeFrom, let mounted, let engine = mounted.engine as? any UpgradableEngine, let live = snap.mounts[route] {
                // Out of service while the data is converted: requests get OpenBao's answer instead of a half-upgraded view.
                var closed = router.withLock { $0 } ?? snap
                closed.mounts[route] = MountedEngine(entry: live.entry, engine: UpgradingEngine(), storage: live.storage, isAuth: isAuth)
                router.withLock { $0 = closed }
                do {
                    if let ops = try await engine.upgradeOperations(from: upgradeFrom, storage: mounted.storage, now: now()) {
                        let prefix = (isAuth ? "auth/" : "logical/") + entry.uuid + "/"
                        tableOps = ops.map { op in
                            switch op {
                            case .put(let k, let v): return .put(prefix + k, v)
                            case .delete(let k): return .delete(prefix + k)
                            }
                        } + tableOps
                    }
                    try await barrier.transaction(tableOps)
                } catch {
                    var reopened = router.withLock { $0 } ?? snap
                    reopened.mounts[route] = live
                    router.withLock { $0 = reopened }
                    throw error
                }
                logger.info("kv mount upgraded to version 2", metadata: ["coffer.mount_path": "\(route)"])
            } else {
                try await barrier.transaction(tableOps)
            }
            if let mounted { snap.mounts[route] = mounted }
            router.withLock { $0 = snap }
            return warnings
        }
    }

    /// OpenBao's rules for a mount's `options.version`: the new value is an integer, 1 or 2, and never lower than
    /// the current one (a missing or empty value counts as 0). Returns the current and the new version.
    static func versionChange(previous: String?, requested: String) throws -> (Int64, Int64) {
        func parse(_ s: String) throws -> Int64 {
            if s.isEmpty { return 0 }
            if let n = Int64(s) { return n }
            var body = Substring(s)
            if body.first == "+" || body.first == "-" { body = body.dropFirst() }
            let reason = !body.isEmpty && body.allSatisfy({ $0.isASCII && $0.isNumber }) ? "value out of range" : "invalid syntax"
            throw LogicalError.invalidRequest("unable to parse options: strconv.ParseInt: parsing \(GoDuration.quote(s)): \(reason)")
        }
        let from = (try? parse(previous ?? "")) ?? 0
        let to = try parse(requested)
        guard to == 1 || to == 2 else { throw LogicalError.invalidRequest("invalid version provided: \(to)") }
        if from > to { throw LogicalError.invalidRequest("cannot downgrade mount from version \(from)") }
        return (from, to)
    }

    /// Moves a mount synchronously (the data stays under its UUID; only the table changes).
    func remount(from rawFrom: String, to rawTo: String) async throws {
        var from = Self.normalizeMountPath(rawFrom)
        var to = Self.normalizeMountPath(rawTo)
        var isAuth = false
        if from.hasPrefix("auth/") {
            guard to.hasPrefix("auth/") else { throw LogicalError.invalidRequest("cannot remount auth mount to non-auth mount \"\(to)\"") }
            isAuth = true
            from.removeFirst(5)
            to.removeFirst(5)
        } else if to.hasPrefix("auth/") {
            throw LogicalError.invalidRequest("cannot remount non-auth mount to auth mount \"\(to)\"")
        }
        for p in Self.protectedMountPrefixes where !isAuth && (from.hasPrefix(p) || to.hasPrefix(p)) {
            throw LogicalError.invalidRequest("cannot remount \"\(from)\"")
        }
        try await stateLock.withLock {
            var snap = try currentRouter()
            let table = isAuth ? snap.authTable : snap.mountTable
            guard let idx = table.firstIndex(where: { $0.path == from }) else {
                throw LogicalError.invalidRequest("no matching mount at \"\(isAuth ? "auth/" : "")\(from)\"")
            }
            for existing in table where existing.path != from && (to.hasPrefix(existing.path) || existing.path.hasPrefix(to)) {
                throw LogicalError.invalidRequest("path already in use at \"\(isAuth ? "auth/" : "")\(existing.path)\"")
            }
            if table.contains(where: { $0.path == to }) { throw LogicalError.invalidRequest("path already in use at \"\(to)\"") }
            var entry = table[idx]
            let oldRoute = isAuth ? "auth/" + from : from
            entry.path = to
            if isAuth { snap.authTable[idx] = entry } else { snap.mountTable[idx] = entry }
            try await saveTables(mounts: snap.mountTable, auth: snap.authTable)
            if var mounted = snap.mounts.removeValue(forKey: oldRoute) {
                mounted.entry = entry
                snap.mounts[mounted.routePath] = mounted
            }
            router.withLock { $0 = snap }
        }
    }
}
