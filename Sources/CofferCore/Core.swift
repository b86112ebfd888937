import CofferSDK
import Crypto
import Foundation
import Logging
import Synchronization

/// The core: seal state, the barrier, routing, tokens, policies and the `sys/` backend. No HTTP here.
public final class Core: Sendable {
    public static let sealConfigPath = "core/seal-config"
    static let mountTablePath = "core/mounts"
    static let authTablePath = "core/auth"
    static let clusterPath = "core/cluster"

    public let configuration: CoreConfiguration
    let physical: any PhysicalBackend
    let barrier: AESGCMBarrier
    let logger: Logger
    let engineFactories: [String: EngineFactory]
    let authFactories: [String: EngineFactory]
    let identityFactory: IdentityFactory?
    let systemTools: [String: SystemTool]
    let now: @Sendable () -> Date
    let lockouts = Mutex<[String: LockoutState]>([:])

    struct Lifecycle: Sendable {
        var sealConfig: SealConfig?
        var unsealShares: [[UInt8]] = []
        var unsealNonce = ""
        var clusterID = ""
    }
    let lifecycle = Mutex(Lifecycle())
    let router = Mutex<RouterSnapshot?>(nil)
    let stateLock = AsyncLock()
    let tokens: TokenStore
    let leases: LeaseStore
    let rotations = RotationScheduler()
    let policies: PolicyStore
    let passwordPolicies: PasswordPolicyStore
    let audit = AuditBroker()
    public let metrics = CofferMetrics()
    /// Requests begun so far: the server's housekeeping uses it to notice when a burst is over.
    let requestCounter = Atomic<Int>(0)
    public var requestsBegun: Int { requestCounter.load(ordering: .relaxed) }
    let auditLock = AsyncLock()
    /// The shared storage's election, when the configuration enables HA on a backend that supports it.
    let haBackend: (any HABackend)?
    let haState = Mutex(HAState())
    /// A standby's read path (``handleOnStandby(_:)``).
    let standbyReads = StandbyReads()
    /// The barrier's encryption count at the last ``checkKeyringRotation()``.
    let keyringUsageSeen = Mutex<Int64>(0)

    /// Builds the identity store over its storage view; it gets a way to list auth mounts by accessor.
    public typealias IdentityFactory = @Sendable (
        _ storage: any LogicalStorage, _ mountAccessors: @escaping @Sendable () async -> [String: (type: String, path: String)]
    ) -> any SecretsEngine & IdentityResolver

    /// A `sys/tools/<name>` handler: the request and the rest of the path after the tool's name.
    public typealias SystemTool = @Sendable (LogicalRequest, String) throws -> LogicalResponse

    public init(
        configuration: CoreConfiguration, physical: any PhysicalBackend, engines: [String: EngineFactory],
        authMethods: [String: EngineFactory] = [:], systemTools: [String: SystemTool] = [:], identity: IdentityFactory? = nil,
        logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        let timed = TimedPhysicalBackend(inner: physical, metrics: metrics)
        self.physical = timed
        self.haBackend = configuration.ha == nil ? nil : physical as? any HABackend
        self.barrier = AESGCMBarrier(physical: timed)
        self.engineFactories = engines
        self.authFactories = authMethods
        self.identityFactory = identity
        self.systemTools = systemTools
        self.logger = logger
        self.now = now
        self.policies = PolicyStore(storage: PrefixedStorage(base: barrier, prefix: "core/policy/"))
        self.passwordPolicies = PasswordPolicyStore(storage: PrefixedStorage(base: barrier, prefix: "core/password-policy/"))
        self.tokens = TokenStore(storage: barrier)
        self.leases = LeaseStore(storage: barrier)
        metrics.registerDefaults()
        audit.setOnFailure { [metrics] type, kind in metrics.auditFailure(deviceType: type, kind: kind.rawValue) }
        // Weak: a background revocation (a token's last use, an expired token found on lookup) may outlive the core.
        tokens.setRevokeHook { [weak self] hash in
            guard let self else { throw CancellationError() }
            // Destroy the cubbyhole of the revoked token in every cubbyhole mount, and any response it wrapped.
            // The operations join the token's own deletion in one transaction.
            let cubbies = self.router.withLock { $0?.mounts.values.filter { $0.entry.type == "cubbyhole" } ?? [] }
            var ops: [StorageOperation] = [.delete(Core.wrappingPrefix + hash)]
            // The token's leases expire with it: the sweeper revokes them at their source.
            ops += try await self.leases.expireOperations(forToken: hash, now: self.now())
            for m in cubbies {
                let prefix = "logical/\(m.entry.uuid)/\(hash)/"
                for key in try await PrefixedStorage(base: self.barrier, prefix: prefix).listRecursive(prefix: "") {
                    ops.append(.delete(prefix + key))
                }
            }
            return ops
        }
    }

    // MARK: State

    /// Reads the seal configuration from storage (on start).
    public func loadSealConfig() async throws {
        let cfg = try await physical.get(Self.sealConfigPath).map { try JSONValue.parse($0) }
        let parsed = cfg.flatMap { v -> SealConfig? in
            guard let s = v["secret_shares"]?.intValue, let t = v["secret_threshold"]?.intValue else { return nil }
            return SealConfig(shares: Int(s), threshold: Int(t))
        }
        let cluster = try await physical.get(Self.clusterPath).map { String(decoding: $0, as: UTF8.self) } ?? ""
        lifecycle.withLock {
            $0.sealConfig = parsed
            $0.clusterID = cluster
        }
    }

    public var isSealed: Bool { barrier.isSealed }

    /// Passwords from the policies of `sys/policies/password`, for ``EngineConfiguration/passwords``.
    public var passwordSource: any PasswordSource { CorePasswordSource(store: passwordPolicies) }
    public var isInitialized: Bool { lifecycle.withLock { $0.sealConfig != nil } }

    public func sealStatus() -> SealStatus {
        let l = lifecycle.withLock { $0 }
        let sealed = barrier.isSealed
        return SealStatus(
            initialized: l.sealConfig != nil, sealed: sealed, threshold: l.sealConfig?.threshold ?? 0, shares: l.sealConfig?.shares ?? 0,
            progress: sealed ? l.unsealShares.count : 0, nonce: sealed ? l.unsealNonce : "", clusterName: clusterName(id: l.clusterID),
            clusterID: l.clusterID, storageType: configuration.storageType)
    }

    /// The configured cluster name, else one derived from the stored cluster id (the same on every node).
    func clusterName(id: String) -> String {
        guard !configuration.clusterNameConfigured, id.count >= 8 else { return configuration.clusterName }
        return "coffer-cluster-" + id.prefix(8).lowercased()
    }

    // MARK: Init, unseal, seal

    /// Initializes a new store: unseal key split into shares, root key, keyring, default mounts and policies, and a
    /// root token. The core is left sealed, as Vault leaves it.
    public func initialize(shares: Int, threshold: Int, rootTokenID: String? = nil) async throws -> InitResult {
        try await stateLock.withLock {
            guard shares >= 1 else { throw LogicalError.invalidRequest("invalid seal configuration: shares must be at least one") }
            guard threshold >= 1 else { throw LogicalError.invalidRequest("invalid seal configuration: threshold must be at least one") }
            guard threshold <= shares else {
                throw LogicalError.invalidRequest("invalid seal configuration: threshold cannot be larger than shares")
            }
            guard shares == 1 || threshold > 1 else {
                throw LogicalError.invalidRequest("invalid seal configuration: threshold must be greater than one for multiple shares")
            }
            guard shares <= 255 else {
                throw LogicalError.invalidRequest("invalid seal configuration: shares must be less than 256")
            }
            if try await physical.get(Self.sealConfigPath) != nil {
                throw LogicalError.invalidRequest("Vault is already initialized")
            }
            let unsealKey = SymmetricKey(size: .bits256)
            let unsealBytes = unsealKey.withUnsafeBytes { Array($0) }
            var rng = SystemRandomNumberGenerator()
            let keys = shares == 1 ? [unsealBytes] : try Shamir.split(unsealBytes, parts: shares, threshold: threshold, using: &rng)
            let rootKey = SymmetricKey(size: .bits256)
            try await barrier.initialize(rootKey: rootKey, unsealKey: unsealKey, now: now())

            // Set up the initial contents inside the barrier.
            try await barrier.unseal(unsealKey: unsealKey)
            let rootToken = rootTokenID ?? ("s." + RandomID.base62(24))
            do {
                try await setupInitialContents(rootToken: rootToken)
            } catch {
                barrier.seal()
                throw error
            }
            barrier.seal()
            let clusterID = RandomID.uuid()
            let cfg: JSONValue = ["type": "shamir", "secret_shares": .int(Int64(shares)), "secret_threshold": .int(Int64(threshold))]
            try await physical.transaction([.put(Self.sealConfigPath, cfg.serializedData()), .put(Self.clusterPath, Data(clusterID.utf8))])
            lifecycle.withLock {
                $0.sealConfig = SealConfig(shares: shares, threshold: threshold)
                $0.clusterID = clusterID
                $0.unsealShares = []
                $0.unsealNonce = ""
            }
            logger.info("core initialized", metadata: ["coffer.shares": "\(shares)", "coffer.threshold": "\(threshold)"])
            return InitResult(keys: keys, rootToken: rootToken)
        }
    }

    private func setupInitialContents(rootToken: String) async throws {
        let mounts = [
            MountEntry(path: "cubbyhole/", type: "cubbyhole", description: "per-token private secret storage", uuid: RandomID.uuid(),
                       accessor: "cubbyhole_" + RandomID.hex(4), local: true),
            MountEntry(path: "identity/", type: "identity", description: "identity store", uuid: RandomID.uuid(),
                       accessor: "identity_" + RandomID.hex(4), extraConfig: ["passthrough_request_headers": ["Authorization"]]),
            MountEntry(path: "sys/", type: "system", description: "system endpoints used for control, policy and debugging",
                       uuid: RandomID.uuid(), accessor: "system_" + RandomID.hex(4), sealWrap: true,
                       extraConfig: ["passthrough_request_headers": ["Accept"]]),
        ]
        let auth = [
            MountEntry(path: "token/", type: "token", description: "token based credentials", uuid: RandomID.uuid(),
                       accessor: "auth_token_" + RandomID.hex(4))
        ]
        try await saveTables(mounts: mounts, auth: auth)
        try await policies.setupDefaults(now: now())
        try await tokens.setup()
        let entry = TokenEntry(
            idHash: try tokens.hash(rootToken), accessor: RandomID.base62(24), parentHash: nil, policies: ["root"], meta: nil,
            displayName: "root", numUses: 0, creationTime: now(), creationTTL: 0, explicitMaxTTL: 0, period: 0, renewable: false,
            path: "auth/token/root", expireTime: nil, role: "")
        try await tokens.create(entry)
        tokens.teardown()
    }

    /// Dev mode: initialize with one share, unseal, and mount KV v2 at `secret/`.
    public func initializeDev(rootTokenID: String?) async throws -> InitResult {
        let result = try await initialize(shares: 1, threshold: 1, rootTokenID: rootTokenID)
        _ = try await unseal(keyBytes: result.keys[0], reset: false)
        try await enableMount(path: "secret/", type: "kv", description: "key/value secret storage", options: ["version": "2"], config: [:], isAuth: false)
        return result
    }

    /// Submits one unseal share. Returns the new status; throws for a bad key.
    public func unseal(keyBytes: [UInt8], reset: Bool) async throws -> SealStatus {
        try await stateLock.withLock {
            if reset {
                lifecycle.withLock {
                    $0.unsealShares = []
                    $0.unsealNonce = ""
                }
                return sealStatus()
            }
            guard let cfg = lifecycle.withLock({ $0.sealConfig }) else {
                throw LogicalError.invalidRequest("Vault is not initialized")
            }
            guard barrier.isSealed else { return sealStatus() }
            let expectedLength = cfg.shares == 1 ? 32 : 33
            guard keyBytes.count == expectedLength else {
                throw LogicalError.invalidRequest(
                    cfg.shares == 1
                        ? "invalid key: key is not the correct length" : "'key' must be a valid hex or base64 string")
            }
            let collected = lifecycle.withLock { l -> [[UInt8]]? in
                if l.unsealShares.isEmpty { l.unsealNonce = RandomID.uuid() }
                // A repeated share does not advance progress.
                if !l.unsealShares.contains(where: { constantTimeEqual($0, keyBytes) }) { l.unsealShares.append(keyBytes) }
                return l.unsealShares.count >= cfg.threshold ? l.unsealShares : nil
            }
            guard let shares = collected else { return sealStatus() }
            lifecycle.withLock {
                $0.unsealShares = []
                $0.unsealNonce = ""
            }
            let keyBytes: [UInt8]
            do {
                keyBytes = cfg.threshold == 1 ? shares[0] : try Shamir.combine(shares)
            } catch {
                throw LogicalError.invalidRequest("failed to unseal: \(error)")
            }
            do {
                try await barrier.unseal(unsealKey: SymmetricKey(data: keyBytes))
            } catch {
                throw LogicalError.invalidRequest("Error unsealing: failed to decrypt keys from storage: cipher: message authentication failed")
            }
            if haBackend != nil {
                // One of several nodes: a standby until it holds the lock (the election then sets the core up).
                await enterStandby()
                logger.info("core unsealed")
                return sealStatus()
            }
            do {
                try await postUnseal()
            } catch {
                barrier.seal()
                throw LogicalError.internalError("failed to set up core after unseal: \(error)")
            }
            logger.info("core unsealed")
            return sealStatus()
        }
    }

    /// Loads mount tables, policies and tokens after the barrier opened.
    func postUnseal() async throws {
        try await tokens.setup()
        try await leases.setup()
        policies.invalidateAll()
        passwordPolicies.invalidateAll()
        try await loadRouter()
        try await loadAudit()
        await loadRotations()
    }

    /// Seals: drops the keyring and every cache.
    public func seal() async throws {
        try await stateLock.withLock {
            if haBackend != nil {
                await leaveHA()
            } else {
                await saveAuditChains()
            }
            barrier.seal()
            await teardownActive()
            logger.info("core sealed")
        }
    }

    /// Undoes ``postUnseal()``: audit devices closed, engines shut down, every cache of the active node dropped.
    func teardownActive() async {
        audit.set([])
        let mounted = router.withLock { r -> [MountedEngine] in
            defer { r = nil }
            return r.map { Array($0.mounts.values) } ?? []
        }
        for m in mounted { await m.engine.shutdown() }
        tokens.teardown()
        leases.teardown()
        rotations.clear()
        policies.invalidateAll()
        passwordPolicies.invalidateAll()
    }

    /// Rotates the barrier encryption key (`sys/rotate`).
    func rotateKey() async throws -> KeyTerm {
        try await barrier.rotate(now: now())
    }

    // MARK: Mount tables

    func saveTables(mounts: [MountEntry], auth: [MountEntry]) async throws {
        try await barrier.transaction(tableOperations(mounts: mounts, auth: auth))
    }

    /// The writes that store both mount tables (for a transaction that changes more than the tables).
    func tableOperations(mounts: [MountEntry], auth: [MountEntry]) -> [StorageOperation] {
        [
            .put(Self.mountTablePath, JSONValue.array(mounts.map { $0.storageJSON() }).serializedData()),
            .put(Self.authTablePath, JSONValue.array(auth.map { $0.storageJSON() }).serializedData()),
        ]
    }

    func loadRouter() async throws {
        let mounts = try await barrier.getJSON(Self.mountTablePath)?.arrayValue?.map { try MountEntry(storage: $0) } ?? []
        let auth = try await barrier.getJSON(Self.authTablePath)?.arrayValue?.map { try MountEntry(storage: $0) } ?? []
        var snapshot = RouterSnapshot(mounts: [:], mountTable: mounts, authTable: auth)
        for m in mounts {
            if let mounted = try await instantiate(m, isAuth: false) {
                snapshot.mounts[mounted.routePath] = mounted
                if m.type == "identity" { snapshot.identity = mounted.engine as? any IdentityResolver }
            }
        }
        for m in auth {
            if let mounted = try await instantiate(m, isAuth: true) { snapshot.mounts[mounted.routePath] = mounted }
        }
        router.withLock { $0 = snapshot }
    }

    /// Creates the engine for a table entry; `nil` for the built-in backends routed by the core itself.
    func instantiate(_ entry: MountEntry, isAuth: Bool) async throws -> MountedEngine? {
        if entry.type == "system" || entry.type == "token" { return nil }
        let prefix = (isAuth ? "auth/" : "logical/") + entry.uuid + "/"
        let storage = PrefixedStorage(base: barrier, prefix: prefix)
        if entry.type == "identity" && !isAuth {
            guard let identityFactory else { return nil }
            let engine = identityFactory(storage) { [weak self] in
                var out: [String: (type: String, path: String)] = [:]
                guard let self else { return out }
                for m in self.router.withLock({ $0?.authTable ?? [] }) { out[m.accessor] = (m.type, "auth/" + m.path) }
                return out
            }
            return MountedEngine(entry: entry, engine: engine, storage: storage, isAuth: false)
        }
        guard let factory = (isAuth ? authFactories : engineFactories)[entry.type] else {
            logger.error("no engine for mount type", metadata: ["coffer.mount_type": "\(entry.type)"])
            return nil
        }
        let engine = try await factory(
            EngineConfiguration(
                mountPath: entry.path, type: entry.type, options: entry.options ?? [:], logger: logger, passwords: passwordSource,
                rotations: MountRotations(scheduler: rotations, mountUUID: entry.uuid)))
        return MountedEngine(entry: entry, engine: engine, storage: storage, isAuth: isAuth)
    }

    func currentRouter() throws -> RouterSnapshot {
        guard let r = router.withLock({ $0 }) else { throw LogicalError.sealed }
        return r
    }
}
