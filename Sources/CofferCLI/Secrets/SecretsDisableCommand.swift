import ArgumentParser
import CofferClient

/// `coffer secrets disable PATH`: unmounts a secrets engine and revokes its leases.
struct SecretsDisableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disable", abstract: "Disable a secrets engine")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The mount path.")
    var path: String

    func run() async throws {
        let mount = mountPath(path)
        try await client.withClient { client in
            _ = try await api("Error disabling secrets engine at \(mount)") { try await client.delete("sys/mounts/\(mount.dropLast())") }
        }
        Console.out("Success! Disabled the secrets engine (if it existed) at: \(mount)")
    }
}
