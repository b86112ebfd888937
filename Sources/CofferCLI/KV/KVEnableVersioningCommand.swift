import ArgumentParser
import CofferClient

/// `coffer kv enable-versioning PATH`: turns a KV version 1 mount into version 2 (`options.version=2` by tuning).
struct KVEnableVersioningCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enable-versioning", abstract: "Turns on versioning for a KV store")

    @OptionGroup var client: ClientOptions
    /// Accepted as `bao` accepts it; the output is the same in every format.
    @OptionGroup var output: OutputOptions

    @Argument(help: "The mount path of the KV store.")
    var path: String

    func run() async throws {
        let mount = mountPath(path)
        let body = JSON.object(["options": .object(["version": "2"])])
        try await client.withClient { client in
            _ = try await api("Error tuning secrets engine \(mount)") {
                try await client.request(method: "POST", path: "sys/mounts/\(mount)tune", body: body)
            }
        }
        Console.out("Success! Tuned the secrets engine at: \(mount)")
    }
}
