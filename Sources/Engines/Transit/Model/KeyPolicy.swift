import CofferSDK
import Foundation

/// The key types of the transit engine, named as OpenBao names them (plus Coffer's hybrid post-quantum type).
enum KeyType: String, Sendable, CaseIterable {
    case aes128GCM96 = "aes128-gcm96"
    case aes256GCM96 = "aes256-gcm96"
    case chacha20Poly1305 = "chacha20-poly1305"
    /// ChaCha20-Poly1305 with a 24-byte nonce (BoringSSL's, through the shim).
    case xchacha20Poly1305 = "xchacha20-poly1305"
    case ed25519 = "ed25519"
    case ecdsaP256 = "ecdsa-p256"
    case ecdsaP384 = "ecdsa-p384"
    case ecdsaP521 = "ecdsa-p521"
    case rsa2048 = "rsa-2048"
    case rsa3072 = "rsa-3072"
    case rsa4096 = "rsa-4096"
    case hmac = "hmac"
    /// ML-DSA-44 (BoringSSL's, through the shim; swift-crypto wraps only ML-DSA-65 and -87).
    case mldsa44 = "mldsa-44"
    case mldsa65 = "mldsa-65"
    case mldsa87 = "mldsa-87"
    /// X-Wing (ML-KEM-768 + X25519) KEM, with AES-256-GCM under the encapsulated secret.
    case xwing = "xwing-mlkem768-x25519"

    var isSymmetricAEAD: Bool { self == .aes128GCM96 || self == .aes256GCM96 || isChaCha }
    var isChaCha: Bool { self == .chacha20Poly1305 || self == .xchacha20Poly1305 }
    /// The nonce length of a symmetric AEAD type (the nonce leads its ciphertexts).
    var nonceSize: Int { self == .xchacha20Poly1305 ? 24 : 12 }
    var isRSA: Bool { self == .rsa2048 || self == .rsa3072 || self == .rsa4096 }
    var isECDSA: Bool { self == .ecdsaP256 || self == .ecdsaP384 || self == .ecdsaP521 }
    var isMLDSA: Bool { self == .mldsa44 || self == .mldsa65 || self == .mldsa87 }
    /// Types whose read response lists public keys rather than creation times.
    var isAsymmetric: Bool { isRSA || isECDSA || isMLDSA || self == .ed25519 || self == .xwing }

    var supportsEncryption: Bool { isSymmetricAEAD || isRSA || self == .xwing }
    var supportsDecryption: Bool { supportsEncryption }
    var supportsSigning: Bool { self == .ed25519 || isECDSA || isRSA || isMLDSA }
    var supportsDerivation: Bool { isSymmetricAEAD || self == .ed25519 }

    /// The `name` shown for a version's public key in a read.
    var publicKeyName: String {
        switch self {
        case .ecdsaP256: return "P-256"
        case .ecdsaP384: return "P-384"
        case .ecdsaP521: return "P-521"
        default: return rawValue
        }
    }
}

/// How a derived key's per-context keys are made: HKDF for keys made here, OpenBao's older HMAC-SHA256 counter-mode
/// KDF for imported keys (as OpenBao derives from imported keys).
enum KeyDerivation: String, Sendable {
    case hkdfSHA256 = "hkdf_sha256"
    case hmacSHA256Counter = "hmac-sha256-counter"
}

/// One version of a key as stored: base64 material plus times.
struct KeyVersion: Sendable, Equatable {
    /// Symmetric key, HMAC key (type hmac), Ed25519/ECDSA raw private scalar, RSA PKCS#1 DER, ML-DSA / X-Wing seed.
    /// Empty for a version imported as a public key only.
    var key: [UInt8]
    /// The public key of a version imported without its private key: raw for Ed25519 and ML-DSA, DER
    /// SubjectPublicKeyInfo for ECDSA and RSA. Nil once the private key is there.
    var publicKey: [UInt8]?
    /// The per-version HMAC key used by `hmac/` for every key type.
    var hmacKey: [UInt8]
    /// RFC 3339 creation time.
    var time: String
    /// Unix seconds of creation (shown for symmetric keys).
    var creationTime: Int64

    var json: JSONValue {
        var o: [String: JSONValue] = [
            "key": .string(GoBase64.encode(key)), "hmac_key": .string(GoBase64.encode(hmacKey)), "time": .string(time),
            "creation_time": .int(creationTime),
        ]
        if let publicKey { o["public_key"] = .string(GoBase64.encode(publicKey)) }
        return .object(o)
    }

    init(key: [UInt8], publicKey: [UInt8]? = nil, hmacKey: [UInt8], time: String, creationTime: Int64) {
        self.key = key
        self.publicKey = publicKey
        self.hmacKey = hmacKey
        self.time = time
        self.creationTime = creationTime
    }

    init?(json: JSONValue) {
        guard let k = json["key"]?.stringValue, let key = try? GoBase64.decode(k),
            let h = json["hmac_key"]?.stringValue, let hmacKey = try? GoBase64.decode(h)
        else { return nil }
        self.key = key
        self.hmacKey = hmacKey
        if let p = json["public_key"]?.stringValue, let publicKey = try? GoBase64.decode(p) { self.publicKey = publicKey }
        self.time = json["time"]?.stringValue ?? ""
        self.creationTime = json["creation_time"]?.intValue ?? 0
    }
}

/// A named key: its configuration and every available version. Stored as JSON at `policy/<name>`.
struct KeyPolicy: Sendable, Equatable {
    var name: String
    var type: KeyType
    var derived = false
    var convergentEncryption = false
    var exportable = false
    var allowPlaintextBackup = false
    var deletionAllowed = false
    var minDecryptionVersion: Int = 1
    var minEncryptionVersion: Int = 0
    var minAvailableVersion: Int = 0
    var latestVersion: Int = 0
    var autoRotatePeriod: Int64 = 0
    /// For `hmac` keys: the key size in bytes.
    var keySize: Int = 0
    var backupInfo: JSONValue?
    var restoreInfo: JSONValue?
    var versions: [Int: KeyVersion] = [:]
    /// Brought in by `keys/:name/import` (until rotated here); `import_version` works only on such keys.
    var imported = false
    /// `allow_rotation` of the import: whether the key may be rotated here.
    var allowImportedKeyRotation = false
    var kdf: KeyDerivation = .hkdfSHA256

    static func storageKey(_ name: String) -> String { "policy/" + name }

    var json: JSONValue {
        var o: [String: JSONValue] = [
            "name": .string(name), "type": .string(type.rawValue), "derived": .bool(derived),
            "convergent_encryption": .bool(convergentEncryption), "exportable": .bool(exportable),
            "allow_plaintext_backup": .bool(allowPlaintextBackup), "deletion_allowed": .bool(deletionAllowed),
            "min_decryption_version": .int(Int64(minDecryptionVersion)),
            "min_encryption_version": .int(Int64(minEncryptionVersion)),
            "min_available_version": .int(Int64(minAvailableVersion)), "latest_version": .int(Int64(latestVersion)),
            "auto_rotate_period": .int(autoRotatePeriod), "key_size": .int(Int64(keySize)),
            "imported_key": .bool(imported), "allow_imported_key_rotation": .bool(allowImportedKeyRotation),
            "kdf": .string(kdf.rawValue),
        ]
        var keys: [String: JSONValue] = [:]
        for (v, entry) in versions { keys[String(v)] = entry.json }
        o["keys"] = .object(keys)
        if let backupInfo { o["backup_info"] = backupInfo }
        if let restoreInfo { o["restore_info"] = restoreInfo }
        return .object(o)
    }

    init(name: String, type: KeyType) {
        self.name = name
        self.type = type
    }

    init?(json: JSONValue) {
        guard let name = json["name"]?.stringValue, let t = json["type"]?.stringValue, let type = KeyType(rawValue: t)
        else { return nil }
        self.name = name
        self.type = type
        derived = json["derived"]?.boolValue ?? false
        convergentEncryption = json["convergent_encryption"]?.boolValue ?? false
        exportable = json["exportable"]?.boolValue ?? false
        allowPlaintextBackup = json["allow_plaintext_backup"]?.boolValue ?? false
        deletionAllowed = json["deletion_allowed"]?.boolValue ?? false
        minDecryptionVersion = Int(json["min_decryption_version"]?.intValue ?? 1)
        minEncryptionVersion = Int(json["min_encryption_version"]?.intValue ?? 0)
        minAvailableVersion = Int(json["min_available_version"]?.intValue ?? 0)
        latestVersion = Int(json["latest_version"]?.intValue ?? 0)
        autoRotatePeriod = json["auto_rotate_period"]?.intValue ?? 0
        keySize = Int(json["key_size"]?.intValue ?? 0)
        imported = json["imported_key"]?.boolValue ?? false
        allowImportedKeyRotation = json["allow_imported_key_rotation"]?.boolValue ?? false
        kdf = json["kdf"]?.stringValue.flatMap(KeyDerivation.init(rawValue:)) ?? .hkdfSHA256
        backupInfo = json["backup_info"]
        restoreInfo = json["restore_info"]
        if let backupInfo, backupInfo.isNull { self.backupInfo = nil }
        if let restoreInfo, restoreInfo.isNull { self.restoreInfo = nil }
        guard let keys = json["keys"]?.objectValue else { return nil }
        for (k, v) in keys {
            guard let version = Int(k), let entry = KeyVersion(json: v) else { return nil }
            versions[version] = entry
        }
    }

    /// Whether `rotate` (by hand or `auto_rotate_period`) may add a version: not for imported keys without `allow_rotation`.
    var rotationAllowed: Bool { !imported || allowImportedKeyRotation }

    /// The version encryption and signing use when none is asked for.
    var encryptionVersion: Int { latestVersion }
}
