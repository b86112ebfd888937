import ArgumentParser
import CofferClient

/// `coffer auth tune [flags] PATH`: changes an auth method's configuration (`POST sys/mounts/auth/<path>/tune`).
struct AuthTuneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tune", abstract: "Tunes an auth method configuration")

    @OptionGroup var client: ClientOptions

    @OptionGroup var mountConfig: MountConfigFlags
    @OptionGroup var mountOptions: MountOptionFlags

    @Option(name: .customLong("description"), help: "Human-friendly description of the auth method.")
    var description: String?

    @Option(name: .customLong("token-type"), help: "Type of token issued: service, batch, default-service or default-batch.")
    var tokenType: String?

    @Argument(help: "The mount path of the auth method.")
    var path: String

    func run() async throws {
        let mount = mountPath(path)
        var body = JSON.object([])
        try mountOptions.write(into: &body)
        mountConfig.write(into: &body)
        if let description { body["description"] = .string(description) }
        if let tokenType { body["token_type"] = .string(tokenType) }
        try await client.withClient { client in
            _ = try await api("Error tuning auth method \(mount)") {
                try await client.request(method: "POST", path: "sys/mounts/auth/\(mount)tune", body: body)
            }
        }
        Console.out("Success! Tuned the auth method at: \(mount)")
    }
}
