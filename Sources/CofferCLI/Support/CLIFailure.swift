import CofferClient

/// A failure that ends the command with a message on stderr and a `bao`-compatible exit code.
///
/// Exit code 1 is a usage error (bad flags or arguments), 2 an error from the server or the connection to it.
struct CLIFailure: Error, CustomStringConvertible {
    var message: String
    var code: Int32
    /// The client could not be set up (a CA file, `VAULT_CLIENT_TIMEOUT`): `bao status` exits 1 for it, other commands 2.
    var clientSetup = false

    var description: String { message }

    /// A usage error: exit code 1.
    static func usage(_ message: String) -> CLIFailure { CLIFailure(message: message, code: 1) }

    /// A server or connection error: exit code 2. `context` is the "Error reading foo" prefix, if any.
    static func api(_ context: String?, _ error: any Error) -> CLIFailure {
        if let failure = error as? CLIFailure { return failure }
        let text = String(describing: error)
        guard let context, !context.isEmpty else { return CLIFailure(message: text, code: 2) }
        return CLIFailure(message: "\(context): \(text)", code: 2)
    }

    /// A plain server-side failure message: exit code 2.
    static func server(_ message: String) -> CLIFailure { CLIFailure(message: message, code: 2) }
}

/// Runs `body`, turning any error into a ``CLIFailure`` with exit code 2 prefixed by `context`.
func api<T>(_ context: String?, _ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        throw CLIFailure.api(context, error)
    }
}
