import CofferSDK
import Crypto
import Foundation
import Synchronization

/// A role as stored at `role/<name>`.
struct RoleEntry: Codable, Equatable {
    var name: String
    var roleID: String
    var bindSecretID: Bool = true
    var secretIDBoundCIDRs: [String] = []
    var secretIDNumUses: Int64 = 0
    var secretIDTTL: Int64 = 0
    var localSecretIDs: Bool = false
    var tokenPolicies: [String] = []
    /// Legacy `policies`, kept while it matches `token_policies`.
    var policies: [String] = []
    var tokenTTL: Int64 = 0
    var tokenMaxTTL: Int64 = 0
    var tokenExplicitMaxTTL: Int64 = 0
    var tokenPeriod: Int64 = 0
    /// Legacy `period`.
    var period: Int64 = 0
    var tokenNumUses: Int64 = 0
    /// nil only after the `token-bound-cidrs` sub-path deleted them (read then shows null, as OpenBao does).
    var tokenBoundCIDRs: [String]? = []
    var tokenNoDefaultPolicy: Bool = false
    var tokenType: String = "default"
    var tokenStrictlyBindIP: Bool = false

    init(name: String, roleID: String) {
        self.name = name
        self.roleID = roleID
    }

    /// The `token_*` settings as the shared ``TokenParameters`` (stored under this record's own keys). Setting
    /// them keeps `tokenBoundCIDRs` nil while they stay empty, so a read of `token-bound-cidrs` still shows null.
    var token: TokenParameters {
        get {
            var t = TokenParameters()
            t.boundCIDRs = tokenBoundCIDRs ?? []
            t.explicitMaxTTL = tokenExplicitMaxTTL
            t.maxTTL = tokenMaxTTL
            t.noDefaultPolicy = tokenNoDefaultPolicy
            t.period = tokenPeriod
            t.policies = tokenPolicies
            t.type = tokenType
            t.ttl = tokenTTL
            t.numUses = tokenNumUses
            t.strictlyBindIP = tokenStrictlyBindIP
            return t
        }
        set {
            if tokenBoundCIDRs != nil || !newValue.boundCIDRs.isEmpty { tokenBoundCIDRs = newValue.boundCIDRs }
            tokenExplicitMaxTTL = newValue.explicitMaxTTL
            tokenMaxTTL = newValue.maxTTL
            tokenNoDefaultPolicy = newValue.noDefaultPolicy
            tokenPeriod = newValue.period
            tokenPolicies = newValue.policies
            tokenType = newValue.type
            tokenTTL = newValue.ttl
            tokenNumUses = newValue.numUses
            tokenStrictlyBindIP = newValue.strictlyBindIP
        }
    }

    var responseData: [String: JSONValue] {
        var d = token.responseData
        d["bind_secret_id"] = .bool(bindSecretID)
        d["local_secret_ids"] = .bool(localSecretIDs)
        d["secret_id_bound_cidrs"] = secretIDBoundCIDRs.isEmpty ? .null : strings(secretIDBoundCIDRs)
        d["secret_id_num_uses"] = .int(secretIDNumUses)
        d["secret_id_ttl"] = .int(secretIDTTL)
        if !policies.isEmpty { d["policies"] = strings(tokenPolicies) }
        if period > 0 { d["period"] = .int(tokenPeriod) }
        return d
    }
}

/// A secret ID as stored at `secret_id/<role>/<hmac>`; the secret itself is never stored.
struct SecretIDEntry: Codable, Equatable {
    /// HMAC-SHA256 of the secret ID under the mount's key (also the last storage key component).
    var secretIDHMAC: String
    var accessor: String
    var numUses: Int64
    var ttl: Int64
    var cidrList: [String]
    var tokenBoundCIDRs: [String]
    var metadata: [String: String]
    var creationTime: Date
    var expirationTime: Date?
    var lastUpdatedTime: Date

    func isExpired(at now: Date) -> Bool {
        if let expirationTime { return expirationTime <= now }
        return false
    }

    var responseData: [String: JSONValue] {
        [
            "cidr_list": strings(cidrList),
            "creation_time": .string(formatVaultTime(creationTime)),
            "expiration_time": .string(expirationTime.map(formatVaultTime) ?? "0001-01-01T00:00:00Z"),
            "last_updated_time": .string(formatVaultTime(lastUpdatedTime)),
            "metadata": .object(metadata.mapValues { .string($0) }),
            "secret_id_accessor": .string(accessor),
            "secret_id_num_uses": .int(numUses),
            "secret_id_ttl": .int(ttl),
            "token_bound_cidrs": strings(tokenBoundCIDRs),
        ]
    }
}

/// Where an accessor points: its role and the HMAC of its secret ID.
struct AccessorEntry: Codable, Equatable {
    var roleName: String
    var secretIDHMAC: String
}

func strings(_ list: [String]) -> JSONValue { .array(list.map { .string($0) }) }

/// Storage layout of one approle mount.
enum Layout {
    static let saltKey = "salt"
    static func role(_ name: String) -> String { "role/" + name }
    static func roleID(_ hmac: String) -> String { "role_id/" + hmac }
    static func secretIDPrefix(_ role: String) -> String { "secret_id/" + role + "/" }
    static func secretID(_ role: String, _ hmac: String) -> String { secretIDPrefix(role) + hmac }
    static func accessor(_ accessor: String) -> String { "accessor/" + accessor }
}

/// Decoded records of one mount by storage key. A record is reused only while the stored bytes are exactly the bytes
/// it was decoded from, so a write can never leave a stale record behind and nothing has to be invalidated. It lives
/// with the engine instance, which is dropped on seal.
final class DecodedRecords: Sendable {
    private let entries = Mutex<[String: (raw: Data, value: any Sendable)]>([:])
    static let limit = 4096

    func decode<T: Decodable & Sendable>(_ type: T.Type, _ key: String, _ data: Data, with decoder: JSONDecoder) throws -> T {
        if let e = entries.withLock({ $0[key] }), e.raw == data, let value = e.value as? T { return value }
        let value = try decoder.decode(T.self, from: data)
        entries.withLock {
            if $0.count >= Self.limit { $0.removeAll() }
            $0[key] = (data, value)
        }
        return value
    }
}

/// Typed storage access for a request.
struct AppRoleStore {
    let storage: any LogicalStorage
    /// Where login reuses decoded records; nil elsewhere.
    var records: DecodedRecords? = nil

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .secondsSince1970
        e.outputFormatting = .sortedKeys
        return e
    }()
    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .secondsSince1970
        return d
    }()

    func load<T: Decodable & Sendable>(_ type: T.Type, _ key: String) async throws -> T? {
        guard let data = try await storage.get(key) else { return nil }
        if let records { return try records.decode(T.self, key, data, with: Self.decoder) }
        return try Self.decoder.decode(T.self, from: data)
    }

    static func encode(_ value: some Encodable) throws -> Data { try encoder.encode(value) }

    func role(_ name: String) async throws -> RoleEntry? { try await load(RoleEntry.self, Layout.role(name)) }

    func roleNames() async throws -> [String] {
        try await storage.list(prefix: "role/").filter { !$0.hasSuffix("/") }
    }

    /// The mount's HMAC key, created on first use (callers hold the engine lock when it may be created).
    func hmacKey(create: Bool) async throws -> SymmetricKey? {
        if let data = try await storage.get(Layout.saltKey) { return SymmetricKey(data: data) }
        guard create else { return nil }
        let key = SymmetricKey(size: .bits256)
        let data = key.withUnsafeBytes { Data($0) }
        try await storage.put(Layout.saltKey, data)
        return key
    }

    static func hmac(_ value: String, key: SymmetricKey) -> String {
        var mac = HMAC<SHA256>(key: key)
        var value = value
        value.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
        return hexEncoded(mac.finalize())
    }

    /// Finds a secret-ID entry under a role by the secret: entries are stored under the HMAC of their secret.
    func secretID(role: String, secret: String, key: SymmetricKey) async throws -> (hmac: String, entry: SecretIDEntry)? {
        let mac = Self.hmac(secret, key: key)
        guard let entry = try await load(SecretIDEntry.self, Layout.secretID(role, mac)) else { return nil }
        return (mac, entry)
    }
}

/// The CIDR checks of roles and secret IDs, over the SDK's ``CIDRBlock``.
enum CIDRChecks {
    /// The first entry that is not a CIDR block with its prefix length in decimal digits (Go's `net.ParseCIDR`), or nil.
    static func firstInvalid(_ list: [String]) -> String? {
        list.first { text in
            guard let slash = text.lastIndex(of: "/") else { return true }
            let bits = text[text.index(after: slash)...].trimmingCharacters(in: .whitespaces)
            return bits.isEmpty || !bits.allSatisfy { $0.isASCII && $0.isNumber } || CIDRBlock(text) == nil
        }
    }

    /// Whether every block of `inner` lies inside some block of `outer` (OpenBao's `cidrutil.SubsetBlocks`).
    static func blocks(_ inner: [String], areWithin outer: [String]) -> Bool {
        let outs = outer.compactMap { CIDRBlock($0) }
        return inner.allSatisfy { text in
            guard let b = CIDRBlock(text) else { return false }
            return outs.contains { o in
                o.address.count == b.address.count && b.prefixLength >= o.prefixLength && o.contains(CIDRBlock.format(b.address))
            }
        }
    }

    /// Whether the request's address lies in one of the blocks (an address alone is a one-host block).
    static func address(_ remote: String?, isIn blocks: [String]) -> Bool {
        guard let remote, !remote.isEmpty else { return false }
        return blocks.contains { CIDRBlock($0)?.contains(remote) ?? false }
    }
}
