import ArgumentParser
import CofferClient

/// `coffer kv metadata patch PATH`: changes only the given metadata settings of a key (KV v2), with a JSON merge patch.
struct KVMetadataPatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "patch", abstract: "Patches key settings in the KV store")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("mount"), help: "The secrets engine mount; the path argument is then relative to it.")
    var mount: String?

    @Option(name: .customLong("max-versions"), help: "Number of versions to keep (0 uses the engine's setting).")
    var maxVersions: Int?

    @Flag(name: .customLong("cas-required"), inversion: .prefixedNo, help: "Require the cas parameter on every write (-cas-required=false to lift it).")
    var casRequired: Bool?

    @Option(name: .customLong("delete-version-after"), help: "Delete versions this long after they are written (e.g. 30m; 0s never).")
    var deleteVersionAfter: String?

    @Option(name: .customLong("custom-metadata"), help: "Custom metadata to set, as key=value; may be repeated.")
    var customMetadata: [String] = []

    @Option(name: .customLong("remove-custom-metadata"), help: "A custom metadata key to remove; may be repeated.")
    var removeCustomMetadata: [String] = []

    @Argument(help: "The secret path.")
    var path: String

    func run() async throws {
        var body = JSON.object([])
        if let maxVersions { body["max_versions"] = .int(maxVersions) }
        if let casRequired { body["cas_required"] = .bool(casRequired) }
        if let deleteVersionAfter {
            guard let seconds = Duration.parseSeconds(deleteVersionAfter) else {
                throw CLIFailure.usage(
                    "invalid value \"\(deleteVersionAfter)\" for flag -delete-version-after: time: invalid duration \"\(deleteVersionAfter)\"")
            }
            body["delete_version_after"] = .string(Duration.goString(seconds: seconds))
        }
        // As bao: always a custom_metadata object, a removed key as null (the merge patch deletes it).
        var custom = JSON.object([])
        for item in customMetadata {
            guard let equals = item.firstIndex(of: "=") else {
                throw CLIFailure.usage("Invalid custom metadata \"\(item)\": format must be key=value")
            }
            custom[String(item[..<equals])] = .string(String(item[item.index(after: equals)...]))
        }
        for key in removeCustomMetadata { custom[key] = .null }
        body["custom_metadata"] = custom
        let fullPath = try await client.withClient { client in
            let target = try await KVTarget.resolve(client, path: path, mount: mount)
            guard target.isV2 else { throw CLIFailure.usage("Metadata not supported on KV Version 1") }
            let fullPath = target.apiPath("metadata")
            _ = try await api("Error writing data to \(fullPath)") { try await client.patch(fullPath, data: body) }
            return fullPath
        }
        if output.isTable {
            Console.out("Success! Data written to: \(fullPath)")
        }
    }
}
