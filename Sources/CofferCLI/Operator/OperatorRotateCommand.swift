import ArgumentParser
import CofferClient

/// `coffer operator rotate`: rotates the barrier encryption key and prints the new key status.
struct OperatorRotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rotate", abstract: "Rotates the underlying encryption key")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let status = try await client.withClient { client in
            _ = try await api("Error rotating key") {
                try await client.request(method: "PUT", path: "sys/rotate")
            }
            return try await api("Error reading key status") { try await OperatorKeyStatusCommand.fetch(client) }
        }
        if output.isTable {
            Console.out("Success! Rotated key")
            Console.out("")
        }
        OperatorKeyStatusCommand.print(status, formatter: output.formatter)
    }
}
