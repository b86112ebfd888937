import ArgumentParser
import CofferClient

/// `coffer login [TOKEN]`: verifies a token with `auth/token/lookup-self` and stores it in `~/.vault-token`.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "login", abstract: "Authenticate locally")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("method"), help: "Type of authentication to use (only \"token\" is supported).")
    var method: String = "token"

    @Option(name: .customLong("field"), help: "Print only the field with the given name.")
    var field: String?

    @Flag(name: .customLong("no-store"), help: "Do not persist the token to the token helper.")
    var noStore = false

    @Flag(name: .customLong("no-print"), help: "Do not display the token.")
    var noPrint = false

    @Argument(help: "The token (\"-\" reads it from stdin); prompted for when omitted.")
    var arguments: [String] = []

    func run() async throws {
        guard method == "token" else {
            throw CLIFailure.usage("Unknown auth method: \(method). Only the \"token\" method is supported.")
        }
        var token: String
        switch arguments.count {
        case 0:
            guard Console.stdinIsTerminal, let typed = Console.readSecret(prompt: "Token (will be hidden): ") else {
                throw CLIFailure.usage("Error authenticating: no token given and stdin is not a terminal")
            }
            token = typed
        case 1:
            token = arguments[0] == "-" ? Console.readStdin() : arguments[0]
            if arguments[0].hasPrefix("token=") { token = String(arguments[0].dropFirst("token=".count)) }
        default:
            throw CLIFailure.usage("Too many arguments (expected 1, got \(arguments.count))")
        }
        token = token.trimmingWhitespace()
        guard !token.isEmpty else { throw CLIFailure.usage("Error authenticating: no token provided") }

        let lookup = try await client.withClient(token: .some(token)) { client in
            try await api("Error authenticating: error looking up token") {
                try await client.request(method: "GET", path: "auth/token/lookup-self").body
            }
        }
        guard let data = lookup?["data"], data.isObject else {
            throw CLIFailure.server("Error authenticating: empty response from lookup-self")
        }
        var auth = JSON.object([])
        auth["client_token"] = .string(token)
        auth["accessor"] = data["accessor"] ?? ""
        auth["policies"] = data["policies"] ?? .null
        auth["token_policies"] = data["policies"] ?? .null
        auth["identity_policies"] = data["identity_policies"] ?? .null
        auth["metadata"] = data["meta"] ?? .null
        auth["orphan"] = false
        auth["entity_id"] = data["entity_id"] ?? ""
        auth["lease_duration"] = data["ttl"] ?? .int(0)
        auth["renewable"] = data["renewable"] ?? false
        var secret = JSON.object([])
        secret["request_id"] = ""
        secret["auth"] = auth

        if let variable = Environment.lookup("TOKEN")?.name {
            Console.error(
                """
                WARNING! The \(variable) environment variable is set! The value of this variable
                will take precedence; if this is unwanted please unset \(variable) or update its
                value accordingly.

                """
            )
        }
        if !noStore {
            do {
                try TokenHelper.store(token)
            } catch {
                throw CLIFailure.server("Error storing token: \(error)")
            }
        }
        let formatter = output.formatter
        if let field {
            throw ExitCode(formatter.printField(Formatter.rawField(secret, field), field: field))
        }
        if noPrint { return }
        if output.isTable {
            if noStore {
                Console.out(
                    """
                    Success! You are now authenticated. The token information displayed below is
                    not stored; use it with the COFFER_TOKEN or VAULT_TOKEN environment variable.

                    """
                )
            } else {
                Console.out(
                    """
                    Success! You are now authenticated. The token information displayed below is
                    already stored in the token helper. You do NOT need to run "coffer login" again.
                    Future Coffer requests will automatically use this token.

                    """
                )
            }
        }
        formatter.outputSecret(secret)
    }
}
