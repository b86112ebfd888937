import Foundation

/// An engine whose stored layout depends on its mount's options, and that converts data written under earlier
/// options when they change (kv version 1 to version 2, as `sys/mounts/:path/tune` with `options.version=2` does
/// in Vault).
///
/// The core asks for the conversion while the mount is out of service and commits the returned operations in one
/// storage transaction together with the updated mount table, so the mount is either fully converted or untouched.
public protocol UpgradableEngine: SecretsEngine {
    /// The operations (keys relative to the mount's storage) that turn what `storage` holds, written by this engine
    /// type under `previousOptions`, into this engine's layout; nil when the change needs no conversion. `now` is
    /// the time recorded for what the conversion creates.
    func upgradeOperations(from previousOptions: [String: String], storage: any LogicalStorage, now: Date) async throws -> [StorageOperation]?
}
