import ArgumentParser
import CofferClient

/// `coffer read PATH [k=v ...]`: reads any API path; extra `k=v` pairs are sent as query parameters.
struct ReadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "read", abstract: "Read data and retrieves secrets")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("field"), help: "Print only the field with the given name.")
    var field: String?

    @Argument(help: "The path to read.")
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
            try await api("Error reading \(path)") { try await client.read(path, query: query) }
        }
        guard let secret = secret.map(Formatter.secret(fromBody:)) else {
            throw CLIFailure.server("No value found at \(path)")
        }
        let formatter = output.formatter
        if let field {
            throw ExitCode(formatter.printField(Formatter.rawField(secret, field), field: field))
        }
        formatter.outputSecret(secret)
    }
}

/// Trims spaces and surrounding slashes from a path argument, as `bao` does.
func sanitizePath(_ path: String) -> String {
    var trimmed = Substring(path.trimmingWhitespace())
    while trimmed.hasPrefix("/") { trimmed = trimmed.dropFirst() }
    while trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
    return String(trimmed)
}
