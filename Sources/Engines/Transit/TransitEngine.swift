import CofferSDK
import Foundation
import Synchronization

/// Builds the transit secrets engine for a mount.
@Sendable public func makeTransitEngine(_ config: EngineConfiguration) -> any SecretsEngine {
    TransitEngine()
}

/// The transit engine: named keys kept in storage (`policy/<name>`), used for encryption, signing and HMACs
/// without ever leaving the server (unless exportable).
///
/// Parsed key material is cached per key name and replaced on every write to that key, so an encrypt costs a
/// dictionary lookup plus the AEAD.
struct TransitEngine: SecretsEngine {
    /// Serialises every read-modify-write of a key (create, rotate, config, trim, delete, restore).
    let lock = AsyncLock()
    let cache = KeyCache()
    let wrapping = WrappingKeyCache()
    /// The clock: injected by tests to drive `auto_rotate_period`.
    let now: @Sendable () -> Date

    init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    enum Route: Equatable {
        case listKeys
        case key(String)
        case keyConfig(String)
        case rotate(String)
        case trim(String)
        case importKey(String)
        case importVersion(String)
        case wrappingKey
        case encrypt(String)
        case decrypt(String)
        case rewrap(String)
        case datakey(String, String)
        case random(String)
        case hash(String)
        case hmac(String, String?)
        case sign(String, String?)
        case verify(String, String?)
        case export(String, String, String?)
        case backup(String)
        case restore(String?)
        case cacheConfig
    }

    static func route(_ rawPath: String, operation: CofferSDK.Operation) -> Route? {
        var path = rawPath
        if operation == .list, path.hasSuffix("/") { path.removeLast() }
        // Split on UTF-8 bytes: splitting by Character costs more than the rest of the routing.
        let parts = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        guard let head = parts.first else { return nil }
        let rest = Array(parts.dropFirst())
        if rest.contains(where: { $0.isEmpty }) && head != "random" && head != "hash" { return nil }
        switch head {
        case "keys":
            switch rest.count {
            case 0: return .listKeys
            case 1: return .key(rest[0])
            case 2:
                switch rest[1] {
                case "config": return .keyConfig(rest[0])
                case "rotate": return .rotate(rest[0])
                case "trim": return .trim(rest[0])
                case "import": return .importKey(rest[0])
                case "import_version": return .importVersion(rest[0])
                default: return nil
                }
            default: return nil
            }
        case "encrypt": return rest.count == 1 ? .encrypt(rest[0]) : nil
        case "decrypt": return rest.count == 1 ? .decrypt(rest[0]) : nil
        case "rewrap": return rest.count == 1 ? .rewrap(rest[0]) : nil
        case "datakey": return rest.count == 2 ? .datakey(rest[0], rest[1]) : nil
        case "random": return .random(rest.joined(separator: "/"))
        case "hash": return rest.count <= 1 ? .hash(rest.first ?? "") : nil
        case "hmac":
            if rest.count == 1 { return .hmac(rest[0], nil) }
            return rest.count == 2 ? .hmac(rest[0], rest[1]) : nil
        case "sign":
            if rest.count == 1 { return .sign(rest[0], nil) }
            return rest.count == 2 ? .sign(rest[0], rest[1]) : nil
        case "verify":
            if rest.count == 1 { return .verify(rest[0], nil) }
            return rest.count == 2 ? .verify(rest[0], rest[1]) : nil
        case "export":
            if rest.count == 2 { return .export(rest[0], rest[1], nil) }
            return rest.count == 3 ? .export(rest[0], rest[1], rest[2]) : nil
        case "backup": return rest.count == 1 ? .backup(rest[0]) : nil
        case "restore":
            if rest.isEmpty { return .restore(nil) }
            return rest.count == 1 ? .restore(rest[0]) : nil
        case "cache-config": return rest.isEmpty ? .cacheConfig : nil
        case "wrapping_key": return rest.isEmpty ? .wrappingKey : nil
        default: return nil
        }
    }

    func handle(_ request: LogicalRequest) async throws -> LogicalResponse? {
        guard let route = Self.route(request.path, operation: request.operation) else { throw TransitErrors.unsupportedPath }
        let op = request.operation
        let isWrite = op == .create || op == .update
        func requireWrite() throws { if !isWrite { throw TransitErrors.unsupportedOperation } }
        switch route {
        case .listKeys:
            guard op == .list else { throw TransitErrors.unsupportedOperation }
            return try await listKeys(request)
        case .key(let name):
            switch op {
            case .read: return try await readKey(request, name: name)
            case .create, .update: return try await createKey(request, name: name)
            case .delete: return try await deleteKey(request, name: name)
            default: throw TransitErrors.unsupportedOperation
            }
        case .keyConfig(let name):
            try requireWrite()
            return try await configKey(request, name: name)
        case .rotate(let name):
            try requireWrite()
            return try await rotateKey(request, name: name)
        case .trim(let name):
            try requireWrite()
            return try await trimKey(request, name: name)
        case .importKey(let name):
            try requireWrite()
            return try await importKey(request, name: name)
        case .importVersion(let name):
            try requireWrite()
            return try await importKeyVersion(request, name: name)
        case .wrappingKey:
            guard op == .read else { throw TransitErrors.unsupportedOperation }
            return try await readWrappingKey(request)
        case .encrypt(let name):
            try requireWrite()
            return try await encrypt(request, name: name)
        case .decrypt(let name):
            try requireWrite()
            return try await decrypt(request, name: name)
        case .rewrap(let name):
            try requireWrite()
            return try await rewrap(request, name: name)
        case .datakey(let kind, let name):
            try requireWrite()
            return try await datakey(request, kind: kind, name: name)
        case .random(let rest):
            try requireWrite()
            return try transitRandom(request, path: rest)
        case .hash(let alg):
            try requireWrite()
            return try transitHash(request, path: alg)
        case .hmac(let name, let alg):
            try requireWrite()
            return try await hmac(request, name: name, urlAlgorithm: alg)
        case .sign(let name, let alg):
            try requireWrite()
            return try await sign(request, name: name, urlAlgorithm: alg)
        case .verify(let name, let alg):
            try requireWrite()
            return try await verify(request, name: name, urlAlgorithm: alg)
        case .export(let kind, let name, let version):
            guard op == .read else { throw TransitErrors.unsupportedOperation }
            return try await export(request, kind: kind, name: name, version: version)
        case .backup(let name):
            guard op == .read else { throw TransitErrors.unsupportedOperation }
            return try await backup(request, name: name)
        case .restore(let name):
            try requireWrite()
            return try await restore(request, name: name)
        case .cacheConfig:
            switch op {
            case .read: return LogicalResponse(data: ["size": 0])
            case .create, .update: return nil
            default: throw TransitErrors.unsupportedOperation
            }
        }
    }

    func existenceCheck(_ request: LogicalRequest) async throws -> Bool? {
        switch Self.route(request.path, operation: request.operation) {
        case .key(let name), .encrypt(let name):
            return try await request.storage.get(KeyPolicy.storageKey(name)) != nil
        default:
            return nil
        }
    }
}

/// Parsed keys by name. Entries are replaced whenever the engine writes the key.
final class KeyCache: Sendable {
    private let entries = Mutex<[String: LoadedKey]>([:])

    func get(_ name: String) -> LoadedKey? { entries.withLock { $0[name] } }
    func set(_ name: String, _ key: LoadedKey) { entries.withLock { $0[name] = key } }
    func remove(_ name: String) { _ = entries.withLock { $0.removeValue(forKey: name) } }
}

extension TransitEngine {
    /// The key, from the cache or storage (then cached). Nil when it does not exist.
    func loadKey(_ storage: any LogicalStorage, _ name: String) async throws -> LoadedKey? {
        if let cached = cache.get(name) { return cached }
        guard let json = try await storage.getJSON(KeyPolicy.storageKey(name)) else { return nil }
        guard let policy = KeyPolicy(json: json) else { throw TransitErrors.multi("failed to decode key \(name)") }
        let loaded = try LoadedKey(policy: policy)
        cache.set(name, loaded)
        return loaded
    }

    /// The key for an operation, rotated first if its `auto_rotate_period` has passed.
    func loadForUse(_ storage: any LogicalStorage, _ name: String) async throws -> LoadedKey? {
        guard let key = try await loadKey(storage, name) else { return nil }
        if needsAutoRotation(key.policy) {
            return try await lock.withLock {
                guard let current = try await loadKey(storage, name) else { return nil }
                guard needsAutoRotation(current.policy) else { return current }
                var p = current.policy
                try rotate(&p)
                return try await save(storage, p)
            }
        }
        return key
    }

    func needsAutoRotation(_ p: KeyPolicy) -> Bool {
        guard p.autoRotatePeriod > 0, p.rotationAllowed, let latest = p.versions[p.latestVersion] else { return false }
        // Whole seconds are enough for a period of an hour or more, and avoid parsing the RFC 3339 time per request.
        // creation_time can come from a restored backup: saturating arithmetic, never a trap.
        let age = CheckedNumber.subtract(CheckedNumber.int64(clamping: now().timeIntervalSince1970), latest.creationTime) ?? Int64.max
        return age >= p.autoRotatePeriod
    }

    /// Writes the key and replaces its cache entry.
    @discardableResult
    func save(_ storage: any LogicalStorage, _ policy: KeyPolicy) async throws -> LoadedKey {
        let loaded = try LoadedKey(policy: policy)
        try await storage.putJSON(KeyPolicy.storageKey(policy.name), policy.json)
        cache.set(policy.name, loaded)
        return loaded
    }

    /// Adds a version and makes it the latest. A key rotated here is no longer an imported key (as in OpenBao).
    func rotate(_ p: inout KeyPolicy) throws {
        let v = p.latestVersion + 1
        p.versions[v] = try KeyGenerator.newVersion(type: p.type, keySize: p.keySize, now: now())
        p.latestVersion = v
        p.imported = false
    }

    /// Evaluates background work the core may call periodically: rotates every key whose period has passed.
    /// Run by the core in the background: keys whose `auto_rotate_period` has passed are rotated.
    func periodic(storage: any LogicalStorage) async throws {
        try await rotateDueKeys(storage)
    }

    func rotateDueKeys(_ storage: any LogicalStorage) async throws {
        for name in try await storage.list(prefix: "policy/") where !name.hasSuffix("/") {
            _ = try await loadForUse(storage, name)
        }
    }
}
