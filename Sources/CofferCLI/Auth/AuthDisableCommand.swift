import ArgumentParser
import CofferClient

/// `coffer auth disable PATH`: disables the auth method at PATH and revokes its tokens (`DELETE sys/auth/<path>`).
struct AuthDisableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disable", abstract: "Disables an auth method")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The mount path of the auth method (not its type).")
    var path: String

    func run() async throws {
        let mount = mountPath(path)
        try await client.withClient { client in
            _ = try await api("Error disabling auth method at \(mount)") { try await client.delete("sys/auth/\(mount.dropLast())") }
        }
        Console.out("Success! Disabled the auth method (if it existed) at: \(mount)")
    }
}
