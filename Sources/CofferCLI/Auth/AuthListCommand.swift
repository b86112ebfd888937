import ArgumentParser
import CofferClient

/// `coffer auth list [-detailed]`: lists the enabled auth methods.
struct AuthListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Lists enabled auth methods")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Flag(name: .customLong("detailed"), help: "Print more information about each auth method.")
    var detailed = false

    func run() async throws {
        let body = try await client.withClient { client in
            try await api("Error listing enabled authentications") { try await client.request(method: "GET", path: "sys/auth").body }
        }
        let mounts = MountListOutput.mounts(body)
        guard output.isTable else {
            MountListOutput.printJSON(mounts, formatter: output.formatter)
            return
        }
        if detailed {
            let headers = [
                "Path", "Plugin", "Accessor", "Default TTL", "Max TTL", "Token Type", "Replication", "Seal Wrap",
                "External Entropy Access", "Options",
                "Description", "UUID", "Version", "Running Version", "Running SHA256", "Deprecation Status",
            ]
            Console.out(Table.render(MountListOutput.detailedRows(mounts, auth: true), headers: headers))
            return
        }
        let rows = mounts.map { member in
            [member.key, member.value["type"]?.stringValue ?? "", member.value["accessor"]?.stringValue ?? "",
             member.value["description"]?.stringValue ?? "", member.value["plugin_version"]?.stringValue ?? ""]
        }
        Console.out(Table.render(rows, headers: ["Path", "Type", "Accessor", "Description", "Version"]))
    }
}
