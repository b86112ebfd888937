import CofferSDK
import Foundation

/// `keys/`, `keys/:name`, `keys/:name/config|rotate|trim`.
extension TransitEngine {
    func listKeys(_ request: PathRequest) async throws -> LogicalResponse? {
        let names = try await request.storage.list(prefix: "policy/").filter { !$0.hasSuffix("/") }.sorted()
        if names.isEmpty { throw LogicalError.notFound }
        return LogicalResponse(data: ["keys": .array(names.map { .string($0) })])
    }

    /// A key as OpenBao shows it on read, create, config and rotate.
    static func keyResponse(_ key: LoadedKey) -> [String: JSONValue] {
        let p = key.policy
        var d: [String: JSONValue] = [
            "name": .string(p.name), "type": .string(p.type.rawValue), "allow_plaintext_backup": .bool(p.allowPlaintextBackup),
            "auto_rotate_period": .int(p.autoRotatePeriod), "deletion_allowed": .bool(p.deletionAllowed),
            "derived": .bool(p.derived), "exportable": .bool(p.exportable), "imported_key": .bool(p.imported),
            "latest_version": .int(Int64(p.latestVersion)), "min_available_version": .int(Int64(p.minAvailableVersion)),
            "min_decryption_version": .int(Int64(p.minDecryptionVersion)),
            "min_encryption_version": .int(Int64(p.minEncryptionVersion)), "soft_deleted": false,
            "supports_decryption": .bool(p.type.supportsDecryption), "supports_derivation": .bool(p.type.supportsDerivation),
            "supports_encryption": .bool(p.type.supportsEncryption), "supports_signing": .bool(p.type.supportsSigning),
        ]
        if p.imported { d["imported_key_allow_rotation"] = .bool(p.allowImportedKeyRotation) }
        if p.derived {
            d["kdf"] = .string(p.kdf.rawValue)
            if p.kdf == .hmacSHA256Counter { d["kdf_mode"] = .string(p.kdf.rawValue) }
            d["convergent_encryption"] = .bool(p.convergentEncryption)
            if p.convergentEncryption { d["convergent_encryption_version"] = -1 }
        }
        if let info = p.backupInfo { d["backup_info"] = info }
        if let info = p.restoreInfo { d["restore_info"] = info }
        if p.type == .hmac {
            d["key_size"] = .int(Int64(p.keySize))
            return d
        }
        var keys: [String: JSONValue] = [:]
        for (v, entry) in p.versions where v >= p.minDecryptionVersion {
            if p.type.isAsymmetric, let m = key.versions[v] {
                keys[String(v)] = [
                    "certificate_chain": "", "creation_time": .string(entry.time), "name": .string(p.type.publicKeyName),
                    // A derived key has a public key per context only.
                    "public_key": .string(p.derived ? "" : m.material.publicKeyText ?? ""),
                ]
            } else {
                keys[String(v)] = .int(entry.creationTime)
            }
        }
        d["keys"] = .object(keys)
        return d
    }

    func readKey(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try request.fields.string("name")
        guard let key = try await loadForUse(request.storage, name) else { throw LogicalError.notFound }
        return LogicalResponse(data: Self.keyResponse(key))
    }

    /// `auto_rotate_period` when sent (the framework refuses a negative one).
    static func autoRotatePeriod(_ fields: FieldData) throws -> Int64? {
        guard let period = try fields.durationIfSet("auto_rotate_period") else { return nil }
        if period != 0 && period < 3600 {
            throw LogicalError.invalidRequest("auto rotate period must be 0 to disable or at least an hour")
        }
        return period
    }

    /// Creates a key with its first version (no change when it exists, as in OpenBao).
    func createKey(_ request: PathRequest) async throws -> LogicalResponse? {
        let fields = request.fields
        let name = try fields.string("name")
        let typeName = try fields.string("type")
        let derived = try fields.bool("derived")
        let convergent = try fields.bool("convergent_encryption")
        let exportable = try fields.bool("exportable")
        let allowBackup = try fields.bool("allow_plaintext_backup")
        let period = try Self.autoRotatePeriod(fields) ?? 0
        let keySize = Int(try fields.int("key_size"))
        guard let type = KeyType(rawValue: typeName.isEmpty ? "aes256-gcm96" : typeName) else {
            throw LogicalError.invalidRequest("unknown key type \(typeName)")
        }
        if convergent && !derived {
            throw LogicalError.invalidRequest("convergent encryption requires derivation to be enabled")
        }
        if derived && !type.supportsDerivation {
            throw LogicalError.invalidRequest("key derivation and convergent encryption not supported for keys of type \(type.rawValue)")
        }
        if type == .hmac && keySize != 0 && (keySize < 32 || keySize > 512) {
            throw LogicalError.invalidRequest("invalid key_size \(keySize)")
        }
        if type == .hmac && (keySize < 32 || keySize > 512) {
            throw TransitErrors.multi("invalid key size for HMAC key, must be between 32 and 512 bytes")
        }
        if type != .hmac && keySize != 0 {
            throw LogicalError.invalidRequest("key_size is not valid for algorithm \(type.rawValue)")
        }
        // External keys (OpenBao's `external-key` type) are not served here.
        if !(try fields.string("external_key_ref")).isEmpty {
            throw LogicalError.invalidRequest("must provide type=external-key to use external_key_ref")
        }
        let key: LoadedKey = try await lock.withLock {
            if let existing = try await loadKey(request.storage, name) { return existing }
            var p = KeyPolicy(name: name, type: type)
            p.derived = derived
            p.convergentEncryption = convergent
            p.exportable = exportable
            p.allowPlaintextBackup = allowBackup
            p.autoRotatePeriod = period
            p.keySize = type == .hmac ? keySize : 0
            try rotate(&p)
            return try await save(request.storage, p)
        }
        return LogicalResponse(data: Self.keyResponse(key))
    }

    func deleteKey(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try request.fields.string("name")
        try await lock.withLock {
            guard let key = try await loadKey(request.storage, name) else {
                throw LogicalError.invalidRequest("error deleting policy \(name): could not delete key; not found")
            }
            guard key.policy.deletionAllowed else {
                throw LogicalError.invalidRequest("error deleting policy \(name): deletion is not allowed for this key")
            }
            try await request.storage.delete(KeyPolicy.storageKey(name))
            cache.remove(name)
        }
        return nil
    }

    func configKey(_ request: PathRequest) async throws -> LogicalResponse? {
        let fields = request.fields
        let name = try fields.string("name")
        let minDecryption = try fields.intIfSet("min_decryption_version")
        let minEncryption = try fields.intIfSet("min_encryption_version")
        let deletionAllowed = try fields.boolIfSet("deletion_allowed")
        let exportable = try fields.boolIfSet("exportable")
        let allowBackup = try fields.boolIfSet("allow_plaintext_backup")
        let period = try Self.autoRotatePeriod(fields)
        let key: LoadedKey = try await lock.withLock {
            guard let current = try await loadKey(request.storage, name) else {
                throw LogicalError.invalidRequest("no existing key named \(name) could be found")
            }
            var p = current.policy
            if let minDecryption {
                if minDecryption < 0 { throw LogicalError.invalidRequest("min decryption version cannot be negative") }
                let value = minDecryption == 0 ? 1 : Int(minDecryption)
                if value > p.latestVersion {
                    throw LogicalError.invalidRequest(
                        "cannot set min decryption version of \(value), latest key version is \(p.latestVersion)")
                }
                if value < p.minAvailableVersion {
                    throw LogicalError.invalidRequest("min decryption version should not be less then min available version")
                }
                p.minDecryptionVersion = value
            }
            if let minEncryption {
                if minEncryption < 0 { throw LogicalError.invalidRequest("min encryption version cannot be negative") }
                if minEncryption > Int64(p.latestVersion) {
                    throw LogicalError.invalidRequest(
                        "cannot set min encryption version of \(minEncryption), latest key version is \(p.latestVersion)")
                }
                p.minEncryptionVersion = Int(minEncryption)
            }
            if p.minEncryptionVersion > 0 && p.minEncryptionVersion < p.minDecryptionVersion {
                throw LogicalError.invalidRequest("cannot set min encryption/decryption values; min encryption version of \(p.minEncryptionVersion) must be greater than or equal to min decryption version of \(p.minDecryptionVersion)")
            }
            if let deletionAllowed { p.deletionAllowed = deletionAllowed }
            // Exportability and plaintext backup, once allowed, stay allowed (OpenBao ignores attempts to revoke).
            if exportable == true { p.exportable = true }
            if allowBackup == true { p.allowPlaintextBackup = true }
            if let period { p.autoRotatePeriod = period }
            if p == current.policy { return current }
            return try await save(request.storage, p)
        }
        return LogicalResponse(data: Self.keyResponse(key))
    }

    func rotateKey(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try request.fields.string("name")
        let externalKeyRef = try request.fields.string("external_key_ref")
        let key: LoadedKey = try await lock.withLock {
            guard let current = try await loadKey(request.storage, name) else { throw LogicalError.invalidRequest("key not found") }
            var p = current.policy
            // Only managed keys (which this server does not have) take an external key reference.
            if !externalKeyRef.isEmpty {
                throw LogicalError.invalidRequest("cannot use external_key_ref on key of type \(p.type.rawValue)")
            }
            guard p.rotationAllowed else { throw TransitErrors.multi("imported key \(name) does not allow rotation within Vault") }
            try rotate(&p)
            return try await save(request.storage, p)
        }
        return LogicalResponse(data: Self.keyResponse(key))
    }

    func trimKey(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try request.fields.string("name")
        guard let minAvailable = try request.fields.intIfSet("min_available_version") else {
            throw LogicalError.invalidRequest("missing min_available_version")
        }
        let key: LoadedKey = try await lock.withLock {
            guard let current = try await loadKey(request.storage, name) else { throw LogicalError.invalidRequest("invalid key name") }
            var p = current.policy
            if minAvailable < Int64(p.minAvailableVersion) {
                throw LogicalError.invalidRequest("minimum available version cannot be decremented")
            }
            if p.minEncryptionVersion == 0 {
                throw LogicalError.invalidRequest("minimum available version cannot be set when minimum encryption version is not set")
            }
            if minAvailable > Int64(p.minEncryptionVersion) {
                throw LogicalError.invalidRequest("minimum available version cannot be greater than minmum encryption version")
            }
            if minAvailable > Int64(p.minDecryptionVersion) {
                throw LogicalError.invalidRequest("minimum available version cannot be greater than minimum decryption version")
            }
            if minAvailable < 1 { throw LogicalError.invalidRequest("minimum available version should be positive") }
            p.minAvailableVersion = Int(minAvailable)
            for v in p.versions.keys where v < p.minAvailableVersion { p.versions.removeValue(forKey: v) }
            if p == current.policy { return current }
            return try await save(request.storage, p)
        }
        return LogicalResponse(data: Self.keyResponse(key))
    }
}

/// `cache-config`: OpenBao's limit on cached keys, kept and shown; this engine caches every key it uses.
extension TransitEngine {
    static let cacheConfigKey = "config/cache"

    func readCacheConfig(_ request: PathRequest) async throws -> LogicalResponse? {
        let size = try await request.storage.getJSON(Self.cacheConfigKey)?["size"]?.intValue ?? 0
        return LogicalResponse(data: ["size": .int(size)])
    }

    func writeCacheConfig(_ request: PathRequest) async throws -> LogicalResponse? {
        let size = try request.fields.int("size")
        if size != 0 && size < 10 { throw LogicalError.invalidRequest("size must be 0 or a value greater or equal to 10") }
        try await request.storage.putJSON(Self.cacheConfigKey, ["size": .int(size)])
        return LogicalResponse(data: ["size": .int(size)])
    }
}
