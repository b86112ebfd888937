import ArgumentParser

/// `coffer kv destroy -versions=N PATH`: permanently removes versions (KV v2).
struct KVDestroyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destroy", abstract: "Permanently removes one or more versions in the KV store"
    )

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("mount"), help: "The secrets engine mount; the path argument is then relative to it.")
    var mount: String?

    @Option(name: .customLong("versions"), help: "Comma-separated versions to destroy.")
    var versions: [String] = []

    @Argument(help: "The secret path.")
    var path: String

    func run() async throws {
        try await KVVersionsWrite.run(client: client, output: output, mount: mount, path: path, versions: versions, action: "destroy")
    }
}
