import ArgumentParser
import CofferClient

/// `coffer kv rollback -version=N PATH`: writes an earlier version's data as the newest version (KV v2).
///
/// As `bao kv rollback`: the latest version is read for its number (the write's check-and-set value, so a write that
/// lands in between fails instead of being overwritten), then version N; a deleted or destroyed version is refused.
struct KVRollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback", abstract: "Rolls back to a previous version of data",
        discussion: "The data of the given version is written as a new version: rolling back to 2 when 5 is current writes version 6.")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("mount"), help: "The secrets engine mount; the path argument is then relative to it.")
    var mount: String?

    @Option(name: .customLong("version"), help: "The version to roll back to.")
    var version: Int?

    @Argument(help: "The secret path.")
    var path: String

    func validate() throws {
        guard let version else { throw CLIFailure.usage("Version flag must be specified") }
        if version <= 0 { throw CLIFailure.usage("Invalid value \(version) for the version flag") }
    }

    func run() async throws {
        let version = self.version ?? 0
        let (secret, target) = try await client.withClient { client in
            let target = try await KVTarget.resolve(client, path: path, mount: mount)
            guard target.isV2 else { throw CLIFailure.server("K/V engine mount must be version 2 for rollback support") }
            let fullPath = target.apiPath("data")
            // The current version: a deleted latest version still answers with its metadata.
            let latest = try await api("Error reading \(fullPath)") { try await client.read(fullPath) }
            guard let latest else { throw CLIFailure.server("No value found at \(fullPath)") }
            guard let current = latest["data"]?["metadata"]?["version"]?.intValue else {
                throw CLIFailure.server("Failed to get the current version of \(fullPath): the response has no metadata")
            }
            let old = try await api("Error reading \(fullPath)") { try await client.read(fullPath, query: [("version", String(version))]) }
            guard let old else { throw CLIFailure.server("No value found at \(fullPath)") }
            let metadata = old["data"]?["metadata"]
            if let deleted = metadata?["deletion_time"]?.stringValue, !deleted.isEmpty {
                throw CLIFailure.server("Cannot roll back to a version that has been deleted")
            }
            if metadata?["destroyed"]?.boolValue == true {
                throw CLIFailure.server("Cannot roll back to a version that has been destroyed")
            }
            guard let data = old["data"]?["data"], data.isObject else {
                throw CLIFailure.server("No data found at version \(version) of \(fullPath)")
            }
            let body = JSON.object(["data": data, "options": .object(["cas": .int(current)])])
            let secret = try await api("Error writing data to \(fullPath)") { try await client.write(fullPath, data: body) }
            return (secret, target)
        }
        guard let secret else {
            if output.isTable { Console.out("Success! Data written to: \(target.partialPath)") }
            return
        }
        output.formatter.outputSecret(secret)
    }
}
