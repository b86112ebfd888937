/// A JSON document as the Vault HTTP API sends it.
///
/// Unlike `JSONSerialization`, this keeps the order of object members as received and keeps numbers as the literal
/// text the server sent, so that output formatted from it matches what the `bao`/`vault` CLI prints
/// (Go decodes API responses with `json.Number`).
///
/// ```swift
/// let body: JSON = .object([.init("data", .object([.init("a", "1")]))])
/// print(body["data"]?["a"]?.stringValue ?? "") // 1
/// ```
public enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number, kept as the literal text (`5`, `1.5`, `1e3`).
    case number(String)
    case string(String)
    case array([JSON])
    /// An object whose members keep their order.
    case object([Member])

    /// One member of a JSON object.
    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: JSON

        public init(_ key: String, _ value: JSON) {
            self.key = key
            self.value = value
        }
    }
}

extension JSON {
    /// Builds an integer number.
    public static func int(_ value: Int) -> JSON { .number(String(value)) }

    /// Builds an object from ordered key/value pairs (a later duplicate key replaces the earlier value).
    public static func object(_ pairs: KeyValuePairs<String, JSON>) -> JSON {
        var result = JSON.object([])
        for (key, value) in pairs { result[key] = value }
        return result
    }

    /// Builds an object from a list of pairs, keeping their order.
    public static func orderedObject(_ pairs: [(String, JSON)]) -> JSON {
        var result = JSON.object([])
        for (key, value) in pairs { result[key] = value }
        return result
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The value as an integer: a number without fraction, or a string holding one.
    public var intValue: Int? {
        switch self {
        case .number(let literal):
            if let value = Int(literal) { return value }
            if let value = Double(literal), value.rounded() == value, abs(value) < 9e18 { return Int(value) }
            return nil
        case .string(let value): return Int(value)
        default: return nil
        }
    }

    public var arrayValue: [JSON]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The members of an object, in order.
    public var members: [Member]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The keys of an object, in order.
    public var keys: [String] { members?.map(\.key) ?? [] }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    public var isObject: Bool {
        if case .object = self { return true }
        return false
    }

    /// The member named `key` of an object; setting `nil` removes it, setting a new key appends it.
    public subscript(key: String) -> JSON? {
        get {
            guard case .object(let members) = self else { return nil }
            return members.first(where: { $0.key == key })?.value
        }
        set {
            guard case .object(var members) = self else { return }
            if let index = members.firstIndex(where: { $0.key == key }) {
                if let newValue {
                    members[index].value = newValue
                } else {
                    members.remove(at: index)
                }
            } else if let newValue {
                members.append(Member(key, newValue))
            }
            self = .object(members)
        }
    }

    /// A copy in which every object (recursively) has its members sorted by key, as Go's `encoding/json` writes maps.
    public func sortedKeys() -> JSON {
        switch self {
        case .array(let values): return .array(values.map { $0.sortedKeys() })
        case .object(let members):
            return .object(members.map { Member($0.key, $0.value.sortedKeys()) }.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) })
        default: return self
        }
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral, ExpressibleByNilLiteral,
    ExpressibleByArrayLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(String(value)) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
}
