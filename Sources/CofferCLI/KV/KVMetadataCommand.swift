import ArgumentParser

/// `coffer kv metadata ...`: KV v2 key metadata.
struct KVMetadataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metadata",
        abstract: "Interact with the key-value store's metadata",
        subcommands: [KVMetadataGetCommand.self, KVMetadataPutCommand.self, KVMetadataPatchCommand.self, KVMetadataDeleteCommand.self]
    )
}
