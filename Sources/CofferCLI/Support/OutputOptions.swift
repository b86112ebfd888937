import ArgumentParser

/// The `-format` flag (`table`, `json` or `yaml`/`yml`; env `VAULT_FORMAT`).
struct OutputOptions: ParsableArguments {
    @Option(name: .customLong("format"), help: "Print the output in the given format: table, json or yaml (env VAULT_FORMAT).")
    var format: String = Environment.lookup("FORMAT")?.value ?? "table"

    func validate() throws {
        guard ["table", "json", "yaml", "yml"].contains(format.lowercased()) else {
            throw CLIFailure.usage("Invalid output format: \(format)")
        }
    }

    var isTable: Bool { format.lowercased() == "table" }

    var formatter: Formatter { Formatter(format: format.lowercased()) }
}
