import ArgumentParser
import CofferClient

/// `coffer kv put [-cas=N] PATH k=v...`: writes a new version (v2) or replaces the data (v1).
struct KVPutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "put", abstract: "Sets or updates data in the KV store")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("mount"), help: "The secrets engine mount; the path argument is then relative to it.")
    var mount: String?

    @Option(name: .customLong("cas"), help: "Check-and-set version (KV v2): 0 writes only if the key does not exist.")
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
            client: client, output: output, mount: mount, path: path, field: field, cas: cas, values: values, patch: false
        )
    }
}

/// The shared body of `kv put` and `kv patch`.
enum KVWrite {
    static func run(
        client options: ClientOptions, output: OutputOptions, mount: String?, path: String, field: String?, cas: Int,
        values: JSON, patch: Bool
    ) async throws {
        let (target, fullPath, secret) = try await options.withClient { client in
            let target = try await KVTarget.resolve(client, path: path, mount: mount)
            if patch && !target.isV2 {
                throw CLIFailure.server("K/V engine mount must be version 2 for patch support")
            }
            let fullPath = target.isV2 ? target.apiPath("data") : target.partialPath
            var body = values
            if target.isV2 {
                body = .object(["data": values])
                if cas >= 0 { body["options"] = .object(["cas": .int(cas)]) }
            }
            let secret = try await api("Error writing data to \(fullPath)") {
                if patch {
                    return try await client.patch(fullPath, data: body)
                }
                return try await client.write(fullPath, data: body)
            }
            return (target, fullPath, secret)
        }
        guard let secret else {
            if output.isTable { Console.out("Success! Data written to: \(target.partialPath)") }
            return
        }
        let formatter = output.formatter
        if let field {
            throw ExitCode(formatter.printField(Formatter.rawField(secret, field), field: field))
        }
        if formatter.outputIfWrapped(secret) { return }
        guard formatter.isTable else {
            formatter.outputSecret(secret)
            return
        }
        formatter.printWarnings(secret)
        if target.isV2 {
            Formatter.outputPath(fullPath, title: "Secret Path")
            let metadata = secret["data"] ?? .object([])
            Console.out(Formatter.header("Metadata", forMap: metadata))
            formatter.outputData(metadata)
        } else {
            formatter.outputSecret(secret)
        }
    }
}
