import ArgumentParser
import CofferClient

/// `coffer status`: prints seal status. Exit code 0 when unsealed, 2 when sealed, 1 on error (as `bao status`).
///
/// Against Coffer the table also shows the server's own release (`Coffer Version`) below the OpenBao API version it
/// implements (`Version`).
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Print seal and HA status")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let sealed: Bool
        do {
            sealed = try await status()
        } catch let failure as CLIFailure where failure.clientSetup {
            throw CLIFailure(message: failure.message, code: 1)
        }
        if sealed { throw ExitCode(2) }
    }

    private func status() async throws -> Bool {
        try await client.withClient { client -> Bool in
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
            SealStatusOutput.print(status, leader: leader, formatter: output.formatter, cofferVersion: true)
            return status["sealed"]?.boolValue ?? false
        }
    }
}
