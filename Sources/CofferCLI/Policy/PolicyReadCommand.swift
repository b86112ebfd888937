import ArgumentParser
import CofferClient

/// `coffer policy read NAME`: prints a policy's rules.
struct PolicyReadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "read", abstract: "Prints the contents of a policy")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The policy name.")
    var name: String

    func run() async throws {
        let name = name.trimmingWhitespace().lowercased()
        let secret = try await client.withClient { client in
            try await api("Error reading policy named \(name)") { try await client.read("sys/policies/acl/\(name)") }
        }
        guard let rules = secret?["data"]?["policy"]?.stringValue ?? secret?["policy"]?.stringValue ?? secret?["rules"]?.stringValue
        else {
            throw CLIFailure.server("No policy named: \(name)")
        }
        if output.isTable {
            Console.out(rules.trimmingWhitespace())
        } else {
            output.formatter.emit(JSON.object(["policy": .string(rules)]))
        }
    }
}
