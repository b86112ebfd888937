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

    @OptionGroup var mountConfig: MountConfigFlags
    @OptionGroup var mountOptions: MountOptionFlags

    @Flag(name: .customLong("force-no-cache"), help: "Disable caching for the mount.")
    var forceNoCache = false

    @Flag(name: .customLong("local"), help: "Mark the mount as local-only.")
    var local = false

    @Flag(name: .customLong("seal-wrap"), help: "Enable seal wrapping for the mount.")
    var sealWrap = false

    @Argument(help: "The engine type, e.g. kv, kv-v2, transit.")
    var type: String

    func run() async throws {
        var engineType = type.trimmingWhitespace()
        var preset: [(String, JSON)] = []
        if engineType == "kv-v2" {
            engineType = "kv"
            preset = [("version", "2")]
        }
        let mount = mountPath(path ?? type)
        var config = JSON.object([])
        mountConfig.write(into: &config)
        if forceNoCache { config["force_no_cache"] = true }
        var body = JSON.object(["type": .string(engineType)])
        if let description { body["description"] = .string(description) }
        body["config"] = config
        if local { body["local"] = true }
        if sealWrap { body["seal_wrap"] = true }
        try mountOptions.write(into: &body, preset: preset)
        if let v = mountConfig.pluginVersion { body["plugin_version"] = .string(v) }
        try await client.withClient { client in
            _ = try await api("Error enabling") {
                try await client.request(method: "POST", path: "sys/mounts/\(mount.dropLast())", body: body)
            }
        }
        Console.out("Success! Enabled the \(type) secrets engine at: \(mount)")
    }
}
