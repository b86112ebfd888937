import CofferSDK
import Foundation
import SwiftASN1
import X509

/// The `pki` secrets engine: a certificate authority with OpenBao's paths (issuers and keys, roles, issue and sign,
/// revocation, CRLs, tidy).
@Sendable public func makePKIEngine(_ config: EngineConfiguration) -> any SecretsEngine {
    PKIEngine(mountPath: config.mountPath)
}

struct PKIEngine: FrameworkEngine {
    let mountPath: String
    /// Serialises changes to issuers, keys, the defaults and the CRLs of this mount.
    let lock = AsyncLock()
    /// The ACME server's nonces, challenge fetcher and clock (see ``ACMEServices``).
    var acme = ACMEServices()

    /// The system's default and maximum lease TTL (768h): a role without `ttl`/`max_ttl` uses them, as an untuned
    /// OpenBao mount does.
    static let defaultTTL: Int64 = 2_764_800

    // MARK: Issuers and keys

    func issuerIDs(_ storage: any LogicalStorage) async throws -> [String] {
        try await storage.list(prefix: "issuer/").filter { !$0.hasSuffix("/") }
    }

    func keyIDs(_ storage: any LogicalStorage) async throws -> [String] {
        try await storage.list(prefix: "key/").filter { !$0.hasSuffix("/") }
    }

    func defaults(_ storage: any LogicalStorage, issuers: Bool) async throws -> DefaultsConfig {
        try await PKIStore.load(DefaultsConfig.self, storage, issuers ? PKIStore.issuersConfig : PKIStore.keysConfig) ?? DefaultsConfig()
    }

    /// An issuer by reference: `default`, its id or its name.
    func resolveIssuer(_ storage: any LogicalStorage, _ ref: String) async throws -> IssuerEntry {
        let ref = ref.isEmpty ? "default" : ref
        if ref == "default" {
            let id = try await defaults(storage, issuers: true).defaultID
            guard !id.isEmpty, let e = try await PKIStore.load(IssuerEntry.self, storage, PKIStore.issuer(id)) else {
                throw LogicalError.goError(.internal, "no default issuer currently configured")
            }
            return e
        }
        if let e = try await PKIStore.load(IssuerEntry.self, storage, PKIStore.issuer(ref)) { return e }
        for id in try await issuerIDs(storage) {
            if let e = try await PKIStore.load(IssuerEntry.self, storage, PKIStore.issuer(id)), !e.name.isEmpty, e.name == ref { return e }
        }
        throw LogicalError.goError(.internal, "unable to find PKI issuer for reference: \(ref)")
    }

    func resolveKey(_ storage: any LogicalStorage, _ ref: String) async throws -> KeyEntry {
        let ref = ref.isEmpty ? "default" : ref
        if ref == "default" {
            let id = try await defaults(storage, issuers: false).defaultID
            guard !id.isEmpty, let e = try await PKIStore.load(KeyEntry.self, storage, PKIStore.key(id)) else {
                throw LogicalError.goError(.internal, "no default key currently configured")
            }
            return e
        }
        if let e = try await PKIStore.load(KeyEntry.self, storage, PKIStore.key(ref)) { return e }
        for id in try await keyIDs(storage) {
            if let e = try await PKIStore.load(KeyEntry.self, storage, PKIStore.key(id)), !e.name.isEmpty, e.name == ref { return e }
        }
        throw LogicalError.goError(.internal, "unable to find PKI key for reference: \(ref)")
    }

    /// The issuer's certificate and private key, for signing; refused when the mount holds only its certificate.
    func signer(_ storage: any LogicalStorage, _ issuer: IssuerEntry) async throws -> (cert: Certificate, key: PKIKey) {
        guard !issuer.keyID.isEmpty, let k = try await PKIStore.load(KeyEntry.self, storage, PKIStore.key(issuer.keyID)) else {
            throw LogicalError.invalidRequest("unable to fetch corresponding key for issuer \(issuer.id); unable to use this issuer for signing")
        }
        return (try PKIFormat.parseCertificate(issuer.certificate), try PKIKey.parse(pem: k.pem))
    }

    /// Stores a key (reusing the entry of an identical key already held) and returns its id.
    func storeKey(_ storage: any LogicalStorage, _ key: PKIKey, name: String = "") async throws -> String {
        let spki = Array(key.publicKey.subjectPublicKeyInfoBytes)
        for id in try await keyIDs(storage) {
            if let e = try await PKIStore.load(KeyEntry.self, storage, PKIStore.key(id)), let k = try? PKIKey.parse(pem: e.pem),
                Array(k.publicKey.subjectPublicKeyInfoBytes) == spki
            {
                return id
            }
        }
        let id = RandomID.uuid()
        try await PKIStore.save(KeyEntry(id: id, name: name, type: key.kind.rawValue, bits: key.bits, pem: key.pem), storage, PKIStore.key(id))
        var d = try await defaults(storage, issuers: false)
        if d.defaultID.isEmpty {
            d.defaultID = id
            try await PKIStore.save(d, storage, PKIStore.keysConfig)
        }
        return id
    }

    /// Stores a CA certificate as an issuer (an existing issuer with the same certificate is returned instead),
    /// linking it to the key of the same public key if the mount holds one, and building its chain from the
    /// issuers already held.
    func storeIssuer(_ storage: any LogicalStorage, _ cert: Certificate, name: String = "") async throws -> (id: String, existing: Bool) {
        let pem = try PKIFormat.pem(cert)
        var keyID = ""
        let spki = Array(cert.publicKey.subjectPublicKeyInfoBytes)
        for id in try await keyIDs(storage) {
            if let e = try await PKIStore.load(KeyEntry.self, storage, PKIStore.key(id)), let k = try? PKIKey.parse(pem: e.pem),
                Array(k.publicKey.subjectPublicKeyInfoBytes) == spki
            {
                keyID = id
            }
        }
        var all: [IssuerEntry] = []
        for id in try await issuerIDs(storage) {
            guard var e = try await PKIStore.load(IssuerEntry.self, storage, PKIStore.issuer(id)) else { continue }
            if e.certificate == pem {
                if e.keyID.isEmpty, !keyID.isEmpty {
                    e.keyID = keyID
                    try await PKIStore.save(e, storage, PKIStore.issuer(id))
                }
                return (id, true)
            }
            all.append(e)
        }
        let id = RandomID.uuid()
        var entry = IssuerEntry(id: id, name: name, keyID: keyID, certificate: pem)
        entry.serial = PKIFormat.serial(cert.serialNumber)
        entry.notAfter = cert.notValidAfter.timeIntervalSince1970
        entry.caChain = try chain(above: cert, among: all)
        try await PKIStore.save(entry, storage, PKIStore.issuer(id))
        // Issuers stored before this one may have it as their parent: their chains are built again.
        for var other in all where other.caChain.isEmpty {
            let c = try PKIFormat.parseCertificate(other.certificate)
            guard c.issuer != c.subject else { continue }
            other.caChain = try chain(above: c, among: all + [entry])
            try await PKIStore.save(other, storage, PKIStore.issuer(other.id))
        }
        var d = try await defaults(storage, issuers: true)
        if d.defaultID.isEmpty || d.followsLatest {
            d.defaultID = id
            try await PKIStore.save(d, storage, PKIStore.issuersConfig)
        }
        return (id, false)
    }

    /// The certificates above `cert` (nearest first) found among `issuers`, by subject and signature.
    func chain(above cert: Certificate, among issuers: [IssuerEntry]) throws -> [String] {
        var out: [String] = []
        var current = cert
        var seen = Set<String>()
        while current.issuer != current.subject {
            guard let parent = issuers.first(where: { e in
                guard !seen.contains(e.id), let c = try? PKIFormat.parseCertificate(e.certificate) else { return false }
                return c.subject == current.issuer && c.publicKey.isValidSignature(current.signature, for: current)
            }), let pc = try? PKIFormat.parseCertificate(parent.certificate) else { break }
            seen.insert(parent.id)
            out.append(parent.certificate)
            current = pc
        }
        return out
    }

    /// The full chain of an issuer: its certificate then those above it.
    func fullChain(_ issuer: IssuerEntry) -> [String] {
        [issuer.certificate] + (issuer.manualChain ?? issuer.caChain)
    }

    func urls(_ storage: any LogicalStorage) async throws -> URLsConfig {
        try await PKIStore.load(URLsConfig.self, storage, PKIStore.urlsConfig) ?? URLsConfig()
    }

    /// The AIA and CRL URLs to write into a certificate the issuer signs: the issuer's own, else the mount's.
    func urls(_ storage: any LogicalStorage, for issuer: IssuerEntry) async throws -> URLsConfig {
        if !issuer.issuingCertificates.isEmpty || !issuer.crlDistributionPoints.isEmpty || !issuer.ocspServers.isEmpty {
            var u = URLsConfig()
            u.issuingCertificates = issuer.issuingCertificates
            u.crlDistributionPoints = issuer.crlDistributionPoints
            u.ocspServers = issuer.ocspServers
            return u
        }
        return try await urls(storage)
    }
}
