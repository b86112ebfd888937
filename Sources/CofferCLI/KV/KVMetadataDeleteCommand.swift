import ArgumentParser
import CofferClient

/// `coffer kv metadata delete PATH`: deletes a key with all its versions and metadata (KV v2).
struct KVMetadataDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Deletes all versions and metadata for a key in the KV store"
    )

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("mount"), help: "The secrets engine mount; the path argument is then relative to it.")
    var mount: String?

    @Argument(help: "The secret path.")
    var path: String

    func run() async throws {
        let fullPath = try await client.withClient { client in
            let target = try await KVTarget.resolve(client, path: path, mount: mount)
            guard target.isV2 else { throw CLIFailure.usage("Metadata not supported on KV Version 1") }
            let fullPath = target.apiPath("metadata")
            _ = try await api("Error deleting \(fullPath)") { try await client.delete(fullPath) }
            return fullPath
        }
        if output.isTable {
            Console.out("Success! Data deleted (if it existed) at: \(fullPath)")
        }
    }
}
