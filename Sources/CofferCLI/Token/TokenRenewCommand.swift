import ArgumentParser
import CofferClient

/// `coffer token renew [TOKEN] [-increment=DURATION]`: renews a token (own token when omitted).
struct TokenRenewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "renew", abstract: "Renew a token lease")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("field"), help: "Print only the field with the given name.")
    var field: String?

    @Option(name: [.customLong("increment"), .customShort("i")], help: "Requested lease extension (e.g. 1h).")
    var increment: String?

    @Flag(name: .customLong("accessor"), help: "Treat the argument as an accessor instead of a token.")
    var accessor = false

    @Argument(help: "The token (or accessor) to renew; the current token when omitted.")
    var token: String?

    func run() async throws {
        var body = JSON.object([])
        if let increment {
            guard let seconds = Duration.parseSeconds(increment) else {
                throw CLIFailure.usage("invalid value \"\(increment)\" for flag -increment: parse error")
            }
            body["increment"] = .int(seconds)
        }
        let path: String
        if let token {
            if accessor {
                path = "auth/token/renew-accessor"
                body["accessor"] = .string(token)
            } else {
                path = "auth/token/renew"
                body["token"] = .string(token)
            }
        } else {
            path = "auth/token/renew-self"
        }
        let secret = try await client.withClient { client in
            try await api("Error renewing token") {
                try await client.request(method: "PUT", path: path, body: body).body ?? .object([])
            }
        }
        let formatter = output.formatter
        if let field {
            throw ExitCode(formatter.printField(Formatter.rawField(secret, field), field: field))
        }
        formatter.outputSecret(secret)
    }
}
