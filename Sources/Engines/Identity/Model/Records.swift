import CofferSDK
import Foundation

/// An entity alias: a login identity (`name`) on an auth mount (`mountAccessor`), stored inside its entity.
struct EntityAlias: Codable, Sendable, Equatable {
    var id: String
    var canonicalID: String
    var mountAccessor: String
    var name: String
    /// Set by logins; nil when the auth method gave none.
    var metadata: [String: String]?
    /// Set through the API; nil for aliases created by a login.
    var customMetadata: [String: String]?
    var creationTime: String
    var lastUpdateTime: String
    var mergedFromCanonicalIDs: [String]?
}

/// An identity entity with its aliases.
struct Entity: Codable, Sendable, Equatable {
    var id: String
    var name: String
    var metadata: [String: String]?
    var policies: [String]
    var disabled: Bool
    var creationTime: String
    var lastUpdateTime: String
    var mergedEntityIDs: [String]?
    var aliases: [EntityAlias]
}

/// The single alias of an external group.
struct GroupAlias: Codable, Sendable, Equatable {
    var id: String
    var canonicalID: String
    var mountAccessor: String
    var name: String
    var creationTime: String
    var lastUpdateTime: String
}

/// An identity group. Optional lists keep OpenBao's distinction between "never set" (null) and "set empty" ([]).
struct Group: Codable, Sendable, Equatable {
    var id: String
    var name: String
    var type: String
    var policies: [String]?
    var metadata: [String: String]?
    var memberEntityIDs: [String]?
    var parentGroupIDs: [String]?
    var creationTime: String
    var lastUpdateTime: String
    var modifyIndex: Int64
    var alias: GroupAlias?
}

/// Storage layout of the identity store.
enum IdentityLayout {
    static let entityPrefix = "entity/"
    static let groupPrefix = "group/"

    static func entityKey(_ id: String) -> String { entityPrefix + id }
    static func groupKey(_ id: String) -> String { groupPrefix + id }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    static func encode<T: Encodable>(_ value: T) throws -> Data { try encoder.encode(value) }
    static func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T { try JSONDecoder().decode(type, from: data) }
}

/// Random identifiers in the shapes OpenBao uses.
enum IdentityIDs {
    /// A UUID in Vault's lowercase 8-4-4-4-12 form.
    static func uuid() -> String { UUID().uuidString.lowercased() }

    /// Eight random lowercase hex digits.
    static func shortHex() -> String {
        String(UInt32.random(in: 0...UInt32.max), radix: 16).leftPadded(to: 8)
    }

    /// `entity_<8 hex>.root`, the name OpenBao gives an entity created without one.
    static func entityName() -> String { "entity_\(shortHex()).root" }
    /// `group_<8 hex>.root`, the name OpenBao gives a group created without one.
    static func groupName() -> String { "group_\(shortHex()).root" }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

func nowVaultTime() -> String { formatVaultTime(Date()) }
