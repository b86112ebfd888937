import ArgumentParser
import CofferClient

/// `coffer patch PATH [k=v ...]`: changes only the given fields of any API path (a JSON merge patch, `PATCH`).
struct PatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "patch", abstract: "Patch data, configuration, and secrets")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("field"), help: "Print only the field with the given name.")
    var field: String?

    @Flag(name: [.customLong("force"), .customShort("f")], help: "Allow the operation to continue with no key=value pairs.")
    var force = false

    @Argument(help: "The path to patch.")
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
            try await api("Error writing data to \(path)") { try await client.patch(path, data: body) }
        }
        try WriteCommand.output(secret, path: path, field: field, output: output)
    }
}
