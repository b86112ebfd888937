import ArgumentParser
import CofferClient

/// `coffer lease lookup LEASE_ID`: shows a lease's issue and expiry times and TTL (`PUT sys/leases/lookup`).
struct LeaseLookupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lookup", abstract: "Lookup the lease of a secret")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The lease ID.")
    var arguments: [String] = []

    func run() async throws {
        let leaseID = try singleLeaseID(arguments, expected: "1")
        let secret = try await client.withClient { client in
            try await api("error looking up lease id \(leaseID)") {
                try await client.request(
                    method: "PUT", path: "sys/leases/lookup", body: .object(["lease_id": .string(leaseID)])
                ).body ?? .object([])
            }
        }
        output.formatter.outputSecret(secret)
    }
}
