import CofferSDK
import Foundation
import Logging
import Synchronization

/// The request path: seal check, routing, token check, ACL, dispatch, lease duration.
extension Core {
    enum Target {
        case system(String)
        case token(String)
        case engine(MountedEngine, String)
    }

    static func routeNotFound(_ path: String) -> LogicalError {
        LogicalError(.unsupportedPath, "no handler for route \"\(path)\". route entry not found.")
    }

    public static func multiError(_ text: String) -> String { LogicalError.multiErrorText(text) }

    func resolveTarget(_ path: String, snapshot: RouterSnapshot) throws -> Target {
        if path == "sys" || path.hasPrefix("sys/") { return .system(path == "sys" ? "" : String(path.dropFirst(4))) }
        if path == "auth/token" || path.hasPrefix("auth/token/") {
            return .token(path.count > 11 ? String(path.dropFirst(11)) : "")
        }
        guard let m = snapshot.route(path) else { throw Self.routeNotFound(path) }
        let sub = path.count >= m.routePath.count ? String(path.dropFirst(m.routePath.count)) : ""
        return .engine(m, sub)
    }

    /// Handles one logical request. With audit devices enabled, the request is recorded before anything is done
    /// for it and refused when no device could record it; the response is recorded before it is returned.
    public func handle(_ req: CoreRequest) async throws -> CoreResponse {
        try Self.checkPath(req)
        // A standby answers only what ``handleOnStandby(_:)`` lets through; everything else is the active node's.
        if haBackend != nil, StandbyReadScope.current == nil, haRole == .standby { throw Self.standbyRefusal }
        requestCounter.add(1, ordering: .relaxed)
        let start = DispatchTime.now().uptimeNanoseconds
        let devices = audit.all
        var ctx: AuditContext? = AuditContext(request: req, devices: devices)
        let resp: CoreResponse
        do {
            resp = try await handleAudited(req, audit: &ctx)
        } catch {
            recordRequestMetrics(ctx!, start: start, status: Self.metricsStatus(error))
            if !devices.isEmpty { await auditFailure(ctx!, error: error) }
            throw error
        }
        if !devices.isEmpty {
            guard await audit.log(ctx!.record(.response, time: now(), response: resp), to: devices) else {
                logger.error("audit: no device recorded the response", metadata: ["coffer.request_id": "\(req.id)"])
                recordRequestMetrics(ctx!, start: start, status: 500)
                throw LogicalError.internalError("internal error")
            }
        }
        recordRequestMetrics(ctx!, start: start, status: resp.httpStatus ?? 200)
        return resp
    }

    /// Refuses a path that is not canonical (the edge redirects or refuses those first; this guards every other
    /// caller), and a write or delete of a folder (a handler that trims the slash would act on a path the ACL never
    /// saw), before any routing, policy or sudo decision is made on it.
    static func checkPath(_ req: CoreRequest) throws {
        guard RequestPath.isCanonical(req.path) else { throw LogicalError.invalidRequest("invalid request path") }
        switch req.operation {
        case .create, .update, .patch, .delete:
            if req.path.hasSuffix("/") { throw LogicalError.invalidRequest("cannot write to a path ending in '/'") }
        default:
            break
        }
    }

    func recordRequestMetrics(_ ctx: AuditContext, start: UInt64, status: Int) {
        metrics.request(
            mountType: ctx.mount?.type ?? "none", operation: ctx.operation, status: status,
            nanoseconds: Int64(DispatchTime.now().uptimeNanoseconds - start))
    }

    static func metricsStatus(_ error: any Error) -> Int {
        (error as? LogicalError)?.code.httpStatus ?? 500
    }

    func handleAudited(_ req: CoreRequest, audit: inout AuditContext?) async throws -> CoreResponse {
        var resp = try await handleUnwrapped(req, audit: &audit)
        if let ttl = req.wrapTTL, ttl > 0, !resp.isEmpty, resp.httpStatus == nil || resp.httpStatus == 200 {
            resp = try await wrap(resp, ttl: ttl, path: req.path)
        }
        return resp
    }

    func handleUnwrapped(_ req: CoreRequest, audit: inout AuditContext?) async throws -> CoreResponse {
        if req.path == "sys/wrapping/unwrap" || req.path == "sys/wrapping/lookup",
            req.data["token"]?.stringValue.map({ $0.isEmpty }) ?? true
        {
            // The wrapping token itself is presented as the request token.
            let snapshot = try currentRouter()
            noteAudit(&audit, target: .system(""), token: nil, operation: req.operation, snapshot: snapshot)
            try await auditRequest(&audit)
            return try await wrappingOperation(req.path == "sys/wrapping/unwrap" ? "unwrap" : "lookup", wrappingToken: req.token ?? "")
        }
        let snapshot = try currentRouter()
        let target = try resolveTarget(req.path, snapshot: snapshot)
        let now = self.now()

        var tokenEntry: TokenEntry? = nil
        if let t = req.token, !t.isEmpty { tokenEntry = try await tokens.lookup(token: t, now: now) }
        if tokenEntry?.numUses == -1 { tokenEntry = nil }

        let unauthenticated = isUnauthenticated(target)
        var operation = req.operation
        noteAudit(&audit, target: target, token: tokenEntry, operation: operation, snapshot: snapshot)
        if !unauthenticated {
            guard var entry = tokenEntry else { throw LogicalError.permissionDenied }
            if !entry.boundCIDRs.isEmpty {
                guard let ip = req.remoteAddress, entry.boundCIDRs.contains(where: { CIDRBlock($0)?.contains(ip) ?? false }) else {
                    throw LogicalError.permissionDenied
                }
            }
            if operation == .update {
                switch target {
                case .engine(let m, let sub):
                    let lreq = makeLogicalRequest(req, mount: m, sub: sub, token: entry, operation: .update)
                    if let exists = try await m.engine.existenceCheck(lreq), !exists { operation = .create }
                case .token(let sub):
                    let lreq = LogicalRequest(
                        id: req.id, operation: .update, path: sub, data: req.data, storage: barrier, remoteAddress: req.remoteAddress, tls: req.tls)
                    if let exists = try await TokenBackend.router.existenceCheck(TokenCall(core: self, request: req, caller: entry), lreq), !exists {
                        operation = .create
                    }
                case .system: break
                }
            }
            // Path-help needs a valid token but no capability on the path, as in OpenBao.
            if !entry.isRoot, operation != .help {
                let acl = try await acl(for: entry, snapshot: snapshot)
                let decision = acl.allowOperation(path: req.path, operation: operation, data: req.data)
                // A valid token the policy refuses gets go-multierror's text, as OpenBao 2.7.2 answers it; a missing
                // or invalid token gets the bare text (above).
                let denied = LogicalError(.permissionDenied, Self.multiError("permission denied"))
                guard decision.allowed else { throw denied }
                if requiresSudo(target), !decision.sudoGranted { throw denied }
                // Wrapping bounds from the policy: a rule with min_wrapping_ttl demands a wrapped response.
                if let min = decision.minWrappingTTL, (req.wrapTTL ?? 0) < min { throw denied }
                if let max = decision.maxWrappingTTL, let w = req.wrapTTL, w > max { throw denied }
            }
            if audit != nil { audit!.operation = operation }
            if entry.numUses > 0, let scope = StandbyReadScope.current {
                // Each use is a write: the active node counts it.
                scope.markMustForward("a use-limited token")
                throw LogicalError.internalError(StandbyReadScope.message)
            }
            try await auditRequest(&audit)
            if entry.numUses > 0 {
                // One winner per use: a concurrent request that lost the last use is refused.
                guard let used = try await tokens.takeUse(hash: entry.idHash) else { throw LogicalError.permissionDenied }
                entry = used
                tokenEntry = entry
            }
        } else {
            try await auditRequest(&audit)
        }

        defer {
            if let e = tokenEntry, e.numUses == -1 {
                let h = e.idHash
                let tokens = self.tokens
                Task { try? await tokens.revokeTree(hash: h) }
            }
        }

        switch target {
        case .system(let sub):
            do {
                return try await handleSystem(req, sub: sub, operation: operation, token: tokenEntry)
            } catch let e as LogicalError where e.isGoError {
                throw unauthenticated ? LogicalError(e.code, messages: e.messages) : e.wrappedForClient
            }
        case .token(let sub):
            guard let caller = tokenEntry else { throw LogicalError.permissionDenied }
            let lr = LogicalRequest(
                id: req.id, operation: operation, path: sub, data: req.data, storage: barrier, remoteAddress: req.remoteAddress, tls: req.tls)
            do {
                return try await TokenBackend.router.handle(TokenCall(core: self, request: req, caller: caller), lr)
            } catch let e as LogicalError where e.isGoError {
                throw e.wrappedForClient
            }
        case .engine(let m, let sub):
            if m.entry.type == "cubbyhole", tokenEntry?.type == TokenType.batch.rawValue {
                // A batch token is never stored, so it has no cubbyhole that could be destroyed with it.
                throw LogicalError.invalidRequest("cubbyhole operations are only supported by 'service' type tokens")
            }
            let lreq = makeLogicalRequest(req, mount: m, sub: sub, token: tokenEntry, operation: operation)
            let loginID = m.isAuth ? m.engine.loginIdentifier(lreq) : nil
            if let loginID { try checkLockout(mount: m, identifier: loginID) }
            let resp: LogicalResponse?
            do {
                resp = try await m.engine.handle(lreq)
            } catch let e as LogicalError where e.code == .invalidCredentials {
                if let loginID { recordLoginResult(mount: m, identifier: loginID, failed: true) }
                throw e
            } catch let e as LogicalError where e.isGoError {
                // OpenBao wraps a handler's Go error in multierror's text on authenticated requests, not on logins.
                throw unauthenticated ? LogicalError(e.code, messages: e.messages) : e.wrappedForClient
            }
            if let loginID, resp?.auth != nil { recordLoginResult(mount: m, identifier: loginID, failed: false) }
            return try await finish(resp, mount: m, requestPath: req.path, snapshot: snapshot, token: tokenEntry)
        }
    }

    func isUnauthenticated(_ target: Target) -> Bool {
        switch target {
        case .system(let sub):
            return SystemBackend.router.specialPaths.unauthenticated.contains { Self.matchSpecial($0, sub) }
                || sub == "health" || sub == "seal-status" || sub == "leader" || sub == "init"
        case .token:
            return false
        case .engine(let m, let sub):
            return m.engine.specialPaths.unauthenticated.contains { Self.matchSpecial($0, sub) }
        }
    }

    static func matchSpecial(_ pattern: String, _ path: String) -> Bool {
        if pattern.hasSuffix("*") { return path.hasPrefix(String(pattern.dropLast())) }
        return pattern == path
    }

    func requiresSudo(_ target: Target) -> Bool {
        switch target {
        case .system(let sub):
            return (SystemBackend.router.specialPaths.root + SystemBackend.undeclaredSudoPaths).contains { Self.matchSpecial($0, sub) }
        case .token(let sub):
            return (TokenBackend.router.specialPaths.root + TokenBackend.undeclaredSudoPaths).contains { Self.matchSpecial($0, sub) }
        case .engine(let m, let sub):
            return m.engine.specialPaths.root.contains { Self.matchSpecial($0, sub) }
        }
    }

    func makeLogicalRequest(_ req: CoreRequest, mount m: MountedEngine, sub: String, token: TokenEntry?, operation: Operation) -> LogicalRequest {
        var storage = m.storage
        if m.entry.type == "cubbyhole" {
            storage = PrefixedStorage(base: m.storage, prefix: (token?.idHash ?? "-") + "/")
        }
        var lreq = LogicalRequest(
            id: req.id, operation: operation, path: sub, data: req.data, contentType: req.contentType, storage: storage,
            mountPoint: m.routePath, mountType: m.entry.type, mountAccessor: m.entry.accessor, mountOptions: m.entry.options ?? [:],
            clientTokenAccessor: token?.accessor, displayName: token?.displayName ?? "", isRoot: token?.isRoot ?? false,
            remoteAddress: req.remoteAddress, tls: req.tls)
        lreq.entityID = token?.entityID ?? ""
        return lreq
    }

    /// Turns an engine response into a core response: lease duration from the mount and system settings, and a
    /// token for login responses.
    func finish(
        _ resp: LogicalResponse?, mount: MountedEngine, requestPath: String, snapshot: RouterSnapshot, token: TokenEntry?
    ) async throws -> CoreResponse {
        guard let resp else { return CoreResponse() }
        var out = CoreResponse(data: resp.data, warnings: resp.warnings, httpStatus: resp.httpStatus)
        if let secret = resp.secret, secret.leased, !mount.isAuth {
            let lease = try await registerLease(secret, mount: mount, requestPath: requestPath, token: token)
            out.leaseID = lease.id
            out.leaseDuration = lease.ttl
            out.renewable = secret.renewable
        } else if let secret = resp.secret {
            let maxTTL = mount.entry.maxLeaseTTL > 0 ? mount.entry.maxLeaseTTL : configuration.maxLeaseTTL
            var ttl = secret.ttl ?? (mount.entry.defaultLeaseTTL > 0 ? mount.entry.defaultLeaseTTL : configuration.defaultLeaseTTL)
            if secret.ttl == nil, ttl <= 0 { ttl = configuration.defaultLeaseTTL }
            out.leaseDuration = min(ttl, maxTTL)
            out.renewable = secret.renewable
        }
        if let auth = resp.auth {
            guard mount.isAuth else { throw LogicalError.internalError("a secrets engine returned an auth response") }
            out.auth = try await issueLoginToken(auth, mount: mount, requestPath: requestPath, snapshot: snapshot)
        }
        return out
    }
}
