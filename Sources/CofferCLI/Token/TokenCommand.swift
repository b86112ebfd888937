import ArgumentParser

/// `coffer token ...`: create, look up, renew and revoke tokens.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Interact with tokens",
        subcommands: [
            TokenCreateCommand.self, TokenLookupCommand.self, TokenRenewCommand.self, TokenRevokeCommand.self, TokenCapabilitiesCommand.self,
        ]
    )
}
