import ArgumentParser

/// `coffer kv ...`: the key/value secrets engine helpers (v1 and v2).
struct KVCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kv",
        abstract: "Interact with the key-value secrets engine",
        subcommands: [
            KVPutCommand.self,
            KVGetCommand.self,
            KVPatchCommand.self,
            KVDeleteCommand.self,
            KVUndeleteCommand.self,
            KVDestroyCommand.self,
            KVListCommand.self,
            KVMetadataCommand.self,
            KVRollbackCommand.self,
            KVEnableVersioningCommand.self,
        ]
    )
}
