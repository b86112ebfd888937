import ArgumentParser
import CofferClient

/// `coffer secrets ...`: manage secrets engine mounts.
struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets",
        abstract: "Interact with secrets engines",
        subcommands: [
            SecretsEnableCommand.self, SecretsDisableCommand.self, SecretsListCommand.self, SecretsTuneCommand.self,
            SecretsMoveCommand.self,
        ]
    )
}

/// Normalizes a mount path: no leading slash, one trailing slash.
func mountPath(_ path: String) -> String {
    let trimmed = sanitizePath(path)
    return trimmed + "/"
}

/// Parses repeated `k=v` options into a JSON object of strings.
func keyValueObject(_ items: [String], flag: String) throws -> JSON {
    var object = JSON.object([])
    for item in items {
        guard let equals = item.firstIndex(of: "=") else {
            throw CLIFailure.usage("invalid value \"\(item)\" for flag -\(flag): format must be key=value")
        }
        object[String(item[..<equals])] = .string(String(item[item.index(after: equals)...]))
    }
    return object
}
