import ArgumentParser
import CofferClient

/// `coffer auth enable [-path=P] [-description=D] TYPE`: enables an auth method (`POST sys/auth/<path>`).
struct AuthEnableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: "Enables a new auth method")

    @OptionGroup var client: ClientOptions

    @Option(name: .customLong("path"), help: "Where to enable the method (default: the method type).")
    var path: String?

    @Option(name: .customLong("description"), help: "Human-friendly description of the auth method.")
    var description: String?

    @OptionGroup var mountConfig: MountConfigFlags

    @Option(name: .customLong("token-type"), help: "Type of token issued: service, batch, default-service or default-batch.")
    var tokenType: String?

    @Flag(name: .customLong("local"), help: "Mark the auth method as local-only.")
    var local = false

    @Flag(name: .customLong("seal-wrap"), help: "Enable seal wrapping for the auth method.")
    var sealWrap = false

    @Flag(name: .customLong("external-entropy-access"), help: "Give the method access to the external entropy source.")
    var externalEntropyAccess = false

    @OptionGroup var mountOptions: MountOptionFlags

    @Argument(help: "The auth method type, e.g. userpass, approle, jwt.")
    var type: String

    func run() async throws {
        let authType = type.trimmingWhitespace()
        let mount = mountPath(path ?? authType)

        var config = JSON.object([])
        mountConfig.write(into: &config)
        if let tokenType { config["token_type"] = .string(tokenType) }

        var body = JSON.object(["type": .string(authType)])
        body["description"] = .string(description ?? "")
        body["config"] = config
        body["local"] = .bool(local)
        body["seal_wrap"] = .bool(sealWrap)
        body["external_entropy_access"] = .bool(externalEntropyAccess)
        try mountOptions.write(into: &body)
        if let v = mountConfig.pluginVersion { body["plugin_version"] = .string(v) }

        try await client.withClient { client in
            _ = try await api("Error enabling \(authType) auth") {
                try await client.request(method: "POST", path: "sys/auth/\(mount.dropLast())", body: body)
            }
        }
        Console.out("Success! Enabled \(authType) auth method at: \(mount)")
    }
}
