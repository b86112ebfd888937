/// One request field a path declares: its name, type, default, and the text path-help and OpenAPI show.
public struct Field: Sendable {
    public var name: String
    public var type: FieldType
    /// The value a handler reads when the request leaves the field out (OpenBao's `Default`); nil: the type's zero.
    public var defaultValue: JSONValue?
    public var required: Bool
    public var description: String
    /// Kept for older clients; shown as deprecated in OpenAPI (`policies` beside `token_policies`).
    public var deprecated: Bool
    /// Values the field accepts, for OpenAPI's `enum` (the handler still checks them, with its own error text).
    public var allowedValues: [String]
    /// Sent in the query string (OpenAPI: a `query` parameter of the path, shared by its operations and left out of
    /// request bodies, as OpenBao documents it).
    public var query: Bool

    public init(
        _ name: String, _ type: FieldType, default defaultValue: JSONValue? = nil, required: Bool = false,
        deprecated: Bool = false, allowed: [String] = [], query: Bool = false, _ description: String = ""
    ) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.required = required
        self.description = description
        self.deprecated = deprecated
        self.allowedValues = allowed
        self.query = query
    }

    public static func string(_ name: String, default d: String? = nil, _ description: String = "") -> Field {
        Field(name, .string, default: d.map { .string($0) }, description)
    }
    public static func int(_ name: String, default d: Int64? = nil, _ description: String = "") -> Field {
        Field(name, .int, default: d.map { .int($0) }, description)
    }
    public static func bool(_ name: String, default d: Bool? = nil, _ description: String = "") -> Field {
        Field(name, .bool, default: d.map { .bool($0) }, description)
    }
    public static func duration(_ name: String, default d: Int64? = nil, _ description: String = "") -> Field {
        Field(name, .durationSecond, default: d.map { .int($0) }, description)
    }
    public static func strings(_ name: String, _ description: String = "") -> Field {
        Field(name, .commaStringSlice, description)
    }
    public static func map(_ name: String, _ description: String = "") -> Field { Field(name, .map, description) }
    public static func kvPairs(_ name: String, _ description: String = "") -> Field { Field(name, .kvPairs, description) }

    /// The value a handler reads when the field is absent.
    public var zeroValue: JSONValue {
        if let defaultValue { return defaultValue }
        switch type {
        case .string, .lowerCaseString, .nameString: return .string("")
        case .int, .durationSecond, .signedDurationSecond: return .int(0)
        case .bool: return .bool(false)
        case .commaStringSlice, .stringSlice, .commaIntSlice, .slice: return .array([])
        case .map, .kvPairs: return .object([:])
        case .float: return .double(0)
        case .raw: return .null
        }
    }
}
