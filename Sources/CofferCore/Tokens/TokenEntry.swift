import CofferSDK
import Foundation

/// A stored token. Only the salted hash of the token identifies it; the token itself is never stored.
public struct TokenEntry: Sendable, Equatable {
    public var idHash: String
    public var accessor: String
    public var parentHash: String?
    public var policies: [String]
    public var meta: [String: String]?
    public var displayName: String
    public var numUses: Int
    public var creationTime: Date
    public var creationTTL: Int64
    public var explicitMaxTTL: Int64
    public var period: Int64
    public var renewable: Bool
    public var path: String
    public var expireTime: Date?
    public var role: String
    public var entityID: String
    public var type: String
    /// CIDR blocks the token may be used from.
    public var boundCIDRs: [String] = []
    /// What the auth method asked to get back on renewal (`AuthInfo.internalData`).
    public var authData: [String: String] = [:]
    /// The identity alias name of the login that made the token.
    public var aliasName: String = ""
    /// Lifetime cap from the auth method's role (`token_max_ttl`), enforced at renewal; 0 for none.
    public var maxTTL: Int64 = 0

    public var isRoot: Bool { policies.contains("root") }
    public var orphan: Bool { parentHash == nil }

    public func isExpired(now: Date) -> Bool {
        if let e = expireTime { return e <= now }
        return false
    }

    func json() -> JSONValue {
        var o: [String: JSONValue] = [
            "id_hash": .string(idHash),
            "accessor": .string(accessor),
            "policies": .array(policies.map { .string($0) }),
            "display_name": .string(displayName),
            "num_uses": .int(Int64(numUses)),
            "creation_time": .double(creationTime.timeIntervalSince1970),
            "creation_ttl": .int(creationTTL),
            "explicit_max_ttl": .int(explicitMaxTTL),
            "period": .int(period),
            "renewable": .bool(renewable),
            "path": .string(path),
            "role": .string(role),
            "entity_id": .string(entityID),
            "type": .string(type),
        ]
        if let p = parentHash { o["parent_hash"] = .string(p) }
        if let m = meta { o["meta"] = .object(m.mapValues { .string($0) }) }
        if let e = expireTime { o["expire_time"] = .double(e.timeIntervalSince1970) }
        if !boundCIDRs.isEmpty { o["bound_cidrs"] = .array(boundCIDRs.map { .string($0) }) }
        if !authData.isEmpty { o["auth_data"] = .object(authData.mapValues { .string($0) }) }
        if !aliasName.isEmpty { o["alias_name"] = .string(aliasName) }
        if maxTTL > 0 { o["max_ttl"] = .int(maxTTL) }
        return .object(o)
    }

    public init(
        idHash: String, accessor: String, parentHash: String?, policies: [String], meta: [String: String]?, displayName: String,
        numUses: Int, creationTime: Date, creationTTL: Int64, explicitMaxTTL: Int64, period: Int64, renewable: Bool, path: String,
        expireTime: Date?, role: String, entityID: String = "", type: String = "service"
    ) {
        self.idHash = idHash
        self.accessor = accessor
        self.parentHash = parentHash
        self.policies = policies
        self.meta = meta
        self.displayName = displayName
        self.numUses = numUses
        self.creationTime = creationTime
        self.creationTTL = creationTTL
        self.explicitMaxTTL = explicitMaxTTL
        self.period = period
        self.renewable = renewable
        self.path = path
        self.expireTime = expireTime
        self.role = role
        self.entityID = entityID
        self.type = type
    }

    init(json v: JSONValue) throws {
        guard let idHash = v["id_hash"]?.stringValue, let accessor = v["accessor"]?.stringValue else {
            throw LogicalError.internalError("token entry is malformed")
        }
        func date(_ k: String) -> Date? {
            switch v[k] {
            case .double(let d): return Date(timeIntervalSince1970: d)
            case .int(let i): return Date(timeIntervalSince1970: Double(i))
            default: return nil
            }
        }
        self.init(
            idHash: idHash, accessor: accessor, parentHash: v["parent_hash"]?.stringValue,
            policies: v["policies"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            meta: v["meta"]?.objectValue?.compactMapValues(\.stringValue),
            displayName: v["display_name"]?.stringValue ?? "", numUses: Int(v["num_uses"]?.intValue ?? 0),
            creationTime: date("creation_time") ?? Date(timeIntervalSince1970: 0), creationTTL: v["creation_ttl"]?.intValue ?? 0,
            explicitMaxTTL: v["explicit_max_ttl"]?.intValue ?? 0, period: v["period"]?.intValue ?? 0,
            renewable: v["renewable"]?.boolValue ?? false, path: v["path"]?.stringValue ?? "", expireTime: date("expire_time"),
            role: v["role"]?.stringValue ?? "", entityID: v["entity_id"]?.stringValue ?? "", type: v["type"]?.stringValue ?? "service")
        self.boundCIDRs = v["bound_cidrs"]?.arrayValue?.compactMap(\.stringValue) ?? []
        self.authData = v["auth_data"]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        self.aliasName = v["alias_name"]?.stringValue ?? ""
        self.maxTTL = v["max_ttl"]?.intValue ?? 0
    }

    /// The lookup shape OpenBao returns. `id` is the token when the caller presented it, "" otherwise.
    func lookupData(id: String, now: Date) -> [String: JSONValue] {
        var ttl: Int64 = 0
        if let e = expireTime { ttl = max(0, Int64(e.timeIntervalSince(now).rounded(.down))) }
        var d: [String: JSONValue] = [
            "accessor": .string(accessor),
            "creation_time": .int(Int64(creationTime.timeIntervalSince1970)),
            "creation_ttl": .int(creationTTL),
            "display_name": .string(displayName),
            "entity_id": .string(entityID),
            "expire_time": expireTime.map { .string(formatVaultTime($0)) } ?? .null,
            "explicit_max_ttl": .int(explicitMaxTTL),
            "id": .string(id),
            "meta": meta.map { .object($0.mapValues { .string($0) }) } ?? .null,
            "num_uses": .int(Int64(numUses)),
            "orphan": .bool(orphan),
            "path": .string(path),
            "policies": .array(policies.map { .string($0) }),
            "renewable": .bool(renewable),
            "ttl": .int(ttl),
            "type": .string(type),
        ]
        d["issue_time"] = .string(formatVaultTime(creationTime))
        if period > 0 { d["period"] = .int(period) }
        if !boundCIDRs.isEmpty { d["bound_cidrs"] = .array(boundCIDRs.map { .string($0) }) }
        if !role.isEmpty { d["role"] = .string(role) }
        return d
    }
}
