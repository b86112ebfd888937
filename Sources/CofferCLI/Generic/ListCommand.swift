import ArgumentParser
import CofferClient

/// `coffer list PATH`: lists the keys under any API path.
struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List data or secrets")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The path to list.")
    var path: String

    func run() async throws {
        let path = sanitizePath(self.path)
        let secret = try await client.withClient { client in
            try await api("Error listing \(path)/") { try await client.list(path + "/") }
        }
        try printKeys(secret, notFound: path, formatter: output.formatter)
    }
}

/// Prints the `keys` of a list response, or fails with "No value found at ..." (exit 2).
func printKeys(_ secret: JSON?, notFound path: String, formatter: Formatter) throws {
    if formatter.outputIfWrapped(secret) { return }
    guard let secret, let keys = secret["data"]?["keys"]?.arrayValue else {
        if !formatter.isTable {
            // bao prints an empty object and nothing on stderr here.
            Console.out("{}")
            throw ExitCode(2)
        }
        throw CLIFailure.server("No value found at \(path)")
    }
    if formatter.isTable { formatter.printWarnings(secret) }
    formatter.outputList(keys.map { $0.stringValue ?? GoFormat.value($0) })
}
