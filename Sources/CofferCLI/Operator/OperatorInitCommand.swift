import ArgumentParser
import CofferClient

/// `coffer operator init`: initializes the server and prints the unseal keys and root token.
struct OperatorInitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Initializes a server")

    @OptionGroup var client: ClientOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("key-shares"), help: "Number of key shares to split the generated root key into.")
    var keyShares: Int = 5

    @Option(name: .customLong("key-threshold"), help: "Number of key shares required to reconstruct the root key.")
    var keyThreshold: Int = 3

    @Flag(name: .customLong("status"), help: "Print the initialization status; exit 0 if initialized, 2 if not.")
    var status = false

    func run() async throws {
        if status {
            let initialized = try await client.withClient { client in
                try await api("Error checking init status") {
                    try await client.request(method: "GET", path: "sys/init").body?["initialized"]?.boolValue ?? false
                }
            }
            if initialized {
                Console.out("Vault is initialized")
                return
            }
            Console.out("Vault is not initialized")
            throw ExitCode(2)
        }
        let body: JSON = .object(["secret_shares": .int(keyShares), "secret_threshold": .int(keyThreshold)])
        let response = try await client.withClient { client in
            try await api("Error initializing") {
                try await client.request(method: "PUT", path: "sys/init", body: body).body ?? .object([])
            }
        }
        let keysB64 = response["keys_base64"]?.arrayValue ?? []
        let keysHex = response["keys"]?.arrayValue ?? []
        let rootToken = response["root_token"]?.stringValue ?? ""
        if !output.isTable {
            var out = JSON.object([])
            out["unseal_keys_b64"] = .array(keysB64)
            out["unseal_keys_hex"] = .array(keysHex)
            out["unseal_shares"] = .int(keyShares)
            out["unseal_threshold"] = .int(keyThreshold)
            out["recovery_keys_b64"] = response["recovery_keys_base64"].flatMap { ($0.arrayValue?.isEmpty ?? true) ? nil : $0 } ?? .null
            out["recovery_keys_hex"] = response["recovery_keys"].flatMap { ($0.arrayValue?.isEmpty ?? true) ? nil : $0 } ?? .null
            out["recovery_keys_shares"] = .int(0)
            out["recovery_keys_threshold"] = .int(0)
            out["root_token"] = .string(rootToken)
            output.formatter.emit(out)
            return
        }
        for (index, key) in keysB64.enumerated() {
            Console.out("Unseal Key \(index + 1): \(key.stringValue ?? "")")
        }
        Console.out("")
        Console.out("Initial Root Token: \(rootToken)")
        Console.out("")
        Console.out(
            """
            Vault initialized with \(keyShares) key shares and a key threshold of \(keyThreshold). Please securely
            distribute the key shares printed above. When the Vault is re-sealed,
            restarted, or stopped, you must supply at least \(keyThreshold) of these keys to unseal it
            before it can start servicing requests.

            Vault does not store the generated root key. Without at least \(keyThreshold) keys to
            reconstruct the root key, Vault will remain permanently sealed!

            It is possible to generate new unseal keys, provided you have a quorum
            of existing unseal keys shares. See "coffer operator rotate-keys" for more
            information.
            """
        )
    }
}
