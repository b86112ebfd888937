import ArgumentParser
import CofferClient

/// `coffer kv metadata put PATH`: creates or updates a key's metadata settings (KV v2).
struct KVMetadataPutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "put", abstract: "Sets or updates key settings in the KV store")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("mount"), help: "The secrets engine mount; the path argument is then relative to it.")
    var mount: String?

    @Option(name: .customLong("max-versions"), help: "Number of versions to keep (0 uses the engine's setting).")
    var maxVersions: Int?

    @Flag(name: .customLong("cas-required"), inversion: .prefixedNo, help: "Require the cas parameter on every write (-cas-required=false to lift it).")
    var casRequired: Bool?

    @Option(name: .customLong("delete-version-after"), help: "Delete versions this long after they are written (e.g. 30m).")
    var deleteVersionAfter: String?

    @Option(name: .customLong("custom-metadata"), help: "Custom metadata as key=value; may be repeated.")
    var customMetadata: [String] = []

    @Argument(help: "The secret path.")
    var path: String

    func run() async throws {
        var body = JSON.object([])
        if let maxVersions { body["max_versions"] = .int(maxVersions) }
        if let casRequired { body["cas_required"] = .bool(casRequired) }
        if let deleteVersionAfter { body["delete_version_after"] = .string(deleteVersionAfter) }
        if !customMetadata.isEmpty {
            var custom = JSON.object([])
            for item in customMetadata {
                guard let equals = item.firstIndex(of: "=") else {
                    throw CLIFailure.usage("Invalid custom metadata \"\(item)\": format must be key=value")
                }
                custom[String(item[..<equals])] = .string(String(item[item.index(after: equals)...]))
            }
            body["custom_metadata"] = custom
        }
        let fullPath = try await client.withClient { client in
            let target = try await KVTarget.resolve(client, path: path, mount: mount)
            guard target.isV2 else { throw CLIFailure.usage("Metadata not supported on KV Version 1") }
            let fullPath = target.apiPath("metadata")
            _ = try await api("Error writing data to \(fullPath)") { try await client.write(fullPath, data: body) }
            return fullPath
        }
        if output.isTable {
            Console.out("Success! Data written to: \(fullPath)")
        }
    }
}
