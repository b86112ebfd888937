import ArgumentParser

/// `coffer print ...`: values the client uses at run time.
struct PrintCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "print", abstract: "Prints runtime configurations", subcommands: [PrintTokenCommand.self])
}

/// `coffer print token`: the token the client would send (from the environment or the token helper).
struct PrintTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Prints the token currently in use")

    func run() async throws {
        Console.out(ClientOptions.resolvedToken() ?? "")
    }
}
