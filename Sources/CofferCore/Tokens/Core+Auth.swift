import CofferSDK
import Foundation
import Synchronization

/// Failed-login state for one (mount accessor, login identifier).
struct LockoutState: Sendable {
    var failures: Int
    var lastFailure: Date
    var lockedUntil: Date?
}

/// Logins through auth methods: identity resolution, token issuing, lockout, and renewal through the method.
extension Core {
    struct LockoutConfig {
        var threshold: Int = 5
        var duration: Int64 = 900
        var counterReset: Int64 = 900
        var disabled = false
    }

    static let lockoutTypes: Set<String> = ["userpass", "approle", "ldap"]

    func lockoutConfig(_ mount: MountEntry) -> LockoutConfig {
        var c = LockoutConfig()
        if let o = mount.extraConfig["user_lockout_config"]?.objectValue {
            if let t = o["lockout_threshold"].flatMap({ $0.intValue ?? $0.stringValue.flatMap { Int64($0) } }) { c.threshold = Int(t) }
            if let d = o["lockout_duration"].flatMap(parseDurationSeconds), d > 0 { c.duration = d }
            if let r = o["lockout_counter_reset"].flatMap(parseDurationSeconds), r > 0 { c.counterReset = r }
            if let b = o["lockout_disable"]?.boolValue { c.disabled = b }
        }
        return c
    }

    static func invalidCredentialsMessage(_ type: String) -> String {
        type == "approle" ? "invalid role or secret ID" : "invalid username or password"
    }

    /// Refuses a login whose identifier is locked out (with the same error as bad credentials).
    func checkLockout(mount: MountedEngine, identifier: String) throws {
        let config = lockoutConfig(mount.entry)
        guard !config.disabled, Self.lockoutTypes.contains(mount.entry.type) else { return }
        let key = mount.entry.accessor + "/" + identifier
        let now = self.now()
        let locked = lockouts.withLock { l -> Bool in
            guard let s = l[key], let until = s.lockedUntil else { return false }
            if until > now { return true }
            l.removeValue(forKey: key)
            return false
        }
        if locked { throw LogicalError(.invalidCredentials, Self.invalidCredentialsMessage(mount.entry.type)) }
    }

    func recordLoginResult(mount: MountedEngine, identifier: String, failed: Bool) {
        metrics.login(method: mount.entry.type, succeeded: !failed)
        let config = lockoutConfig(mount.entry)
        guard !config.disabled, Self.lockoutTypes.contains(mount.entry.type) else { return }
        let key = mount.entry.accessor + "/" + identifier
        let now = self.now()
        lockouts.withLock { l in
            guard failed else {
                l.removeValue(forKey: key)
                return
            }
            if l.count > 100_000 {
                // Bound the table: forget counters that have reset and lockouts that ended.
                l = l.filter { ($0.value.lockedUntil ?? .distantPast) > now || now.timeIntervalSince($0.value.lastFailure) < Double(config.counterReset) }
            }
            var s = l[key] ?? LockoutState(failures: 0, lastFailure: now, lockedUntil: nil)
            if now.timeIntervalSince(s.lastFailure) > Double(config.counterReset) { s.failures = 0 }
            s.failures += 1
            s.lastFailure = now
            if s.failures >= config.threshold { s.lockedUntil = now.addingTimeInterval(Double(config.duration)) }
            l[key] = s
        }
    }

    /// `sys/locked-users` and `sys/locked-users/:accessor/unlock/:identifier`.
    func lockedUsers(unlockAccessor: String?, identifier: String?) -> CoreResponse {
        let now = self.now()
        if let a = unlockAccessor, let id = identifier {
            lockouts.withLock { _ = $0.removeValue(forKey: a + "/" + id) }
            return CoreResponse()
        }
        let locked = lockouts.withLock { l in l.filter { ($0.value.lockedUntil ?? .distantPast) > now }.map(\.key) }
        var byAccessor: [String: [String]] = [:]
        for key in locked {
            guard let slash = key.firstIndex(of: "/") else { continue }
            byAccessor[String(key[..<slash]), default: []].append(String(key[key.index(after: slash)...]))
        }
        let accessors: [JSONValue] = byAccessor.keys.sorted().map { a in
            let ids = byAccessor[a]!.sorted()
            return ["mount_accessor": .string(a), "counts": .int(Int64(ids.count)), "alias_identifiers": .array(ids.map { .string($0) })]
        }
        var data: [String: JSONValue] = ["total": .int(Int64(locked.count))]
        data["by_namespace"] = locked.isEmpty
            ? .array([])
            : [["namespace_id": "root", "namespace_path": "", "counts": .int(Int64(locked.count)), "mount_accessors": .array(accessors)]]
        return CoreResponse(data: data)
    }

    /// Issues the token for a successful login through `mount`.
    func issueLoginToken(_ auth: AuthInfo, mount: MountedEngine, requestPath: String, snapshot: RouterSnapshot) async throws -> JSONValue {
        var entityID = ""
        var identityPolicies: [String] = []
        if let alias = auth.alias, !alias.name.isEmpty, let identity = snapshot.identity {
            let entity = try await identity.resolveLogin(
                mountAccessor: mount.entry.accessor, mountType: mount.entry.type, mountPath: mount.routePath, alias: alias)
            if entity.disabled { throw LogicalError.permissionDenied }
            entityID = entity.id
            // Identity never grants root: a group or entity naming it is ignored, as an unknown policy is.
            identityPolicies = try await identity.policies(entityID: entity.id).filter { $0 != Policy.rootName }
        }
        for c in auth.boundCIDRs where CIDRBlock(c) == nil {
            throw LogicalError.invalidRequest("invalid CIDR block \(c)")
        }
        let mountName = mount.entry.path.hasSuffix("/") ? String(mount.entry.path.dropLast()) : mount.entry.path
        let display = auth.displayName.isEmpty ? mountName : mountName.replacingOccurrences(of: "/", with: "-") + "-" + auth.displayName
        var r = TokenRequest(
            policies: auth.policies, meta: auth.metadata.isEmpty ? nil : auth.metadata, displayName: display, ttl: auth.ttl,
            explicitMaxTTL: nil, period: auth.period, numUses: auth.numUses, renewable: auth.renewable, noDefaultPolicy: auth.noDefaultPolicy,
            path: requestPath, origin: .authMethod(mountPath: mount.routePath),
            type: TokenType.forLogin(mountType: mount.entry.extraConfig["token_type"]?.stringValue, authType: auth.tokenType))
        r.boundCIDRs = auth.boundCIDRs
        r.authData = auth.internalData
        r.aliasName = auth.alias?.name ?? ""
        r.entityID = entityID
        r.maxTTL = auth.maxTTL ?? 0
        r.identityPolicies = identityPolicies
        let (_, block) = try await issueToken(r, parent: nil, mount: mount.entry)
        return block
    }

    enum AuthRenewal {
        /// The token was not issued by an auth method.
        case notApplicable
        case renewed(AuthInfo)
        /// The method answered with nothing (its user or role is gone): the token is left as it is.
        case declined
    }

    /// Asks the auth method that issued a token whether it may be renewed. `tls` is the connection of the request
    /// that renews it (the `cert` method checks that the client still presents a matching certificate).
    func renewWithAuthMethod(_ entry: TokenEntry, tls: TLSConnectionState? = nil) async throws -> AuthRenewal {
        guard entry.path.hasPrefix("auth/"), !entry.path.hasPrefix("auth/token/") else { return .notApplicable }
        let snapshot = try currentRouter()
        guard let m = snapshot.route(entry.path), m.isAuth else {
            throw LogicalError.invalidRequest("no auth method is mounted for this token")
        }
        let sub = String(entry.path.dropFirst(m.routePath.count))
        let auth = AuthInfo(
            policies: entry.policies, metadata: entry.meta ?? [:], displayName: entry.displayName, ttl: entry.creationTTL,
            maxTTL: entry.maxTTL > 0 ? entry.maxTTL : nil, period: entry.period > 0 ? entry.period : nil, numUses: entry.numUses,
            renewable: entry.renewable, alias: entry.aliasName.isEmpty ? nil : AuthAlias(name: entry.aliasName),
            boundCIDRs: entry.boundCIDRs, internalData: entry.authData)
        let req = LogicalRequest(
            operation: .renew, path: sub, storage: m.storage, mountPoint: m.routePath, mountType: m.entry.type,
            mountAccessor: m.entry.accessor, mountOptions: m.entry.options ?? [:], tls: tls, auth: auth)
        let resp: LogicalResponse?
        do {
            resp = try await m.engine.handle(req)
        } catch let e as LogicalError where e.isRenewalErrorResponse {
            // An error response, as opposed to a failure: the client gets it as it is (OpenBao's `resp.IsError()`).
            throw LogicalError(e.code, messages: e.messages)
        } catch let e as LogicalError {
            throw LogicalError(.internal, Self.multiError("failed to renew entry: " + e.messages.joined(separator: "; ")))
        }
        guard let renewed = resp?.auth else { return .declined }
        return .renewed(renewed)
    }

    /// The ACL for a token: its own policies plus its entity's, with identity templates filled in.
    func acl(for entry: TokenEntry, snapshot: RouterSnapshot) async throws -> ACL {
        guard !entry.entityID.isEmpty, let identity = snapshot.identity else {
            return try await policies.acl(for: entry.policies)
        }
        let extra = try await identity.policies(entityID: entry.entityID).filter { $0 != Policy.rootName }
        let values = try await identity.templateValues(entityID: entry.entityID)
        return try await policies.acl(for: entry.policies + extra, templateValues: values, cacheScope: entry.entityID)
    }
}
