import Crypto
import CofferSDK
import Foundation
import _CryptoExtras

/// Reads backups made by OpenBao's `transit/backup/:name`, so keys move from OpenBao to Coffer by `restore`.
///
/// OpenBao writes `{"policy": {...}, "archived_keys": {"keys": [...]}}` with numeric key types and big integers
/// (ECDSA `ec_d`, RSA `N`/`D`/`Primes`) as bare JSON numbers, which are quoted before parsing to keep every digit.
enum OpenBaoBackup {
    static let typeNumbers: [Int64: KeyType] = [
        0: .aes256GCM96, 1: .ecdsaP256, 2: .ed25519, 3: .rsa2048, 4: .rsa4096, 5: .chacha20Poly1305, 6: .ecdsaP384,
        7: .ecdsaP521, 8: .aes128GCM96, 9: .rsa3072, 10: .hmac, 11: .xchacha20Poly1305, 12: .mldsa44, 13: .mldsa65,
        14: .mldsa87,
    ]

    /// Quotes integer literals of 16 digits or more that follow `:`, `[` or `,` (never inside base64 or times).
    static func quoteBigIntegers(_ text: String) -> String {
        guard let re = try? NSRegularExpression(pattern: "([:\\[,])(\\s*)(-?[0-9]{16,})(?=\\s*[,\\]}])") else { return text }
        let range = NSRange(text.startIndex..., in: text)
        return re.stringByReplacingMatches(in: text, range: range, withTemplate: "$1$2\"$3\"")
    }

    /// Big-endian bytes of a non-negative decimal integer, left-padded to `width` when given.
    static func decimalBytes(_ text: String, width: Int = 0) -> [UInt8]? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        var bytes: [UInt8] = [0]  // little-endian base-256 accumulator
        for ch in text.utf8 {
            var carry = UInt32(ch - 48)
            for i in bytes.indices {
                let v = UInt32(bytes[i]) * 10 + carry
                bytes[i] = UInt8(v & 0xFF)
                carry = v >> 8
            }
            while carry > 0 {
                bytes.append(UInt8(carry & 0xFF))
                carry >>= 8
            }
        }
        while bytes.count > 1, bytes.last == 0 { bytes.removeLast() }
        var be = Array(bytes.reversed())
        if width > be.count { be = [UInt8](repeating: 0, count: width - be.count) + be }
        return be
    }

    static func text(_ v: JSONValue?) -> String? {
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        default: return nil
        }
    }

    /// The key material of one OpenBao key entry in Coffer's stored form.
    static func material(_ entry: JSONValue, type: KeyType) throws -> [UInt8]? {
        switch type {
        case .aes128GCM96, .aes256GCM96, .chacha20Poly1305, .xchacha20Poly1305, .hmac:
            guard let k = entry["key"]?.stringValue else { return nil }
            return try? GoBase64.decode(k)
        case .ed25519:
            // Go's ed25519.PrivateKey: 32-byte seed followed by the public key.
            guard let k = entry["key"]?.stringValue, let raw = try? GoBase64.decode(k), raw.count >= 32 else { return nil }
            return Array(raw.prefix(32))
        case .mldsa44, .mldsa65, .mldsa87:
            guard let k = entry["key"]?.stringValue, let raw = try? GoBase64.decode(k) else { return nil }
            return raw.count == 32 ? raw : nil
        case .ecdsaP256, .ecdsaP384, .ecdsaP521:
            let width = type == .ecdsaP256 ? 32 : type == .ecdsaP384 ? 48 : 66
            guard let d = text(entry["ec_d"]) else { return nil }
            return decimalBytes(d, width: width)
        case .rsa2048, .rsa3072, .rsa4096:
            guard let rsa = entry["rsa_key"], let n = text(rsa["N"]).flatMap({ decimalBytes($0) }),
                let e = text(rsa["E"]).flatMap({ decimalBytes($0) }), let d = text(rsa["D"]).flatMap({ decimalBytes($0) }),
                let primes = rsa["Primes"]?.arrayValue, primes.count == 2,
                let p = text(primes[0]).flatMap({ decimalBytes($0) }), let q = text(primes[1]).flatMap({ decimalBytes($0) })
            else { return nil }
            let key = try _RSA.Signing.PrivateKey(n: n, e: e, d: d, p: p, q: q)
            return Array(key.derRepresentation)
        case .xwing:
            return nil
        }
    }

    /// Converts an OpenBao backup document, or returns nil when `doc` is not one.
    static func policy(from rawText: String) throws -> KeyPolicy? {
        guard let doc = try? JSONValue.parse(quoteBigIntegers(rawText)), let p = doc["policy"],
            case .int(let typeNumber)? = p["type"]
        else { return nil }
        guard let type = typeNumbers[typeNumber] else {
            throw TransitErrors.multi("failed to restore the key: key type \(typeNumber) is not supported")
        }
        var policy = KeyPolicy(name: p["name"]?.stringValue ?? "", type: type)
        policy.derived = p["derived"]?.boolValue ?? false
        policy.convergentEncryption = p["convergent_encryption"]?.boolValue ?? false
        policy.exportable = p["exportable"]?.boolValue ?? false
        policy.allowPlaintextBackup = p["allow_plaintext_backup"]?.boolValue ?? false
        policy.deletionAllowed = p["deletion_allowed"]?.boolValue ?? false
        policy.minDecryptionVersion = Int(p["min_decryption_version"]?.intValue ?? 1)
        policy.minEncryptionVersion = Int(p["min_encryption_version"]?.intValue ?? 0)
        policy.minAvailableVersion = Int(p["min_available_version"]?.intValue ?? 0)
        policy.latestVersion = Int(p["latest_version"]?.intValue ?? 0)
        // Go's time.Duration: nanoseconds.
        policy.autoRotatePeriod = (p["auto_rotate_period"]?.intValue ?? 0) / 1_000_000_000
        policy.imported = p["Imported"]?.boolValue ?? false
        policy.allowImportedKeyRotation = p["AllowImportedKeyRotation"]?.boolValue ?? false
        // OpenBao's KDF numbers: 0 is the HMAC-SHA256 counter mode (imported keys), 1 is HKDF-SHA256.
        if p["kdf"]?.intValue == 0 { policy.kdf = .hmacSHA256Counter }
        var entries: [Int: JSONValue] = [:]
        if let archived = doc["archived_keys"]?["keys"]?.arrayValue {
            let base = Int(p["archive_min_version"]?.intValue ?? 0)
            for (i, e) in archived.enumerated() { entries[base + i] = e }
        }
        for (k, v) in p["keys"]?.objectValue ?? [:] { if let n = Int(k) { entries[n] = v } }
        for (version, entry) in entries where version >= 1 && version >= policy.minAvailableVersion {
            guard let key = try material(entry, type: type) else { continue }
            let hmacKey = entry["hmac_key"]?.stringValue.flatMap { try? GoBase64.decode($0) } ?? key
            let created = entry["creation_time"]?.intValue ?? 0
            let time = entry["time"]?.stringValue ?? formatVaultTime(Date(timeIntervalSince1970: TimeInterval(created)))
            policy.versions[version] = KeyVersion(key: key, hmacKey: hmacKey, time: time, creationTime: created)
        }
        if type == .hmac { policy.keySize = policy.versions[policy.latestVersion]?.key.count ?? 0 }
        guard policy.versions[policy.latestVersion] != nil else {
            throw TransitErrors.multi("failed to restore the key: backup has no usable key material")
        }
        return policy
    }
}
