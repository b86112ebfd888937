/// What a route's handlers return: an engine's `LogicalResponse?`, or the core's own response type. The router
/// adds its warnings through this, and answers path-help with it.
public protocol RouteOutput: Sendable {
    /// Adds a warning when there is a response to carry it (OpenBao drops warnings of a 204); false when none.
    mutating func addWarning(_ warning: String) -> Bool
    /// The path-help document as this output type.
    static func help(_ data: [String: JSONValue]) -> Self
}

extension Optional: RouteOutput where Wrapped == LogicalResponse {
    /// A response with its own HTTP status (OpenBao's `RespondWithStatusCode`: a tidy's 202, a 404 with data) is
    /// sent as a raw body written before the framework's warnings, so they never reach the client.
    public mutating func addWarning(_ warning: String) -> Bool {
        guard case .some(var response) = self, response.httpStatus == nil else { return false }
        response.warnings.append(warning)
        self = response
        return true
    }
    public static func help(_ data: [String: JSONValue]) -> LogicalResponse? { LogicalResponse(data: data) }
}
