import CofferSDK
import Foundation
import Logging
import Synchronization

/// Automatic rotation of the barrier key (`sys/rotate/keyring/config`, OpenBao's bounds): after `max_operations`
/// encryptions under the active term (at most 0.9 × 2^32, AES-GCM's safety bound with random nonces) or once the term
/// is older than `interval` (at least a day; 0: no age limit), the active node installs a new term.
extension Core {
    static let keyringRotationConfigPath = "core/keyring-rotation"
    /// `{term, count}`: the encryptions made under the active term, across restarts and HA failovers.
    static let keyringUsagePath = "core/keyring-usage"
    static let maxKeyringOperations: Int64 = 3_865_470_566
    static let minKeyringOperations: Int64 = 1_000_000
    static let minKeyringInterval: Int64 = 86_400

    struct KeyringRotationConfig: Sendable, Equatable {
        var enabled = true
        var interval: Int64 = 0
        var maxOperations = Core.maxKeyringOperations

        init() {}

        init(json: JSONValue?) {
            guard let j = json else { return }
            enabled = j["enabled"]?.boolValue ?? true
            interval = j["interval"]?.intValue ?? 0
            maxOperations = j["max_operations"]?.intValue ?? Core.maxKeyringOperations
        }

        var storageJSON: JSONValue { ["enabled": .bool(enabled), "interval": .int(interval), "max_operations": .int(maxOperations)] }

        /// As OpenBao reads it back: `interval` the integer 0 while unset, else a Go duration.
        var apiJSON: [String: JSONValue] {
            [
                "enabled": .bool(enabled), "interval": interval == 0 ? .int(0) : .string(GoDuration.format(seconds: interval)),
                "max_operations": .int(maxOperations),
            ]
        }
    }

    func keyringRotationConfig() async throws -> KeyringRotationConfig {
        KeyringRotationConfig(json: try await barrier.getJSON(Self.keyringRotationConfigPath))
    }

    /// `sys/rotate/keyring/config` (and `sys/rotate/config`) read.
    func readKeyringRotationConfig() async throws -> CoreResponse {
        CoreResponse(data: try await keyringRotationConfig().apiJSON)
    }

    /// `sys/rotate/keyring/config` write: the fields given change, within OpenBao's bounds.
    func writeKeyringRotationConfig(_ f: FieldData) async throws -> CoreResponse {
        var cfg = try await keyringRotationConfig()
        if let v = try f.boolIfSet("enabled") { cfg.enabled = v }
        if let v = try f.intIfSet("max_operations") {
            guard (Self.minKeyringOperations...Self.maxKeyringOperations).contains(v) else {
                throw LogicalError.invalidRequest("max_operations must be in the range [\(Self.minKeyringOperations),\(Self.maxKeyringOperations)]")
            }
            cfg.maxOperations = v
        }
        if let v = try f.intIfSet("interval") {
            guard v == 0 || v >= Self.minKeyringInterval else {
                throw LogicalError.invalidRequest("interval must be greater or equal to \(GoDuration.format(seconds: Self.minKeyringInterval))")
            }
            cfg.interval = v
        }
        try await barrier.putJSON(Self.keyringRotationConfigPath, cfg.storageJSON)
        return CoreResponse()
    }

    /// Called by the active node's housekeeping: adds the encryptions made since the last call to the active term's
    /// stored count, and rotates the key when the configuration's limit or age is reached. Returns the new term when
    /// it rotated.
    @discardableResult
    public func checkKeyringRotation() async throws -> UInt32? {
        guard isActive else { return nil }
        let counted = barrier.encryptions
        let delta = keyringUsageSeen.withLock { seen -> Int64 in
            defer { seen = counted }
            return max(0, counted - seen)
        }
        let active = try barrier.activeTerm()
        var usage = try await barrier.getJSON(Self.keyringUsagePath)
        var count: Int64 = 0
        if let u = usage, u["term"]?.intValue == Int64(active.term) { count = u["count"]?.intValue ?? 0 }
        count += delta
        if delta > 0 || usage?["term"]?.intValue != Int64(active.term) {
            usage = ["term": .int(Int64(active.term)), "count": .int(count)]
            try await barrier.putJSON(Self.keyringUsagePath, usage ?? .null)
        }
        let cfg = try await keyringRotationConfig()
        guard cfg.enabled else { return nil }
        let tooOld = cfg.interval > 0 && now().timeIntervalSince(active.installTime) >= TimeInterval(cfg.interval)
        guard count >= cfg.maxOperations || tooOld else { return nil }
        let next = try await rotateKey()
        // The rotation's own keyring write is not an encryption under the new term.
        keyringUsageSeen.withLock { $0 = barrier.encryptions }
        try await barrier.putJSON(Self.keyringUsagePath, ["term": .int(Int64(next.term)), "count": 0])
        logger.info(
            "barrier key rotated automatically",
            metadata: ["coffer.term": "\(next.term)", "coffer.reason": "\(tooOld ? "interval" : "max_operations")"])
        return next.term
    }
}
