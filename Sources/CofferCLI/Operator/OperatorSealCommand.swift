import ArgumentParser
import CofferClient

/// `coffer operator seal`: seals the server.
struct OperatorSealCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "seal", abstract: "Seals the server")

    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await client.withClient { client in
            _ = try await api("Error sealing") {
                try await client.request(method: "PUT", path: "sys/seal")
            }
        }
        Console.out("Success! Vault is sealed.")
    }
}
