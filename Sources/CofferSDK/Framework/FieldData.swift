/// The fields of one request, read through the path's declared schema: OpenBao's `framework.FieldData`.
///
/// The body (or query) fields and the path's named segments are kept apart and read as one, the segments laid over
/// the body (the URL wins, as in OpenBao); `raw` is that union. Reading a field converts it by its declared type; an
/// absent field reads as its default or the type's zero value. The framework validates every sent field before a
/// handler runs, so a handler's reads of declared fields cannot fail on the value; reading a name the path does not
/// declare is a programming error, reported as a 500.
public struct FieldData: Sendable {
    /// The body or query fields as sent.
    @usableFromInline let body: [String: JSONValue]
    /// The path's named segments: captured text, or "" for an optional part the path left out. Kept as a short list
    /// so that routing a request copies no dictionary.
    @usableFromInline let captures: [(name: String, value: JSONValue)]
    @usableFromInline let schema: [String: Field]

    public init(raw: [String: JSONValue], schema: [String: Field]) {
        self.init(body: raw, captures: [], schema: schema)
    }

    @usableFromInline init(body: [String: JSONValue], captures: [(name: String, value: JSONValue)], schema: [String: Field]) {
        self.body = body
        self.captures = captures
        self.schema = schema
    }

    /// Every sent field, the path's named segments laid over the body.
    public var raw: [String: JSONValue] {
        var all = body
        for (name, value) in captures { all[name] = value }
        return all
    }

    /// A sent field's value as sent (not converted): a named segment first, then the body.
    public func sent(_ name: String) -> JSONValue? {
        for c in captures where c.name == name { return c.value }
        return body.isEmpty ? nil : body[name]
    }

    /// `error converting input for field "name": detail`.
    public static func conversionError(_ name: String, _ detail: String) -> String {
        "error converting input for field \"\(name)\": \(detail)"
    }

    /// Converts every sent field the schema declares; the first failure (in name order, for a stable answer) as
    /// `error converting input for field "…": …`, or nil when every field converts (OpenBao's `Validate`).
    public func validationFailure() -> String? {
        // Every field is converted; the names are only sorted when one fails.
        var failed: (name: String, message: String)? = nil
        func check(_ name: String, _ value: JSONValue) {
            guard let field = schema[name] else { return }
            if case .failure(let f) = FieldValue.convert(value, as: field.type, field: name), failed.map({ name < $0.name }) ?? true {
                failed = (name, f.message)
            }
        }
        for (name, value) in captures { check(name, value) }
        for (name, value) in body where !captures.contains(where: { $0.name == name }) { check(name, value) }
        return failed.map { Self.conversionError($0.name, $0.message) }
    }

    func field(_ name: String) throws -> Field {
        guard let f = schema[name] else { throw LogicalError.internalError("field \"\(name)\" is not in the path's schema") }
        return f
    }

    /// Whether the request sent the field (even as null or empty).
    public func has(_ name: String) -> Bool { sent(name) != nil }

    /// Whether a sent value counts as not sent: `null` for a duration field (OpenBao's `getPrimitive` answers "not
    /// set" for a nil duration or time, so a handler keeps its stored value).
    static func isUnset(_ value: JSONValue, _ type: FieldType) -> Bool {
        guard case .null = value else { return false }
        switch type {
        case .durationSecond, .signedDurationSecond: return true
        default: return false
        }
    }

    /// The converted value when the request sent the field, else nil (`GetOk`). A duration sent as `null` is not
    /// sent.
    public func getOk(_ name: String) throws -> JSONValue? {
        let f = try field(name)
        guard let v = sent(name), !Self.isUnset(v, f.type) else { return nil }
        switch FieldValue.convert(v, as: f.type, field: name) {
        case .success(let c): return c
        case .failure(let e): throw LogicalError.invalidRequest(Self.conversionError(name, e.message))
        }
    }

    /// The converted value, or the field's default, or the zero value of its type (`Get`); a duration sent as `null`
    /// reads as its default.
    public func get(_ name: String) throws -> JSONValue {
        let f = try field(name)
        var given = sent(name)
        if let v = given, Self.isUnset(v, f.type) { given = nil }
        guard let v = given ?? f.defaultValue else { return f.zeroValue }
        switch FieldValue.convert(v, as: f.type, field: name) {
        case .success(let c): return c
        case .failure(let e): throw LogicalError.invalidRequest(Self.conversionError(name, e.message))
        }
    }

    public func string(_ name: String) throws -> String { try get(name).stringValue ?? "" }
    public func stringIfSet(_ name: String) throws -> String? { try getOk(name)?.stringValue }

    public func int(_ name: String) throws -> Int64 { try Self.intOf(get(name)) }
    public func intIfSet(_ name: String) throws -> Int64? { try getOk(name).map(Self.intOf) }

    public func bool(_ name: String) throws -> Bool {
        if case .bool(let b) = try get(name) { return b }
        return false
    }
    public func boolIfSet(_ name: String) throws -> Bool? {
        guard let v = try getOk(name) else { return nil }
        if case .bool(let b) = v { return b }
        return false
    }

    /// A duration field, in seconds.
    public func duration(_ name: String) throws -> Int64 { try int(name) }
    public func durationIfSet(_ name: String) throws -> Int64? { try intIfSet(name) }

    public func strings(_ name: String) throws -> [String] { Self.stringsOf(try get(name)) }
    public func stringsIfSet(_ name: String) throws -> [String]? { try getOk(name).map(Self.stringsOf) }

    public func ints(_ name: String) throws -> [Int64] { (try get(name).arrayValue ?? []).map(Self.intOf) }

    public func object(_ name: String) throws -> [String: JSONValue] { try get(name).objectValue ?? [:] }
    public func objectIfSet(_ name: String) throws -> [String: JSONValue]? { try getOk(name).map { $0.objectValue ?? [:] } }

    /// A key-value pairs field as strings.
    public func pairs(_ name: String) throws -> [String: String] { (try object(name)).compactMapValues(\.stringValue) }
    public func pairsIfSet(_ name: String) throws -> [String: String]? {
        try objectIfSet(name).map { $0.compactMapValues(\.stringValue) }
    }

    static func intOf(_ v: JSONValue) -> Int64 {
        if case .int(let i) = v { return i }
        return 0
    }

    static func stringsOf(_ v: JSONValue) -> [String] { (v.arrayValue ?? []).compactMap(\.stringValue) }
}
