import ArgumentParser
import CofferClient

/// `coffer lease revoke [-prefix] [-force] [-sync] ID`: revokes a lease, or every lease under a prefix.
///
/// Without `-sync` the server queues the revocation (`All revocation operations queued successfully!`). `-force`
/// (with `-prefix`) removes the leases even when the secrets engine fails to revoke them.
struct LeaseRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revokes leases and secrets")

    @OptionGroup var client: ClientOptions

    @Flag(name: .customLong("prefix"), help: "Treat the ID as a prefix and revoke every lease under it.")
    var prefix = false

    @Flag(name: [.customLong("force"), .customShort("f")], help: "Delete the leases even if the engine cannot revoke them (needs -prefix).")
    var force = false

    @Flag(name: .customLong("sync"), help: "Wait for the revocation to finish.")
    var sync = false

    @Argument(help: "The lease ID, or the prefix with -prefix.")
    var arguments: [String] = []

    func run() async throws {
        if force && !prefix {
            throw CLIFailure.usage("Specifying -force requires also specifying -prefix")
        }
        guard arguments.count == 1 else {
            let problem = arguments.isEmpty ? "Not enough" : "Too many"
            throw CLIFailure.usage("\(problem) arguments (expected 1, got \(arguments.count))")
        }
        let leaseID = arguments[0].trimmingWhitespace()
        if force {
            Console.error(
                TextWrap.wrap("Warning! Force-removing leases can cause Coffer to become out of sync with secret engines!")
            )
            try await client.withClient { client in
                _ = try await api("Error force revoking leases with prefix \(leaseID)") {
                    try await client.request(method: "PUT", path: "sys/leases/revoke-force/\(leaseID)")
                }
            }
            Console.out("Success! Force revoked any leases with prefix: \(leaseID)")
            return
        }
        let body = JSON.object(["sync": .bool(sync)])
        if prefix {
            try await client.withClient { client in
                _ = try await api("Error revoking leases with prefix \(leaseID)") {
                    try await client.request(method: "PUT", path: "sys/leases/revoke-prefix/\(leaseID)", body: body)
                }
            }
            Console.out(sync ? "Success! Revoked any leases with prefix: \(leaseID)" : "All revocation operations queued successfully!")
            return
        }
        try await client.withClient { client in
            _ = try await api("Error revoking lease \(leaseID)") {
                try await client.request(method: "PUT", path: "sys/leases/revoke/\(leaseID)", body: body)
            }
        }
        Console.out(sync ? "Success! Revoked lease: \(leaseID)" : "All revocation operations queued successfully!")
    }
}
