import ArgumentParser
import CofferClient

/// `coffer policy write NAME FILE|-`: uploads a policy from a file or stdin.
struct PolicyWriteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "write", abstract: "Uploads a named policy from a file")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The policy name.")
    var name: String

    @Argument(help: "The policy file, or - for stdin.")
    var file: String

    func run() async throws {
        let name = self.name.trimmingWhitespace().lowercased()
        if name != self.name {
            Console.error("Policy name was converted from \"\(self.name)\" to \"\(name)\"")
        }
        let rules: String
        if file == "-" {
            rules = Console.readStdin()
        } else {
            do {
                rules = try DataArguments.readFile(file)
            } catch {
                throw CLIFailure.usage("Error opening policy file: open \(file): no such file or directory")
            }
        }
        try await client.withClient { client in
            _ = try await api("Error uploading policy") {
                try await client.request(method: "PUT", path: "sys/policies/acl/\(name)", body: .object(["policy": .string(rules)]))
            }
        }
        Console.out("Success! Uploaded policy: \(name)")
    }
}
