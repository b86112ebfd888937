import ArgumentParser
import CofferClient

/// `coffer kv patch [-cas=N] PATH k=v...`: merges keys into the latest version (KV v2 only).
struct KVPatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patch", abstract: "Sets or updates data in the KV store without overwriting"
    )

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("mount"), help: "The secrets engine mount; the path argument is then relative to it.")
    var mount: String?

    @Option(name: .customLong("cas"), help: "Check-and-set version: the patch applies only if this is the current version.")
    var cas: Int = -1

    @Option(name: .customLong("field"), help: "Print only the field with the given name.")
    var field: String?

    @Argument(help: "The secret path.")
    var path: String

    @Argument(help: "Data as k=v, k=@file, k=- or - for a JSON object on stdin.")
    var data: [String] = []

    func run() async throws {
        if data.isEmpty { throw CLIFailure.usage("Must supply data") }
        let values = try DataArguments.parse(data)
        try await KVWrite.run(
            client: client, output: output, mount: mount, path: path, field: field, cas: cas, values: values, patch: true
        )
    }
}
