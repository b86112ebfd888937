import ArgumentParser

/// `coffer operator ...`: cluster administration (init, unseal, seal, key status, rotation).
struct OperatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator",
        abstract: "Perform operator-specific tasks",
        subcommands: [
            OperatorInitCommand.self,
            OperatorUnsealCommand.self,
            OperatorSealCommand.self,
            OperatorKeyStatusCommand.self,
            OperatorRotateCommand.self,
        ]
    )
}
