import ArgumentParser
import CofferClient

/// `coffer write PATH [k=v ...]`: writes data to any API path (`k=@file`, `k=-` and a lone `-` for JSON on stdin).
struct WriteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "write", abstract: "Write data, configuration, and secrets")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("field"), help: "Print only the field with the given name.")
    var field: String?

    @Flag(name: [.customLong("force"), .customShort("f")], help: "Allow the operation to continue with no key=value pairs.")
    var force = false

    @Argument(help: "The path to write to.")
    var path: String

    @Argument(help: "Data as k=v, k=@file, k=- or - for a JSON object on stdin.")
    var data: [String] = []

    func run() async throws {
        let path = sanitizePath(self.path)
        if data.isEmpty && !force {
            throw CLIFailure.usage("Must supply data or use -force")
        }
        let body = try DataArguments.parse(data)
        let secret = try await client.withClient { client in
            try await api("Error writing data to \(path)") { try await client.write(path, data: body) }
        }
        try Self.output(secret, path: path, field: field, output: output)
    }

    /// Prints a write's (or patch's) response as `bao write` does: "Success!" for an empty one.
    static func output(_ response: JSON?, path: String, field: String?, output: OutputOptions) throws {
        guard let response, !(response.members?.isEmpty ?? true) else {
            if output.isTable {
                Console.out("Success! Data written to: \(path)")
            }
            return
        }
        let secret = Formatter.secret(fromBody: response)
        let formatter = output.formatter
        if let field {
            throw ExitCode(formatter.printField(Formatter.rawField(secret, field), field: field))
        }
        if output.isTable, Self.isEmptySecret(secret) {
            formatter.printWarnings(secret)
            Console.out("Success! Data written to: \(path)")
            return
        }
        formatter.outputSecret(secret)
    }

    /// A response with no data, auth or lease to show.
    static func isEmptySecret(_ secret: JSON) -> Bool {
        let hasData = !(secret["data"]?.members?.isEmpty ?? true)
        let hasAuth = !(secret["auth"]?.isNull ?? true)
        let hasWrap = !(secret["wrap_info"]?.isNull ?? true)
        let hasLease = (secret["lease_duration"]?.intValue ?? 0) > 0
        return !hasData && !hasAuth && !hasWrap && !hasLease
    }
}
