import ArgumentParser

/// Finds a command-line word that names no subcommand of a command group, before ArgumentParser sees it.
///
/// ArgumentParser reports an unknown subcommand by whatever it trips on first (`coffer kv frob -version=1` said
/// `Unknown option '--version'`); `bao` names the command. This walks the words after the program name down the
/// command tree and stops at the first one that is not a subcommand of the group it follows.
struct UnknownSubcommand: Error {
    /// The word that is not a subcommand.
    var name: String
    /// The command group it follows, e.g. `coffer kv`.
    var group: String
    /// The group's subcommand names.
    var available: [String]
    /// `true` when the group is the top-level command.
    var isTopLevel: Bool

    var message: String {
        """
        Unknown command "\(name)" for "\(group)". Available subcommands: \(available.joined(separator: ", ")).
        See '\(group) --help' for more information.
        """
    }

    /// `bao`'s exit codes: 127 for an unknown top-level command, 1 (usage) for an unknown subcommand of a group.
    var exitCode: Int32 { isTopLevel ? 127 : 1 }

    static func find(in arguments: [String], root: any ParsableCommand.Type) -> UnknownSubcommand? {
        var command = root
        var path = [root.configuration.commandName ?? "coffer"]
        for argument in arguments {
            let subcommands = command.configuration.subcommands
            // A leaf command (its own arguments follow), a flag (-h, --help) or `help` ends the walk.
            if subcommands.isEmpty || argument.hasPrefix("-") || argument == "help" { return nil }
            let names = subcommands.map { $0.configuration.commandName ?? String(describing: $0).lowercased() }
            guard let index = names.firstIndex(of: argument) else {
                return UnknownSubcommand(
                    name: argument, group: path.joined(separator: " "), available: names.sorted(), isTopLevel: path.count == 1)
            }
            command = subcommands[index]
            path.append(argument)
        }
        return nil
    }
}
