/// The types of request fields, as OpenBao's framework names them (`framework.TypeString` ...). Each converts a
/// JSON value the way OpenBao's weakly typed decoding does (see ``FieldValue/convert(_:as:field:)``).
public enum FieldType: String, Sendable, Hashable, CaseIterable {
    case string
    /// A string, lowercased.
    case lowerCaseString = "lowercase_string"
    /// A string that must be a generic name (`\w(([\w-.]+)?\w)?`).
    case nameString = "name_string"
    case int
    case bool
    /// Seconds, from an integer or Go duration text; negative values refused.
    case durationSecond = "duration_second"
    /// Seconds, negative values allowed.
    case signedDurationSecond = "signed_duration_second"
    /// A list of strings from a list or a comma-separated string.
    case commaStringSlice = "comma_string_slice"
    /// A list of strings; a string is one element.
    case stringSlice = "string_slice"
    /// A list of integers from a list or a comma-separated string.
    case commaIntSlice = "comma_int_slice"
    /// Any JSON object.
    case map
    /// An object of strings, or a list of `key=value` strings.
    case kvPairs = "kv_pairs"
    /// A floating-point number.
    case float
    /// A list of any values (OpenBao's TypeSlice): never refused; a single value is read as a list of one. Handlers
    /// that decode the items themselves (transit's `batch_input`) read the raw value.
    case slice
    /// Any JSON value, kept as it is.
    case raw

    /// The name OpenBao's path-help prints for the type (`framework.FieldType.String()`).
    public var helpName: String {
        switch self {
        case .string: return "string"
        case .lowerCaseString: return "lowercase string"
        case .nameString: return "name string"
        case .int: return "int"
        case .bool: return "bool"
        case .durationSecond, .signedDurationSecond: return "duration (sec)"
        case .commaStringSlice, .stringSlice: return "slice"
        case .commaIntSlice: return "slice"
        case .map: return "map"
        case .kvPairs: return "keypair"
        case .float: return "float"
        case .slice: return "slice"
        case .raw: return "raw"
        }
    }

    /// The OpenAPI schema of the type, as OpenBao's generator maps it.
    public var openAPISchema: [String: JSONValue] {
        switch self {
        case .string: return ["type": "string"]
        case .lowerCaseString: return ["type": "string", "format": "lowercase"]
        case .nameString: return ["type": "string", "pattern": #"\w([\w-.]*\w)?"#]
        case .int: return ["type": "integer"]
        case .bool: return ["type": "boolean"]
        case .durationSecond, .signedDurationSecond: return ["type": "integer", "format": "seconds"]
        case .commaStringSlice, .stringSlice: return ["type": "array", "items": ["type": "string"]]
        case .commaIntSlice: return ["type": "array", "items": ["type": "integer"]]
        case .map: return ["type": "object", "format": "map"]
        case .kvPairs: return ["type": "object", "format": "kvpairs"]
        case .float: return ["type": "number", "format": "float"]
        case .slice: return ["type": "array", "items": ["type": "object"]]
        case .raw: return [:]
        }
    }
}
