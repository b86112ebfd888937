import ArgumentParser
import CofferClient

/// `coffer lease renew [-increment=DURATION] LEASE_ID`: renews a secret's lease (`PUT sys/leases/renew`).
struct LeaseRenewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "renew", abstract: "Renews the lease of a secret")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("field"), help: "Print only the field with the given name.")
    var field: String?

    @Option(name: [.customLong("increment"), .customShort("i")], help: "Requested lease extension (e.g. 1h); the engine may ignore it.")
    var increment: String?

    @Argument(help: "The lease ID.")
    var arguments: [String] = []

    func run() async throws {
        var seconds = 0
        if let increment {
            guard let parsed = Duration.parseSeconds(increment) else {
                throw CLIFailure.usage("invalid value \"\(increment)\" for flag -increment: time: invalid duration \"\(increment)\"")
            }
            seconds = parsed
        }
        let leaseID = try singleLeaseID(arguments, expected: "1-2")
        let body = JSON.object(["increment": .int(seconds), "lease_id": .string(leaseID)])
        let secret = try await client.withClient { client in
            try await api("Error renewing \(leaseID)") {
                try await client.request(method: "PUT", path: "sys/leases/renew", body: body).body ?? .object([])
            }
        }
        let formatter = output.formatter
        if let field {
            throw ExitCode(formatter.printField(Formatter.rawField(secret, field), field: field))
        }
        formatter.outputSecret(secret)
    }
}
