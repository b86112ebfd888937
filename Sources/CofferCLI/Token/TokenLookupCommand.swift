import ArgumentParser
import CofferClient

/// `coffer token lookup [TOKEN]`: shows a token's properties (own token when omitted; `-accessor` for an accessor).
struct TokenLookupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lookup", abstract: "Display information about a token")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("field"), help: "Print only the field with the given name.")
    var field: String?

    @Flag(name: .customLong("accessor"), help: "Treat the argument as an accessor instead of a token.")
    var accessor = false

    @Argument(help: "The token (or accessor) to look up; the current token when omitted.")
    var token: String?

    func run() async throws {
        if accessor && token == nil {
            throw CLIFailure.usage("Not enough arguments (expected 1, got 0)")
        }
        let secret = try await client.withClient { client in
            try await api("Error looking up token") {
                if let token {
                    if accessor {
                        return try await client.request(
                            method: "POST", path: "auth/token/lookup-accessor", body: .object(["accessor": .string(token)])
                        ).body
                    }
                    return try await client.request(method: "POST", path: "auth/token/lookup", body: .object(["token": .string(token)])).body
                }
                return try await client.request(method: "GET", path: "auth/token/lookup-self").body
            }
        }
        guard let secret else { throw CLIFailure.server("Error looking up token: empty response") }
        let formatter = output.formatter
        if let field {
            throw ExitCode(formatter.printField(Formatter.rawField(secret, field), field: field))
        }
        formatter.outputSecret(secret)
    }
}
