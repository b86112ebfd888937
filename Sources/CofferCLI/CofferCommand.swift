import ArgumentParser
import CofferClient
import CofferSDK

/// The `coffer` command-line client. It speaks the Vault/OpenBao HTTP API and mirrors the `bao` CLI.
@main
struct CofferCommand: AsyncParsableCommand {
    static var versionString: String { CofferVersion.banner }

    static let configuration = CommandConfiguration(
        commandName: "coffer",
        abstract: "Coffer: a secrets server and its command-line client (Vault/OpenBao compatible).",
        subcommands: [
            ServerCommand.self,
            StatusCommand.self,
            VersionCommand.self,
            LoginCommand.self,
            ReadCommand.self,
            WriteCommand.self,
            ListCommand.self,
            DeleteCommand.self,
            PatchCommand.self,
            KVCommand.self,
            TokenCommand.self,
            PolicyCommand.self,
            SecretsCommand.self,
            AuthCommand.self,
            LeaseCommand.self,
            UnwrapCommand.self,
            OperatorCommand.self,
            AuditCommand.self,
            PrintCommand.self,
        ]
    )

    /// Entry point: rewrites single-dash long flags, handles `-version`, runs the command and maps errors to
    /// `bao`'s exit codes (1 usage, 2 server/API).
    static func main() async {
        let arguments = ArgumentPreprocessor.normalize(Array(CommandLine.arguments.dropFirst()))
        if let first = arguments.first, first == "--version" || first == "-v" {
            Console.out(versionString)
            Console.exit(0)
        }
        if let unknown = UnknownSubcommand.find(in: arguments, root: CofferCommand.self) {
            Console.error(unknown.message)
            Console.exit(unknown.exitCode)
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            Console.exit(0)
        } catch {
            Console.exit(handle(error))
        }
    }

    /// Prints `error` and returns the exit code to use.
    static func handle(_ error: any Error) -> Int32 {
        switch error {
        case let failure as CLIFailure:
            if !failure.message.isEmpty { Console.error(failure.message) }
            return failure.code
        case let exit as ExitCode:
            return exit.rawValue
        case let clientError as ClientError:
            Console.error(clientError.description)
            return 2
        default:
            let code = exitCode(for: error)
            var message = fullMessage(for: error)
            if message.hasPrefix("Error: "), !message.contains("\n") {
                message.removeFirst("Error: ".count)
            }
            if code == .success {
                if !message.isEmpty { Console.out(message) }
                return 0
            }
            if !message.isEmpty { Console.error(message) }
            return 1
        }
    }
}
