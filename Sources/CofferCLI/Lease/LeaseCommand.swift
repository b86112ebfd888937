import ArgumentParser

/// `coffer lease ...`: renew, revoke and look up leases.
struct LeaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lease",
        abstract: "Interact with leases",
        subcommands: [LeaseLookupCommand.self, LeaseRenewCommand.self, LeaseRevokeCommand.self]
    )
}

/// The lease ID argument of `lease renew` / `lease lookup`: exactly one, trimmed ("Missing ID!" when absent).
func singleLeaseID(_ arguments: [String], expected: String) throws -> String {
    switch arguments.count {
    case 0: throw CLIFailure.usage("Missing ID!")
    case 1: return arguments[0].trimmingWhitespace()
    default: throw CLIFailure.usage("Too many arguments (expected \(expected), got \(arguments.count))")
    }
}
