import Crypto
import CofferSDK
import Foundation
import Synchronization
import _CryptoExtras

/// The mount's RSA-4096 wrapping key for imports: made on first use, kept in the mount's storage.
struct WrappingKey: Sendable {
    /// PKCS#1 DER of the private key.
    let der: [UInt8]
    /// The public key as `wrapping_key` shows it (PEM SubjectPublicKeyInfo).
    let publicPEM: String

    static let storageKey = "import/wrapping-key"

    init(der: [UInt8]) throws {
        let key = try _RSA.Encryption.PrivateKey(derRepresentation: der)
        self.der = Array(key.derRepresentation)
        self.publicPEM = key.publicKey.pemRepresentation + "\n"
    }

    static func generate() throws -> WrappingKey {
        try WrappingKey(der: Array(_RSA.Encryption.PrivateKey(keySize: .bits4096).derRepresentation))
    }
}

/// The wrapping key once loaded (one per engine, so per mount).
final class WrappingKeyCache: Sendable {
    private let key = Mutex<WrappingKey?>(nil)
    func get() -> WrappingKey? { key.withLock { $0 } }
    func set(_ k: WrappingKey) { key.withLock { $0 = k } }
}

/// `wrapping_key`, `keys/:name/import`, `keys/:name/import_version` (bring your own key).
extension TransitEngine {
    func wrappingKey(_ storage: any LogicalStorage) async throws -> WrappingKey {
        if let k = wrapping.get() { return k }
        return try await lock.withLock {
            if let k = wrapping.get() { return k }
            let key: WrappingKey
            if let json = try await storage.getJSON(WrappingKey.storageKey) {
                guard let text = json["key"]?.stringValue, let der = try? GoBase64.decode(text) else {
                    throw TransitErrors.multi("error retrieving wrapping key: invalid stored key")
                }
                key = try WrappingKey(der: der)
            } else {
                key = try WrappingKey.generate()
                try await storage.putJSON(WrappingKey.storageKey, ["key": .string(GoBase64.encode(key.der))])
            }
            wrapping.set(key)
            return key
        }
    }

    func readWrappingKey(_ request: PathRequest) async throws -> LogicalResponse? {
        LogicalResponse(data: ["public_key": .string(try await wrappingKey(request.storage).publicPEM)])
    }

    /// `hash_function`: the OAEP hash the ephemeral key was wrapped with (any case; SHA256 when absent).
    static func oaepHash(_ fields: FieldData) throws -> BoringSSLShim.OAEPHash {
        let name = try fields.string("hash_function")
        guard let hash = BoringSSLShim.OAEPHash(rawValue: name.uppercased()) else {
            throw LogicalError.invalidRequest("unknown hash function: \(name)")
        }
        return hash
    }

    /// The target key inside `ciphertext`: RSA-OAEP(wrapping key, ephemeral AES-256 key) || KWP(ephemeral, target).
    static func unwrapImport(_ wrapKey: WrappingKey, ciphertext text: String, hash: BoringSSLShim.OAEPHash) throws -> [UInt8] {
        let bytes: [UInt8]
        do throws(GoBase64.DecodeError) {
            bytes = try GoBase64.decode(text)
        } catch {
            throw TransitErrors.multi(error.description)
        }
        let rsaLength = 512
        guard bytes.count > rsaLength else { throw TransitErrors.multi("provided ciphertext is too short") }
        var ephemeral: [UInt8]
        do {
            ephemeral = try BoringSSLShim.rsaOAEPDecrypt(privateKeyDER: wrapKey.der, hash: hash, ciphertext: Array(bytes[..<rsaLength]))
        } catch {
            throw TransitErrors.multi("crypto/rsa: decryption error")
        }
        defer { for i in ephemeral.indices { ephemeral[i] = 0 } }
        guard ephemeral.count == 32 else { throw TransitErrors.multi("expected ephemeral AES key to be 256-bit") }
        let wrapped = Array(bytes[rsaLength...])
        guard wrapped.count >= 16 else { throw TransitErrors.multi("kwp: wrapped key size too small") }
        guard wrapped.count % 8 == 0 else { throw TransitErrors.multi("kwp: wrapped key size must be a multiple of 8 bytes") }
        do {
            return try BoringSSLShim.aesUnwrapPadded(kek: ephemeral, wrapped: wrapped)
        } catch {
            throw TransitErrors.multi("kwp: unwrap failed integrity check")
        }
    }

    /// A new version holding imported material: a private/secret key, or a public key alone.
    func importedVersion(type: KeyType, key: [UInt8], publicKey: PublicMaterial? = nil) -> KeyVersion {
        let time = now()
        return KeyVersion(
            key: key, publicKey: key.isEmpty ? publicKey?.stored : nil, hmacKey: type == .hmac ? key : KeyGenerator.randomBytes(32),
            time: formatVaultTime(time), creationTime: Int64(time.timeIntervalSince1970))
    }

    func importKey(_ request: PathRequest) async throws -> LogicalResponse? {
        let fields = request.fields
        let name = try fields.string("name")
        let typeName = try fields.string("type")
        guard let type = KeyType(rawValue: typeName) else { throw LogicalError.invalidRequest("unknown key type: \(typeName)") }
        guard KeyImport.supports(type) else { throw LogicalError.invalidRequest("import is not supported for key type \(typeName)") }
        let hash = try Self.oaepHash(fields)
        let derived = try fields.bool("derived")
        let exportable = try fields.bool("exportable")
        let allowBackup = try fields.bool("allow_plaintext_backup")
        let allowRotation = try fields.bool("allow_rotation")
        // Not a field of the path in OpenBao (so named in the ignored-fields warning), but still refused when true.
        let convergent = (try? FieldValue.bool(request.data["convergent_encryption"] ?? .null).get()) ?? false
        let ciphertext = try fields.string("ciphertext")
        let publicPEM = try fields.string("public_key")
        let period = try fields.duration("auto_rotate_period")
        if convergent { throw TransitErrors.multi("import cannot be used on keys with convergent encryption enabled") }
        if period > 0 && !allowRotation { throw TransitErrors.multi("allow_rotation must be set to true if auto-rotation is enabled") }
        // Fetched (made on first use) outside the key lock, which making it takes.
        let wrapKey = ciphertext.isEmpty ? nil : try await wrappingKey(request.storage)
        try await lock.withLock {
            if try await loadKey(request.storage, name) != nil {
                throw TransitErrors.multi(
                    "the import path cannot be used with an existing key; use import-version to rotate an existing imported key")
            }
            let version: KeyVersion
            if let wrapKey {
                let target = try Self.unwrapImport(wrapKey, ciphertext: ciphertext, hash: hash)
                do throws(KeyImport.Failure) {
                    version = importedVersion(type: type, key: try KeyImport.privateKey(type: type, bytes: target))
                } catch {
                    throw TransitErrors.multi("error importing key: \(error.message)")
                }
            } else {
                guard KeyImport.supportsPublicKey(type) else { throw TransitErrors.multi("provided type does not support public_key import") }
                do throws(KeyImport.Failure) {
                    version = importedVersion(type: type, key: [], publicKey: try KeyImport.publicKey(type: type, pem: publicPEM))
                } catch {
                    throw TransitErrors.multi("error importing key: \(error.message)")
                }
            }
            var p = KeyPolicy(name: name, type: type)
            p.derived = derived
            p.exportable = exportable
            p.allowPlaintextBackup = allowBackup
            p.autoRotatePeriod = period
            p.imported = true
            p.allowImportedKeyRotation = allowRotation
            p.kdf = .hmacSHA256Counter
            p.keySize = type == .hmac ? version.key.count : 0
            p.versions[1] = version
            p.latestVersion = 1
            try await save(request.storage, p)
        }
        return nil
    }

    /// Adds imported material to an imported key: a new version, or the private key of a version imported as a
    /// public key only (`version`, or by default the latest when the key pair matches).
    func importKeyVersion(_ request: PathRequest) async throws -> LogicalResponse? {
        let fields = request.fields
        let name = try fields.string("name")
        let hash = try Self.oaepHash(fields)
        let ciphertext = try fields.string("ciphertext")
        let publicPEM = try fields.string("public_key")
        let requestedVersion = Int(try fields.int("version"))
        // Fetched (made on first use) outside the key lock, which making it takes.
        let wrapKey = ciphertext.isEmpty ? nil : try await wrappingKey(request.storage)
        try await lock.withLock {
            guard let current = try await loadKey(request.storage, name) else {
                throw TransitErrors.multi("no key found with name \(name); to import a new key, use the import/ endpoint")
            }
            var p = current.policy
            let type = p.type
            guard p.imported else { throw TransitErrors.multi("the import_version endpoint can only be used with an imported key") }
            if requestedVersion != 0 {
                guard requestedVersion > 0, requestedVersion <= p.latestVersion, p.versions[requestedVersion] != nil else {
                    throw TransitErrors.multi("no such key version")
                }
                guard KeyImport.supportsPublicKey(type) else {
                    throw TransitErrors.multi("provided type does not support importing key versions")
                }
            }
            if let wrapKey {
                let target = try Self.unwrapImport(wrapKey, ciphertext: ciphertext, hash: hash)
                let key: [UInt8]
                do throws(KeyImport.Failure) {
                    key = try KeyImport.privateKey(type: type, bytes: target)
                } catch {
                    // import_version reports these without import's "error importing key: " prefix.
                    throw TransitErrors.multi(error.message)
                }
                let publicOfKey = type.supportsSigning ? try KeyImport.storedPublicKey(type: type, privateKey: key) : nil
                if requestedVersion != 0 {
                    guard var entry = p.versions[requestedVersion], entry.key.isEmpty else {
                        throw TransitErrors.multi("private key imported, key version cannot be updated")
                    }
                    guard entry.publicKey == publicOfKey else { throw TransitErrors.multi("cannot import key, key pair does not match") }
                    entry.key = key
                    entry.publicKey = nil
                    p.versions[requestedVersion] = entry
                } else if var latest = p.versions[p.latestVersion], latest.key.isEmpty, latest.publicKey == publicOfKey {
                    // The private half of the latest version, imported earlier as a public key.
                    latest.key = key
                    latest.publicKey = nil
                    p.versions[p.latestVersion] = latest
                } else {
                    p.latestVersion += 1
                    p.versions[p.latestVersion] = importedVersion(type: type, key: key)
                }
            } else {
                guard KeyImport.supportsPublicKey(type) else { throw TransitErrors.multi("provided type does not support public_key import") }
                let pub: PublicMaterial
                do throws(KeyImport.Failure) {
                    pub = try KeyImport.publicKey(type: type, pem: publicPEM)
                } catch {
                    throw TransitErrors.multi("error importing key: \(error.message)")
                }
                if requestedVersion != 0 {
                    throw TransitErrors.multi("cannot add a public key to a key version that already has a public key set")
                }
                p.latestVersion += 1
                p.versions[p.latestVersion] = importedVersion(type: type, key: [], publicKey: pub)
            }
            try await save(request.storage, p)
        }
        return nil
    }
}
