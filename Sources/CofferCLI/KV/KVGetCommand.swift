import ArgumentParser
import CofferClient

/// `coffer kv get [-version=N] [-field=F] PATH`.
struct KVGetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Retrieves data from the KV store")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("mount"), help: "The secrets engine mount; the path argument is then relative to it.")
    var mount: String?

    @Option(name: .customLong("version"), help: "The version to read (KV v2); the latest when omitted.")
    var version: Int?

    @Option(name: .customLong("field"), help: "Print only the field with the given name.")
    var field: String?

    @Argument(help: "The secret path.")
    var path: String

    func run() async throws {
        let (target, fullPath, secret) = try await client.withClient { client in
            let target = try await KVTarget.resolve(client, path: path, mount: mount)
            let fullPath = target.isV2 ? target.apiPath("data") : target.partialPath
            var query: [(String, String)] = []
            if let version, target.isV2 { query.append(("version", String(version))) }
            let secret = try await api("Error reading \(fullPath)") { try await client.read(fullPath, query: query) }
            return (target, fullPath, secret)
        }
        guard let secret else { throw CLIFailure.server("No value found at \(fullPath)") }
        let formatter = output.formatter

        if let field {
            if target.isV2 {
                guard let data = secret["data"]?["data"], !data.isNull else {
                    throw CLIFailure.server("No data found at \(fullPath)")
                }
                let value = data[field] ?? (field == "data" ? data : nil)
                throw ExitCode(formatter.printField(value, field: field, container: "map"))
            }
            throw ExitCode(formatter.printField(Formatter.rawField(secret, field), field: field))
        }
        if formatter.outputIfWrapped(secret) { return }
        guard formatter.isTable else {
            formatter.outputSecret(secret)
            return
        }
        formatter.printWarnings(secret)
        var data = secret["data"]
        if target.isV2 {
            Formatter.outputPath(fullPath, title: "Secret Path")
            if let metadata = secret["data"]?["metadata"], !metadata.isNull {
                Console.out(Formatter.header("Metadata", forMap: metadata))
                formatter.outputData(metadata)
                Console.out("")
            }
            data = secret["data"]?["data"]
        }
        if let data, !data.isNull {
            Console.out(Formatter.header("Data", forMap: data))
            formatter.outputData(data)
        }
    }
}
