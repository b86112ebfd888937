import ArgumentParser
import CofferClient

/// `coffer policy list`: lists the ACL policy names.
struct PolicyListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Lists the installed policies")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let secret = try await client.withClient { client in
            try await api("Error listing policies") { try await client.list("sys/policies/acl") }
        }
        let names = (secret?["data"]?["keys"]?.arrayValue ?? secret?["keys"]?.arrayValue ?? []).compactMap(\.stringValue)
        if output.isTable {
            for name in names { Console.out(name) }
        } else {
            output.formatter.emit(JSON.array(names.map { .string($0) }))
        }
    }
}
