/// An error from talking to a Vault-compatible server.
///
/// For an HTTP error response, `status` is the HTTP status and `messages` the entries of the `{"errors":[...]}` body;
/// `body` keeps the whole decoded body because some responses (a deleted KV v2 version answers 404) carry data too.
/// A transport failure (connection refused, TLS) has `status == 0` and its reason in `messages`.
public struct ClientError: Error, Sendable, CustomStringConvertible {
    public var status: Int
    public var messages: [String]
    public var method: String
    public var url: String
    public var body: JSON?
    /// The raw body when it was not JSON.
    public var rawBody: String?
    /// For a transport error: whether its text follows `Get "<url>": ` as Go's `url.Error` has it (a client timeout is
    /// reported bare, as `context deadline exceeded`).
    public var urlInMessage: Bool

    public init(
        status: Int, messages: [String], method: String, url: String, body: JSON? = nil, rawBody: String? = nil,
        urlInMessage: Bool = true
    ) {
        self.status = status
        self.messages = messages
        self.method = method
        self.url = url
        self.body = body
        self.rawBody = rawBody
        self.urlInMessage = urlInMessage
    }

    /// `true` when the request never got an HTTP response.
    public var isTransportError: Bool { status == 0 }

    /// Vault's rendering of an API error (`Error making API request.` ... `Code: 400. Errors:` ...).
    public var description: String {
        if isTransportError {
            guard urlInMessage else { return messages.joined(separator: "; ") }
            let verb = method.prefix(1).uppercased() + method.dropFirst().lowercased()
            return "\(verb) \"\(url)\": \(messages.joined(separator: "; "))"
        }
        var text = "Error making API request.\n\nURL: \(method) \(url)\n"
        if messages.isEmpty, let rawBody, !rawBody.isEmpty {
            text += "Code: \(status). Raw Message:\n\n\(rawBody)"
        } else if messages.isEmpty {
            text += "Code: \(status). Errors:\n"
        } else {
            text += "Code: \(status). Errors:\n\n" + messages.map { "* \($0)" }.joined(separator: "\n")
        }
        return text
    }
}
