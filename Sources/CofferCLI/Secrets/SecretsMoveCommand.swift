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
        let from = mountPath(source)
        let to = mountPath(destination)
        try await client.withClient { client in
            let response = try await api("Error moving secrets engine \(from) to \(to)") {
                try await client.request(method: "POST", path: "sys/remount", body: .object(["from": .string(from), "to": .string(to)])).body
            }
            guard let migrationID = (response?["data"]?["migration_id"] ?? response?["migration_id"])?.stringValue,
                !migrationID.isEmpty
            else {
                Console.out("Success! Finished moving secrets engine \(from) to \(to)")
                return
            }
            Console.out("Started moving secrets engine \(from) to \(to), with migration ID \(migrationID)")
            for _ in 0..<600 {
                let status = try await api("Error checking migration status of secrets engine \(from) to \(to)") {
                    try await client.request(method: "GET", path: "sys/remount/status/\(migrationID)").body
                }
                let info = status?["data"]?["migration_info"] ?? status?["migration_info"]
                switch info?["status"]?.stringValue ?? "success" {
                case "success":
                    Console.out("Success! Finished moving secrets engine \(from) to \(to), with migration ID \(migrationID)")
                    return
                case "failure":
                    throw CLIFailure.server("Failure! Error encountered moving secrets engine \(from) to \(to), with migration ID \(migrationID)")
                default:
                    try await Task.sleep(for: .milliseconds(250))
                }
            }
            throw CLIFailure.server("Timed out waiting for migration \(migrationID) to finish")
        }
    }
}
