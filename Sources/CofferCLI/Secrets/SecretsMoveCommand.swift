import ArgumentParser
import CofferClient

/// `coffer secrets move SOURCE DESTINATION`: moves a mount, waiting for the migration to finish.
struct SecretsMoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "move", abstract: "Move a secrets engine to a new path")

    @OptionGroup var client: ClientOptions

    @Argument(help: "The current mount path.")
    var source: String

    @Argument(help: "The new mount path.")
    var destination: String

    func run() async throws {
        try await MountMove.run(client: client, kind: "secrets engine", from: mountPath(source), to: mountPath(destination))
    }
}

/// A move through `sys/remount`, polling `sys/remount/status/:id` until the migration ends, as `bao` does.
enum MountMove {
    static func run(client options: ClientOptions, kind: String, from: String, to: String) async throws {
        try await options.withClient { client in
            let response = try await api("Error moving \(kind) \(from) to \(to)") {
                try await client.request(method: "POST", path: "sys/remount", body: .object(["from": .string(from), "to": .string(to)])).body
            }
            guard let migrationID = (response?["data"]?["migration_id"] ?? response?["migration_id"])?.stringValue,
                !migrationID.isEmpty
            else {
                Console.out("Success! Finished moving \(kind) \(from) to \(to)")
                return
            }
            Console.out("Started moving \(kind) \(from) to \(to), with migration ID \(migrationID)")
            for _ in 0..<600 {
                let status = try await api("Error checking migration status of \(kind) \(from) to \(to)") {
                    try await client.request(method: "GET", path: "sys/remount/status/\(migrationID)").body
                }
                let info = status?["data"]?["migration_info"] ?? status?["migration_info"]
                switch info?["status"]?.stringValue ?? "success" {
                case "success":
                    Console.out("Success! Finished moving \(kind) \(from) to \(to), with migration ID \(migrationID)")
                    return
                case "failure":
                    throw CLIFailure.server("Failure! Error encountered moving \(kind) \(from) to \(to), with migration ID \(migrationID)")
                default:
                    try await Task.sleep(for: .milliseconds(250))
                }
            }
            throw CLIFailure.server("Timed out waiting for migration \(migrationID) to finish")
        }
    }
}
