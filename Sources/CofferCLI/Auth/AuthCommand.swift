import ArgumentParser

/// `coffer auth ...`: auth method mounts.
struct AuthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auth",
        abstract: "Interact with auth methods",
        subcommands: [AuthEnableCommand.self, AuthDisableCommand.self, AuthListCommand.self, AuthTuneCommand.self, AuthMoveCommand.self]
    )
}
