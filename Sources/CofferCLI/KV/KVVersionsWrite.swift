import ArgumentParser
import CofferClient

/// The shared body of `kv undelete` and `kv destroy`: `PUT <mount>/<action>/<path> {"versions": [...]}`.
enum KVVersionsWrite {
    static func run(
        client options: ClientOptions, output: OutputOptions, mount: String?, path: String, versions: [String], action: String
    ) async throws {
        let list = parseVersions(versions)
        if list.isEmpty {
            throw CLIFailure.usage("No versions provided, use the \"-versions\" flag to specify the version to \(action).")
        }
        let apiPath = try await options.withClient { client in
            let target = try await KVTarget.resolve(client, path: path, mount: mount)
            guard target.isV2 else {
                throw CLIFailure.usage("\(action.prefix(1).uppercased() + action.dropFirst()) not supported on KV Version 1")
            }
            let apiPath = target.apiPath(action)
            let verb = action == "destroy" ? "destroying" : "undeleting"
            _ = try await api("Error \(verb) \(apiPath)") {
                try await client.write(apiPath, data: .object(["versions": .array(list)]))
            }
            return apiPath
        }
        if output.isTable {
            Console.out("Success! Data written to: \(apiPath)")
        }
    }
}
