import ArgumentParser
import CofferClient

/// `coffer status`: prints seal status. Exit code 0 when unsealed, 2 when sealed, 1 on error (as `bao status`).
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Print seal and HA status")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let sealed = try await client.withClient { client -> Bool in
            let status: JSON
            do {
                guard let body = try await client.request(method: "GET", path: "sys/seal-status").body else {
                    throw CLIFailure.usage("Error checking seal status: empty response")
                }
                status = body
            } catch let failure as CLIFailure {
                throw failure
            } catch {
                throw CLIFailure(message: "Error checking seal status: \(error)", code: 1)
            }
            let leader = await SealStatusOutput.leader(client)
            SealStatusOutput.print(status, leader: leader, formatter: output.formatter)
            return status["sealed"]?.boolValue ?? false
        }
        if sealed { throw ExitCode(2) }
    }
}
