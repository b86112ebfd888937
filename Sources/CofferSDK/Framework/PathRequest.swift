/// One request as a path handler sees it: the logical request, the route's fields (body and named segments) and
/// the pattern that matched.
public struct PathRequest: Sendable {
    public var logical: LogicalRequest
    public var fields: FieldData
    /// The declared pattern that matched (`keys/{name}`), for handlers shared by several paths.
    public var pattern: String

    @usableFromInline init(logical: LogicalRequest, fields: FieldData, pattern: String) {
        (self.logical, self.fields, self.pattern) = (logical, fields, pattern)
    }

    public var operation: Operation { logical.operation }
    public var storage: any LogicalStorage { logical.storage }
    /// The path below the mount.
    public var path: String { logical.path }
    public var data: [String: JSONValue] { logical.data }
}
