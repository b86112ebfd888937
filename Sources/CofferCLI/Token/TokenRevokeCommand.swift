import ArgumentParser
import CofferClient

/// `coffer token revoke [TOKEN]`: revokes a token and its children (`-self`, `-accessor`, `-mode=orphan`).
struct TokenRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token and its children")

    @OptionGroup var client: ClientOptions

    @Flag(name: .customLong("self"), help: "Revoke the token used to make the request.")
    var revokeSelf = false

    @Flag(name: .customLong("accessor"), help: "Treat the argument as an accessor instead of a token.")
    var accessor = false

    @Option(name: .customLong("mode"), help: "\"orphan\" revokes only the token, leaving its children orphaned.")
    var mode: String?

    @Argument(help: "The token (or accessor) to revoke.")
    var token: String?

    func run() async throws {
        if let mode, !["", "orphan", "path"].contains(mode) {
            throw CLIFailure.usage("Invalid mode: \(mode)")
        }
        if revokeSelf && mode != nil && mode != "" {
            throw CLIFailure.usage("Cannot use -self with -mode!")
        }
        if revokeSelf && accessor {
            throw CLIFailure.usage("Cannot use -self with -accessor!")
        }
        if accessor && mode == "orphan" {
            throw CLIFailure.usage("Cannot use -accessor with -mode=orphan!")
        }
        if revokeSelf && token != nil {
            throw CLIFailure.usage("Too many arguments (expected 0, got 1)")
        }
        if !revokeSelf && token == nil {
            throw CLIFailure.usage("Not enough arguments (expected 1 or -self, got 0)")
        }
        let path: String
        var body: JSON?
        if revokeSelf {
            path = "auth/token/revoke-self"
        } else if accessor {
            path = "auth/token/revoke-accessor"
            body = .object(["accessor": .string(token ?? "")])
        } else if mode == "orphan" {
            path = "auth/token/revoke-orphan"
            body = .object(["token": .string(token ?? "")])
        } else {
            path = "auth/token/revoke"
            body = .object(["token": .string(token ?? "")])
        }
        try await client.withClient { client in
            _ = try await api("Error revoking token") {
                try await client.request(method: "PUT", path: path, body: body ?? .object([]))
            }
        }
        Console.out("Success! Revoked token (if it existed)")
    }
}
