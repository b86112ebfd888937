import ArgumentParser
import CofferClient

/// `coffer delete PATH [k=v ...]`: deletes any API path; extra `k=v` pairs are sent as query parameters.
struct DeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete secrets and configuration")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The path to delete.")
    var path: String

    @Argument(help: "Query parameters as k=v.")
    var parameters: [String] = []

    func run() async throws {
        let path = sanitizePath(self.path)
        var query: [(String, String)] = []
        for parameter in parameters {
            guard let equals = parameter.firstIndex(of: "=") else {
                throw CLIFailure.usage("Failed to parse K=V data: invalid key/value pair \"\(parameter)\": format must be key=value")
            }
            query.append((String(parameter[..<equals]), String(parameter[parameter.index(after: equals)...])))
        }
        let secret = try await client.withClient { client in
            try await api("Error deleting \(path)") { try await client.delete(path, query: query) }
        }
        if let secret, !WriteCommand.isEmptySecret(secret) {
            output.formatter.outputSecret(secret)
            return
        }
        if output.isTable {
            Console.out("Success! Data deleted (if it existed) at: \(path)")
        }
    }
}
