import ArgumentParser

/// `coffer policy ...`: manage ACL policies.
struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Interact with policies",
        subcommands: [
            PolicyWriteCommand.self, PolicyReadCommand.self, PolicyListCommand.self, PolicyDeleteCommand.self, PolicyFmtCommand.self,
        ]
    )
}
