import CofferSDK

/// Removes duplicates keeping the first occurrence.
func deduplicated(_ items: [String]) -> [String] {
    var seen = Set<String>()
    return items.filter { seen.insert($0).inserted }
}

/// A list field without its empty entries (`"a,,b"` names two IDs).
func nonEmpty(_ items: [String]) -> [String] { items.filter { !$0.isEmpty } }

/// Policy names of entities and groups as OpenBao keeps them: trimmed, lowercased, without empty names or
/// duplicates, sorted (bytewise, as Go sorts).
func sanitizedPolicies(_ items: [String]) -> [String] {
    Set(items.map { FieldValue.goToLower(FieldValue.goTrimSpace($0)) }.filter { !$0.isEmpty })
        .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
}

extension FieldData {
    /// A key-value pairs field: nil when not sent, `.some(nil)` when sent as null (Go's nil map: no metadata).
    func metadataIfSet(_ name: String) throws -> [String: String]?? {
        try getOk(name).map { $0.objectValue?.compactMapValues(\.stringValue) }
    }
}

extension Optional where Wrapped == [String: String] {
    var json: JSONValue {
        guard let m = self else { return .null }
        return .object(m.mapValues { .string($0) })
    }
}

extension Optional where Wrapped == [String] {
    var json: JSONValue {
        guard let a = self else { return .null }
        return .array(a.map { .string($0) })
    }
}

extension Array where Element == String {
    var json: JSONValue { .array(map { .string($0) }) }
}
