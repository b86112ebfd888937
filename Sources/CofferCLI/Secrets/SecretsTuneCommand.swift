import ArgumentParser
import CofferClient

/// `coffer secrets tune PATH`: changes a mount's configuration.
struct SecretsTuneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tune", abstract: "Tune a secrets engine configuration")

    @OptionGroup var client: ClientOptions

    @OptionGroup var mountConfig: MountConfigFlags
    @OptionGroup var mountOptions: MountOptionFlags

    @Option(name: .customLong("description"), help: "Human-friendly description of the mount.")
    var description: String?

    @Argument(help: "The mount path.")
    var path: String

    func run() async throws {
        let mount = mountPath(path)
        var body = JSON.object([])
        mountConfig.write(into: &body)
        if let description { body["description"] = .string(description) }
        try mountOptions.write(into: &body)
        try await client.withClient { client in
            _ = try await api("Error tuning secrets engine \(mount)") {
                try await client.request(method: "POST", path: "sys/mounts/\(mount)tune", body: body)
            }
        }
        Console.out("Success! Tuned the secrets engine at: \(mount)")
    }
}
