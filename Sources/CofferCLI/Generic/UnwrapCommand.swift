import ArgumentParser
import CofferClient

/// `coffer unwrap [TOKEN]`: returns the response wrapped in a wrapping token (`PUT sys/wrapping/unwrap`).
///
/// Without an argument the current token (`VAULT_TOKEN` or the token helper) is the wrapping token.
struct UnwrapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unwrap", abstract: "Unwrap a wrapped secret")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("field"), help: "Print only the field with the given name.")
    var field: String?

    @Argument(help: "The wrapping token; the current token when omitted.")
    var arguments: [String] = []

    func run() async throws {
        guard arguments.count <= 1 else {
            throw CLIFailure.usage("Too many arguments (expected 0-1, got \(arguments.count))")
        }
        let wrappingToken = arguments.first?.trimmingWhitespace()
        let secret = try await client.withClient { client in
            try await api("Error unwrapping") {
                if let wrappingToken {
                    return try await client.request(
                        method: "PUT", path: "sys/wrapping/unwrap", body: .object(["token": .string(wrappingToken)])
                    ).body
                }
                return try await client.request(method: "PUT", path: "sys/wrapping/unwrap").body
            }
        }
        guard let secret else { throw CLIFailure.server("Could not find wrapped response") }
        let formatter = output.formatter
        if let field {
            throw ExitCode(formatter.printField(Formatter.rawField(secret, field), field: field))
        }
        // A wrapped list response prints as a list.
        if let keys = secret["data"]?["keys"]?.arrayValue, (secret["data"]?.members?.count ?? 0) == 1 {
            if formatter.isTable { formatter.printWarnings(secret) }
            formatter.outputList(keys.map { $0.stringValue ?? GoFormat.value($0) })
            return
        }
        formatter.outputSecret(secret)
    }
}
