import ArgumentParser
import CofferClient

/// `coffer kv list PATH`: lists keys (`LIST <mount>/metadata/<path>` in v2).
struct KVListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List data or secrets")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("mount"), help: "The secrets engine mount; the path argument is then relative to it.")
    var mount: String?

    @Argument(help: "The path to list.")
    var path: String = ""

    func run() async throws {
        if path.isEmpty && (mount ?? "").isEmpty {
            throw CLIFailure.usage("Not enough arguments (expected 1, got 0)")
        }
        let (listPath, secret) = try await client.withClient { client in
            let target = try await KVTarget.resolve(client, path: path, mount: mount)
            let listPath = target.isV2 ? target.apiPath("metadata") : target.partialPath
            let secret = try await api("Error listing \(listPath)/") { try await client.list(listPath + "/") }
            return (listPath, secret)
        }
        try printKeys(secret, notFound: listPath, formatter: output.formatter)
    }
}
