import ArgumentParser
import CofferClient

/// `coffer operator unseal [KEY]`: submits one unseal key share (or `-reset` to discard the progress so far).
struct OperatorUnsealCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unseal", abstract: "Unseals the server")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Flag(name: .customLong("reset"), help: "Discard any previously entered keys to the unseal process.")
    var reset = false

    @Argument(help: "An unseal key share; prompted for when omitted.")
    var key: String?

    func run() async throws {
        let body: JSON
        if reset {
            if key != nil { throw CLIFailure.usage("Too many arguments (expected 0, got 1)") }
            body = .object(["reset": true])
        } else {
            var share = key
            if share == nil {
                guard Console.stdinIsTerminal, let typed = Console.readSecret(prompt: "Unseal Key (will be hidden): ") else {
                    throw CLIFailure.usage(
                        """
                        An error occurred attempting to ask for an unseal key. The raw error message
                        is shown below, but usually this is because you attempted to pipe a value
                        into the unseal command or you are executing outside of a terminal (tty). You
                        should run the unseal command from a terminal for maximum security. If this
                        is not an option, the unseal key can be provided as the first argument to the
                        unseal command. The raw error was: file descriptor 0 is not a terminal
                        """
                    )
                }
                share = typed
            }
            body = .object(["key": .string((share ?? "").trimmingWhitespace())])
        }
        try await client.withClient { client in
            let status = try await api("Error unsealing") {
                try await client.request(method: "PUT", path: "sys/unseal", body: body).body ?? .object([])
            }
            let leader = await SealStatusOutput.leader(client)
            SealStatusOutput.print(status, leader: leader, formatter: output.formatter)
        }
    }
}
