import CofferSDK

/// How an OpenBao path decodes `batch_input` (a raw field), which decides its error texts: transit's own loop
/// (encrypt, decrypt), or mapstructure into a slice of string maps (hmac, sign, verify: `goType` names the item
/// type) or of `BatchRequestItem` structs (rewrap).
enum BatchDecoder {
    case loop(LoopItem)
    case structs(goType: String)
    case maps

    /// The fields transit's own loop checks in each item, in OpenBao's order, and the one an item needs.
    struct LoopItem {
        enum Kind { case string, int }
        var fields: [(name: String, kind: Kind)]
        var required: String
        var missing: String
        /// Whether a null is refused for the required field (plaintext), rather than read as empty (ciphertext).
        var requiredRefusesNull: Bool

        static let encrypt = LoopItem(
            fields: [("context", .string), ("plaintext", .string), ("key_version", .int), ("associated_data", .string), ("reference", .string)],
            required: "plaintext", missing: "missing plaintext to encrypt", requiredRefusesNull: true)
        static let decrypt = LoopItem(
            fields: [("context", .string), ("ciphertext", .string), ("associated_data", .string), ("reference", .string)],
            required: "ciphertext", missing: "missing ciphertext to decrypt", requiredRefusesNull: false)

        /// The complaints about item `i`, in OpenBao's words.
        func problems(_ item: [String: JSONValue], _ i: Int) -> [String] {
            var out: [String] = []
            for (name, kind) in fields {
                let at = "'[\(i)].\(name)' "
                guard let v = item[name] else {
                    if name == required { out.append(at + missing) }
                    continue
                }
                if v == .null {
                    if name == required && requiredRefusesNull { out.append(at + "expected type 'string', got unconvertible type '<nil>'") }
                    continue
                }
                switch (kind, v) {
                case (.string, .string), (.int, .int): break
                case (.int, .double(let d)):
                    out.append("error decoding json.Number into [\(i)].\(name): strconv.ParseInt: parsing \"\(GoDuration.numberText(d))\": invalid syntax")
                case (.string, _): out.append(at + "expected type 'string', got unconvertible type '\(FieldValue.goTypeName(v))'")
                case (.int, _): out.append(at + "expected type 'int', got unconvertible type '\(FieldValue.goTypeName(v))'")
                }
            }
            return out
        }
    }

    /// The items of `batch_input`; nil when the request has none (absent or null). A malformed list is a Go error
    /// (500), an empty one an error response.
    func items(_ value: JSONValue?) throws -> [[String: JSONValue]]? {
        guard let value, value != .null else { return nil }
        guard case .array(let list) = value else {
            if case .loop = self { throw Self.failure("source data must be an array or slice, got \(FieldValue.goTypeName(value))") }
            throw Self.failure("'' source data must be an array or slice, got \(Self.kind(value))")
        }
        if list.isEmpty { throw LogicalError.invalidRequest("missing batch input to process") }
        var items: [[String: JSONValue]] = []
        items.reserveCapacity(list.count)
        var bad: [String] = []
        for (i, item) in list.enumerated() {
            switch (item, self) {
            case (.object(let o), .loop(let schema)):
                bad += schema.problems(o, i)
                items.append(o)
            case (.object(let o), .structs):
                var strings: [String: JSONValue] = [:]
                for (key, v) in o.sorted(by: { $0.key < $1.key }) {
                    guard let text = Self.stringOf(v) else {
                        bad.append("'[\(i)][\(key)]' expected type 'string', got unconvertible type '\(FieldValue.goTypeName(v))'")
                        continue
                    }
                    strings[key] = .string(text)
                }
                items.append(strings)
            case (.object(var o), .maps):
                for (name, isInt) in Self.requestItemFields {
                    guard let v = o[name], v != .null else { continue }
                    let at = "'[\(i)].\(name)' "
                    switch (isInt, v) {
                    case (true, .int): break
                    case (true, .double(let d)):
                        bad.append(at + "cannot parse value as 'int': strconv.ParseInt: parsing \"\(GoDuration.numberText(d))\": invalid syntax")
                    case (true, _): bad.append(at + "expected type 'int', got unconvertible type '\(FieldValue.goTypeName(v))'")
                    case (false, _):
                        if let text = Self.stringOf(v) { o[name] = .string(text) } else {
                            bad.append(at + "expected type 'string', got unconvertible type '\(FieldValue.goTypeName(v))'")
                        }
                    }
                }
                items.append(o)
            // mapstructure leaves the zero item for a null element.
            case (.null, .structs), (.null, .maps): items.append([:])
            case (_, .loop): throw Self.failure("[\(i)] expected a map, got '\(FieldValue.goTypeName(item))'")
            case (_, .structs(let goType)):
                bad.append("'[\(i)]' expected type '\(goType)', got unconvertible type '\(FieldValue.goTypeName(item))'")
            case (_, .maps): bad.append("'[\(i)]' expected a map or struct, got \"\(Self.kind(item))\"")
            }
        }
        if !bad.isEmpty {
            if case .loop = self { throw Self.failure(bad.joined(separator: "\n")) }
            throw Self.failure("decoding failed due to the following error(s):\n\n" + bad.joined(separator: "\n"))
        }
        return items
    }

    /// A value mapstructure puts in a string without weak typing: a string, or a number (a `json.Number` is one);
    /// null is the empty string. Nil for anything else.
    static func stringOf(_ v: JSONValue) -> String? {
        switch v {
        case .string(let s): return s
        case .int(let n): return String(n)
        case .double(let d): return GoDuration.numberText(d)
        case .null: return ""
        case .bool, .array, .object: return nil
        }
    }

    /// The fields of OpenBao's `BatchRequestItem` (rewrap's items), in its order, and whether each is an int.
    static let requestItemFields: [(String, Bool)] = [
        ("context", false), ("plaintext", false), ("ciphertext", false), ("nonce", false), ("key_version", true),
        ("reference", false), ("associated_data", false),
    ]

    static func failure(_ text: String) -> LogicalError { TransitErrors.multi("failed to parse batch input: " + text) }

    /// Go's `reflect.Kind` of a decoded JSON value (a `json.Number` is a string).
    static func kind(_ value: JSONValue) -> String {
        switch value {
        case .null: return "invalid"
        case .bool: return "bool"
        case .int, .double, .string: return "string"
        case .array: return "slice"
        case .object: return "map"
        }
    }
}

/// Weakly typed reads of one batch item (values may be strings, numbers or booleans).
extension Dictionary where Key == String, Value == JSONValue {
    func itemString(_ key: String) -> String {
        guard let v = self[key] else { return "" }
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double, .bool: return v.serialized()
        default: return ""
        }
    }

    func itemInt(_ key: String) -> Int64? {
        guard let v = self[key] else { return nil }
        switch v {
        case .int(let i): return i
        case .string(let s): return s.isEmpty ? 0 : Int64(s)
        case .double(let d): return Int64(exactly: d)
        case .null: return 0
        default: return nil
        }
    }

    /// Whether the item leaves the field out (or sends null).
    func lacks(_ key: String) -> Bool { (self[key] ?? .null) == .null }

    /// `key_version` of an item: 0 (latest) when absent.
    func itemVersion() throws(ItemError) -> Int64 {
        if self["key_version"] == nil { return 0 }
        guard let v = itemInt("key_version") else { throw ItemError("invalid key_version") }
        return v
    }
}

extension PathRequest {
    /// The request's own fields as one batch item, converted by their declared types.
    func singleItem(_ names: [String]) throws -> [String: JSONValue] {
        var item: [String: JSONValue] = [:]
        for n in names { if let v = try fields.getOk(n) { item[n] = v } }
        return item
    }
}
