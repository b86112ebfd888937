/// The identity alias a login maps to (entity alias name and its metadata).
public struct AuthAlias: Sendable, Equatable {
    public var name: String
    public var metadata: [String: String]

    public init(name: String, metadata: [String: String] = [:]) {
        self.name = name
        self.metadata = metadata
    }
}
