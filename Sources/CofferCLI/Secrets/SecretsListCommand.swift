import ArgumentParser
import CofferClient

/// `coffer secrets list [-detailed]`: lists the mounted secrets engines.
struct SecretsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List enabled secrets engines")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Flag(name: .customLong("detailed"), help: "Print more information about each engine.")
    var detailed = false

    func run() async throws {
        let body = try await client.withClient { client in
            try await api("Error listing secrets engines") { try await client.request(method: "GET", path: "sys/mounts").body }
        }
        let mounts = MountListOutput.mounts(body)
        guard output.isTable else {
            MountListOutput.printJSON(mounts, formatter: output.formatter)
            return
        }
        if detailed {
            let headers = [
                "Path", "Plugin", "Accessor", "Default TTL", "Max TTL", "Force No Cache", "Replication", "Seal Wrap",
                "External Entropy Access", "Options", "Description", "UUID", "Version", "Running Version", "Running SHA256",
                "Deprecation Status",
            ]
            Console.out(Table.render(MountListOutput.detailedRows(mounts, auth: false), headers: headers))
            return
        }
        let rows = mounts.map { member in
            [member.key, member.value["type"]?.stringValue ?? "", member.value["accessor"]?.stringValue ?? "",
             member.value["description"]?.stringValue ?? ""]
        }
        Console.out(Table.render(rows, headers: ["Path", "Type", "Accessor", "Description"]))
    }
}
