import CofferSDK

/// Error texts of the approle method, as OpenBao words them.
enum AppRoleErrors {
    /// The one answer for a wrong role id, a wrong secret id, or an expired secret id.
    static let invalidCredentials = LogicalError(.invalidCredentials, "invalid role or secret ID")
    /// What OpenBao's handlers return (`logical.ErrUnsupportedPath`, a Go error) when a write names a missing role
    /// (the role's sub-paths and `role-id`), and on every operation of `bind-secret-id`.
    static let roleNotFound = LogicalError.goError(.unsupportedPath, "unsupported path")
    /// A login, or a login-path operation other than a login, sent without a role ID (a 500 in OpenBao, which
    /// looks the role ID up before it routes the operation).
    static let missingRoleID = LogicalError(.internal, "missing role_id")

    static func roleMissing(_ name: String) -> String { "role \"\(name)\" does not exist" }
}

/// Go's `%q` of a `[]string`: `["a" "b"]`.
func goQuotedList(_ items: [String]) -> String {
    "[" + items.map { JSONValue.string($0).serialized() }.joined(separator: " ") + "]"
}
