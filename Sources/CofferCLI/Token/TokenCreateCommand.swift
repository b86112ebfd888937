import ArgumentParser
import CofferClient

/// `coffer token create`: creates a child (or `-orphan`) token.
struct TokenCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a new token")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("field"), help: "Print only the field with the given name.")
    var field: String?

    @Option(name: .customLong("policy"), help: "Policy to attach; may be repeated.")
    var policies: [String] = []

    @Option(name: .customLong("ttl"), help: "Initial TTL of the token (e.g. 1h).")
    var ttl: String?

    @Option(name: .customLong("explicit-max-ttl"), help: "Hard maximum lifetime of the token.")
    var explicitMaxTTL: String?

    @Option(name: .customLong("period"), help: "Make a periodic token renewed for this period.")
    var period: String?

    @Flag(name: .customLong("orphan"), help: "Create the token with no parent.")
    var orphan = false

    @Flag(name: .customLong("no-default-policy"), help: "Do not attach the default policy.")
    var noDefaultPolicy = false

    @Option(name: .customLong("display-name"), help: "Name associated with the token.")
    var displayName: String?

    @Option(name: .customLong("metadata"), help: "Metadata as key=value; may be repeated.")
    var metadata: [String] = []

    @Option(name: .customLong("use-limit"), help: "Number of times the token may be used (0 is unlimited).")
    var useLimit: Int = 0

    @Flag(name: .customLong("renewable"), inversion: .prefixedNo, help: "Allow the token to be renewed.")
    var renewable = true

    @Option(name: .customLong("id"), help: "Value for the token (root only).")
    var id: String?

    @Option(name: .customLong("role"), help: "Token role to create the token against.")
    var role: String?

    @Option(name: .customLong("type"), help: "Token type: service or batch.")
    var type: String?

    func run() async throws {
        var body = JSON.object([])
        if let id { body["id"] = .string(id) }
        if !policies.isEmpty {
            let list = policies.flatMap { $0.split(separator: ",") }.map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
            body["policies"] = .array(list.map { .string($0) })
        }
        if !metadata.isEmpty {
            var meta = JSON.object([])
            for item in metadata {
                guard let equals = item.firstIndex(of: "=") else {
                    throw CLIFailure.usage("Invalid metadata \"\(item)\": format must be key=value")
                }
                meta[String(item[..<equals])] = .string(String(item[item.index(after: equals)...]))
            }
            body["meta"] = meta
        }
        if let ttl { body["ttl"] = .string(ttl) }
        if let explicitMaxTTL { body["explicit_max_ttl"] = .string(explicitMaxTTL) }
        if let period { body["period"] = .string(period) }
        if noDefaultPolicy { body["no_default_policy"] = true }
        if let displayName { body["display_name"] = .string(displayName) }
        if useLimit != 0 { body["num_uses"] = .int(useLimit) }
        body["renewable"] = .bool(renewable)
        if let type { body["type"] = .string(type) }

        let path: String
        if let role {
            path = "auth/token/create/\(role)"
        } else if orphan {
            path = "auth/token/create-orphan"
        } else {
            path = "auth/token/create"
        }
        let secret = try await client.withClient { client in
            try await api("Error creating token") {
                try await client.request(method: "POST", path: path, body: body).body ?? .object([])
            }
        }
        let formatter = output.formatter
        if let field {
            throw ExitCode(formatter.printField(Formatter.rawField(secret, field), field: field))
        }
        formatter.outputSecret(secret)
    }
}
