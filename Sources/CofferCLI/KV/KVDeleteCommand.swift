import ArgumentParser
import CofferClient

/// `coffer kv delete [-versions=1,2] PATH`: soft-deletes the latest version (or the given ones) in v2, deletes in v1.
struct KVDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Deletes versions in the KV store")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("mount"), help: "The secrets engine mount; the path argument is then relative to it.")
    var mount: String?

    @Option(name: .customLong("versions"), help: "Comma-separated versions to delete (KV v2); the latest when omitted.")
    var versions: [String] = []

    @Argument(help: "The secret path.")
    var path: String

    func run() async throws {
        let shownPath = try await client.withClient { client in
            let target = try await KVTarget.resolve(client, path: path, mount: mount)
            if target.isV2 {
                let dataPath = target.apiPath("data")
                let list = parseVersions(versions)
                if list.isEmpty {
                    _ = try await api("Error deleting \(dataPath)") { try await client.delete(dataPath) }
                } else {
                    let deletePath = target.apiPath("delete")
                    _ = try await api("Error deleting \(deletePath)") {
                        try await client.write(deletePath, data: .object(["versions": .array(list)]))
                    }
                }
                return dataPath
            }
            _ = try await api("Error deleting \(target.partialPath)") { try await client.delete(target.partialPath) }
            return target.partialPath
        }
        if output.isTable {
            Console.out("Success! Data deleted (if it existed) at: \(shownPath)")
        }
    }
}
