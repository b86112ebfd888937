import ArgumentParser
import CofferSDK

/// `coffer version`: prints `Coffer v0.1.0 (API compatible with OpenBao 2.7.2)` (``CofferVersion/banner``).
struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Prints the Coffer version.")

    func run() async throws {
        Console.out(CofferCommand.versionString)
    }
}
