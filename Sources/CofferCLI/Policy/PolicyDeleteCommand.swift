import ArgumentParser
import CofferClient

/// `coffer policy delete NAME`: deletes a policy.
struct PolicyDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Deletes a policy by name")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The policy name.")
    var name: String

    func run() async throws {
        let name = name.trimmingWhitespace().lowercased()
        try await client.withClient { client in
            _ = try await api("Error deleting \(name)") { try await client.delete("sys/policies/acl/\(name)") }
        }
        Console.out("Success! Deleted policy: \(name)")
    }
}
