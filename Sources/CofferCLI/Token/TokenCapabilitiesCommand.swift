import ArgumentParser
import CofferClient

/// `coffer token capabilities [TOKEN] PATH`: a token's capabilities on a path (`sys/capabilities`, or
/// `sys/capabilities-self` for the token in use).
struct TokenCapabilitiesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "capabilities", abstract: "Print capabilities of a token on a path")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "[TOKEN] PATH: the token (the one in use when omitted) and the path.")
    var arguments: [String] = []

    func validate() throws {
        if arguments.isEmpty { throw CLIFailure.usage("Not enough arguments (expected 1-2, got 0)") }
        if arguments.count > 2 { throw CLIFailure.usage("Too many arguments (expected 1-2, got \(arguments.count))") }
    }

    func run() async throws {
        let token = arguments.count == 2 ? arguments[0] : nil
        let path = arguments[arguments.count - 1]
        let secret = try await client.withClient { client in
            try await api("Error listing capabilities") {
                if let token {
                    return try await client.request(
                        method: "POST", path: "sys/capabilities", body: .object(["token": .string(token), "path": .string(path)])
                    ).body
                }
                return try await client.request(method: "POST", path: "sys/capabilities-self", body: .object(["path": .string(path)])).body
            }
        }
        let data = secret?["data"] ?? secret
        let list = (data?[path] ?? data?["capabilities"])?.arrayValue ?? []
        let capabilities = list.compactMap(\.stringValue).sorted()
        if output.isTable {
            Console.out(capabilities.joined(separator: ", "))
        } else {
            output.formatter.emit(.array(capabilities.map { .string($0) }))
        }
    }
}
