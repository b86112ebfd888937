import CofferSDK

/// Error texts of the approle method, as OpenBao words them.
enum AppRoleErrors {
    static let unsupportedOperation = LogicalError(.unsupportedOperation, "1 error occurred:\n\t* unsupported operation\n\n")
    static let unsupportedPath = LogicalError.unsupportedPath("")
    /// The one answer for a wrong role id, a wrong secret id, or an expired secret id.
    static let invalidCredentials = LogicalError(.invalidCredentials, "invalid role or secret ID")

    /// A 500 in go-multierror's format, as OpenBao reports errors returned (not answered) by a handler.
    static func multi(_ message: String) -> LogicalError {
        LogicalError(.internal, "1 error occurred:\n\t* \(message)\n\n")
    }

    static func roleMissing(_ name: String) -> String { "role \"\(name)\" does not exist" }
}

/// Go's `%q` of a `[]string`: `["a" "b"]`.
func goQuotedList(_ items: [String]) -> String {
    "[" + items.map { JSONValue.string($0).serialized() }.joined(separator: " ") + "]"
}
