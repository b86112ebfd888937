import Crypto
import CofferSDK
import Foundation
import _CryptoExtras

/// `export/:kind/:name[/:version]`, `backup/:name`, `restore[/:name]`.
extension TransitEngine {
    static let exportKinds: Set<String> = ["encryption-key", "signing-key", "hmac-key", "public-key"]

    func export(_ request: PathRequest) async throws -> LogicalResponse? {
        let kind = try request.fields.string("type")
        let name = try request.fields.string("name")
        let version = try request.fields.string("version")
        guard Self.exportKinds.contains(kind) else { throw LogicalError.invalidRequest("invalid export type: \(kind)") }
        guard let key = try await loadForUse(request.storage, name) else { throw LogicalError.notFound }
        let p = key.policy
        if kind != "public-key" && !p.exportable {
            throw LogicalError.invalidRequest("private key material is not exportable")
        }
        switch kind {
        case "encryption-key":
            guard p.type.supportsEncryption else { throw LogicalError.invalidRequest("encryption not supported for the key") }
        case "signing-key":
            guard p.type.supportsSigning else { throw LogicalError.invalidRequest("signing not supported for the key") }
        case "public-key":
            guard p.type.isAsymmetric else { throw TransitErrors.multi("unknown key type \(p.type.rawValue) for export type public-key") }
        default: break
        }
        var selected: [Int] = []
        if !version.isEmpty, version != "latest" {
            guard let v = Int(version) else { throw LogicalError.invalidRequest("invalid key version") }
            if v < p.minDecryptionVersion { throw LogicalError.invalidRequest("version for export is below minimum decryption version") }
            guard p.versions[v] != nil else { throw LogicalError.invalidRequest("version does not exist or cannot be found") }
            selected = [v]
        } else if version == "latest" {
            selected = [p.latestVersion]
        } else {
            selected = p.versions.keys.filter { $0 >= p.minDecryptionVersion }.sorted()
        }
        var keys: [String: JSONValue] = [:]
        for v in selected {
            guard let m = key.versions[v] else { continue }
            keys[String(v)] = .string(try Self.exportValue(kind: kind, material: m))
        }
        return LogicalResponse(data: ["name": .string(p.name), "type": .string(p.type.rawValue), "keys": .object(keys)])
    }

    static func pem(_ text: String) -> String { text.hasSuffix("\n") ? text : text + "\n" }

    /// The exported form of a version: base64 for raw keys, PEM for ECDSA and RSA (as OpenBao exports them).
    static func exportValue(kind: String, material m: VersionMaterial) throws -> String {
        if kind == "hmac-key" { return GoBase64.encode(KeyGenerator.bytes(m.hmacKey)) }
        if kind == "public-key" { return m.material.publicKeyText ?? "" }
        switch m.material {
        case .symmetric(let k): return GoBase64.encode(KeyGenerator.bytes(k))
        case .ed25519(let k):
            // Go's ed25519.PrivateKey: seed followed by the public key.
            return GoBase64.encode(k.rawRepresentation + k.publicKey.rawRepresentation)
        case .p256(let k): return pem(k.pemRepresentation)
        case .p384(let k): return pem(k.pemRepresentation)
        case .p521(let k): return pem(k.pemRepresentation)
        case .rsa(let k, _): return pem(k.pemRepresentation)
        case .mldsa44(let k): return GoBase64.encode(k.seedRepresentation)
        case .mldsa65(let k): return GoBase64.encode(k.seedRepresentation)
        case .mldsa87(let k): return GoBase64.encode(k.seedRepresentation)
        case .xwing(let k): return GoBase64.encode(k.seedRepresentation)
        // A version imported as a public key only has no private key to export (OpenBao shows it empty).
        case .publicOnly: return ""
        }
    }

    func backup(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try request.fields.string("name")
        let text: String = try await lock.withLock {
            guard let key = try await loadKey(request.storage, name) else { throw TransitErrors.multi("key \"\(name)\" not found") }
            var p = key.policy
            guard p.exportable else { throw TransitErrors.multi("exporting is disallowed on the policy") }
            guard p.allowPlaintextBackup else { throw TransitErrors.multi("plaintext backup is disallowed on the policy") }
            p.backupInfo = ["time": .string(formatVaultTime(now())), "version": .int(Int64(p.latestVersion))]
            try await save(request.storage, p)
            let doc: JSONValue = ["coffer_transit_backup": 1, "policy": p.json]
            return GoBase64.encode(Array(doc.serialized().utf8))
        }
        return LogicalResponse(data: ["backup": .string(text)])
    }

    /// The key keeps the backup's name unless the path gives one (a `name` in the body is not used, as in OpenBao).
    func restore(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try request.fields.string("name")
        let backupText = try request.fields.string("backup")
        let force = try request.fields.bool("force")
        if backupText.isEmpty { throw LogicalError.invalidRequest("'backup' must be supplied") }
        if name.contains("/") { throw TransitErrors.multi("key names cannot be paths") }
        let bytes: [UInt8]
        do throws(GoBase64.DecodeError) {
            bytes = try GoBase64.decode(backupText)
        } catch {
            throw TransitErrors.multi(error.description)
        }
        var parsed: KeyPolicy?
        if let doc = try? JSONValue.parse(bytes), let policyJSON = doc["policy"], let p = KeyPolicy(json: policyJSON) {
            parsed = p
        } else {
            // A backup made by OpenBao.
            parsed = try OpenBaoBackup.policy(from: String(decoding: bytes, as: UTF8.self))
        }
        guard var p = parsed else { throw TransitErrors.multi("failed to restore the key: invalid backup") }
        if !name.isEmpty { p.name = name }
        if p.name.isEmpty { throw TransitErrors.multi("failed to restore the key: missing name") }
        try await lock.withLock {
            if !force, try await loadKey(request.storage, p.name) != nil {
                throw TransitErrors.multi("key \"\(p.name)\" already exists")
            }
            p.restoreInfo = ["time": .string(formatVaultTime(now())), "version": .int(Int64(p.latestVersion))]
            do {
                try await save(request.storage, p)
            } catch let e as LogicalError {
                throw e
            } catch {
                throw TransitErrors.multi("failed to restore the key: invalid key material")
            }
        }
        return nil
    }
}
