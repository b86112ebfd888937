import ArgumentParser

/// `coffer version`: prints `Coffer v0.1.0`.
struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Prints the Coffer version.")

    func run() async throws {
        Console.out(CofferCommand.versionString)
    }
}
