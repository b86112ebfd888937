import ArgumentParser
import CofferClient

/// `coffer kv metadata get PATH`: prints a key's metadata and its versions (KV v2).
struct KVMetadataGetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Retrieves key metadata from the KV store")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("mount"), help: "The secrets engine mount; the path argument is then relative to it.")
    var mount: String?

    @Argument(help: "The secret path.")
    var path: String

    func run() async throws {
        let (fullPath, secret) = try await client.withClient { client in
            let target = try await KVTarget.resolve(client, path: path, mount: mount)
            guard target.isV2 else { throw CLIFailure.usage("Metadata not supported on KV Version 1") }
            let fullPath = target.apiPath("metadata")
            let secret = try await api("Error reading \(fullPath)") { try await client.read(fullPath) }
            return (fullPath, secret)
        }
        guard let secret else { throw CLIFailure.server("No value found at \(fullPath)") }
        let formatter = output.formatter
        if formatter.outputIfWrapped(secret) { return }
        guard formatter.isTable else {
            formatter.outputSecret(secret)
            return
        }
        formatter.printWarnings(secret)
        var data = secret["data"] ?? .object([])
        let versions = data["versions"]
        data["versions"] = nil
        Formatter.outputPath(fullPath, title: "Metadata Path")
        Console.out(Formatter.header("Metadata", forMap: data))
        var shown = secret
        shown["data"] = data
        shown["warnings"] = nil
        formatter.outputSecret(shown)
        let sorted = (versions?.members ?? []).sorted { (Int($0.key) ?? 0) < (Int($1.key) ?? 0) }
        for version in sorted {
            Console.out("\n" + Formatter.header("Version \(version.key)", forMap: version.value))
            formatter.outputData(version.value)
        }
    }
}
