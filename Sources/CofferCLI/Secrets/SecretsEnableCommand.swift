import ArgumentParser
import CofferClient

/// `coffer secrets enable [-path=P] TYPE`: mounts a secrets engine.
struct SecretsEnableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: "Enable a secrets engine")

    @OptionGroup var client: ClientOptions

    @Option(name: .customLong("path"), help: "Where to mount the engine (default: the engine type).")
    var path: String?

    @Option(name: .customLong("description"), help: "Human-friendly description of the mount.")
    var description: String?

    @Option(name: .customLong("default-lease-ttl"), help: "Default lease TTL for the mount.")
    var defaultLeaseTTL: String?

    @Option(name: .customLong("max-lease-ttl"), help: "Maximum lease TTL for the mount.")
    var maxLeaseTTL: String?

    @Flag(name: .customLong("force-no-cache"), help: "Disable caching for the mount.")
    var forceNoCache = false

    @Flag(name: .customLong("local"), help: "Mark the mount as local-only.")
    var local = false

    @Flag(name: .customLong("seal-wrap"), help: "Enable seal wrapping for the mount.")
    var sealWrap = false

    @Option(name: .customLong("options"), help: "Engine option as key=value; may be repeated.")
    var options: [String] = []

    @Option(name: .customLong("version"), help: "Engine version (for kv: 1 or 2).")
    var version: Int?

    @Option(name: .customLong("plugin-version"), help: "Plugin version to run.")
    var pluginVersion: String?

    @Argument(help: "The engine type, e.g. kv, kv-v2, transit.")
    var type: String

    func run() async throws {
        var engineType = type.trimmingWhitespace()
        var optionValues = try keyValueObject(options, flag: "options")
        if engineType == "kv-v2" {
            engineType = "kv"
            optionValues["version"] = "2"
        }
        if let version { optionValues["version"] = .string(String(version)) }
        let mount = mountPath(path ?? type)
        var config = JSON.object([])
        if let defaultLeaseTTL { config["default_lease_ttl"] = .string(defaultLeaseTTL) }
        if let maxLeaseTTL { config["max_lease_ttl"] = .string(maxLeaseTTL) }
        if forceNoCache { config["force_no_cache"] = true }
        var body = JSON.object(["type": .string(engineType)])
        if let description { body["description"] = .string(description) }
        body["config"] = config
        if local { body["local"] = true }
        if sealWrap { body["seal_wrap"] = true }
        if !(optionValues.members?.isEmpty ?? true) { body["options"] = optionValues }
        if let pluginVersion { body["plugin_version"] = .string(pluginVersion) }
        try await client.withClient { client in
            _ = try await api("Error enabling") {
                try await client.request(method: "POST", path: "sys/mounts/\(mount.dropLast())", body: body)
            }
        }
        Console.out("Success! Enabled the \(type) secrets engine at: \(mount)")
    }
}
