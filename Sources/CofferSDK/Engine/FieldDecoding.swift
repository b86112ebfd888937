/// The older field-decoding entry point, kept only for `Engines/Transit/Support/Fields.swift` until transit moves onto
/// ``FieldValue`` (every conversion now lives there).
public enum FieldDecoding {
    /// Go's type names in mapstructure messages: ``FieldValue/goTypeName(_:)``.
    public static func goTypeName(_ value: JSONValue) -> String { FieldValue.goTypeName(value) }
}
