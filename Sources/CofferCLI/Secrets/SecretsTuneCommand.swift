import ArgumentParser
import CofferClient

/// `coffer secrets tune PATH`: changes a mount's configuration.
struct SecretsTuneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tune", abstract: "Tune a secrets engine configuration")

    @OptionGroup var client: ClientOptions

    @Option(name: .customLong("default-lease-ttl"), help: "Default lease TTL for the mount.")
    var defaultLeaseTTL: String?

    @Option(name: .customLong("max-lease-ttl"), help: "Maximum lease TTL for the mount.")
    var maxLeaseTTL: String?

    @Option(name: .customLong("description"), help: "Human-friendly description of the mount.")
    var description: String?

    @Option(name: .customLong("options"), help: "Engine option as key=value; may be repeated.")
    var options: [String] = []

    @Option(name: .customLong("version"), help: "Engine version (for kv: upgrades to 2).")
    var version: Int?

    @Option(name: .customLong("listing-visibility"), help: "Listing visibility: unauth or hidden.")
    var listingVisibility: String?

    @Argument(help: "The mount path.")
    var path: String

    func run() async throws {
        let mount = mountPath(path)
        var body = JSON.object([])
        if let defaultLeaseTTL { body["default_lease_ttl"] = .string(defaultLeaseTTL) }
        if let maxLeaseTTL { body["max_lease_ttl"] = .string(maxLeaseTTL) }
        if let description { body["description"] = .string(description) }
        var optionValues = try keyValueObject(options, flag: "options")
        if let version { optionValues["version"] = .string(String(version)) }
        if !(optionValues.members?.isEmpty ?? true) { body["options"] = optionValues }
        if let listingVisibility { body["listing_visibility"] = .string(listingVisibility) }
        try await client.withClient { client in
            _ = try await api("Error tuning secrets engine \(mount)") {
                try await client.request(method: "POST", path: "sys/mounts/\(mount)tune", body: body)
            }
        }
        Console.out("Success! Tuned the secrets engine at: \(mount)")
    }
}
