import ArgumentParser
import CofferClient

/// Connection flags shared by every command that talks to a server (`bao`'s HTTP flag set).
///
/// Values not given as flags come from `COFFER_*`, then `VAULT_*`, then `BAO_*` environment variables. The token comes
/// from `COFFER_TOKEN` / `VAULT_TOKEN` / `BAO_TOKEN`, else from `~/.vault-token`.
struct ClientOptions: ParsableArguments {
    @Option(name: .customLong("address"), help: "Address of the server (env COFFER_ADDR, VAULT_ADDR, BAO_ADDR).")
    var address: String?

    @Option(name: .customLong("ca-cert"), help: "PEM-encoded CA certificate file to verify the server (env VAULT_CACERT).")
    var caCert: String?

    @Option(name: .customLong("ca-path"), help: "Directory of PEM-encoded CA certificates (env VAULT_CAPATH).")
    var caPath: String?

    @Flag(name: .customLong("tls-skip-verify"), help: "Disable verification of TLS certificates (env VAULT_SKIP_VERIFY).")
    var tlsSkipVerify = false

    @Option(name: .customLong("tls-server-name"), help: "Name to use as the SNI host (env VAULT_TLS_SERVER_NAME).")
    var tlsServerName: String?

    @Option(name: .customLong("wrap-ttl"), help: "Wrap the response in a cubbyhole token with this TTL (env VAULT_WRAP_TTL).")
    var wrapTTL: String?

    static let defaultAddress = "https://127.0.0.1:8200"

    /// The token from the environment or the token helper.
    static func resolvedToken() -> String? {
        if let token = Environment.lookup("TOKEN")?.value { return token }
        return TokenHelper.read()
    }

    func validate() throws {
        if let wrapTTL, Duration.parseSeconds(wrapTTL) == nil {
            throw CLIFailure.usage("invalid value \"\(wrapTTL)\" for flag -wrap-ttl: time: invalid duration \"\(wrapTTL)\"")
        }
    }

    /// The `X-Vault-Wrap-TTL` value (a Go duration such as `5m0s`), from `-wrap-ttl` or `VAULT_WRAP_TTL`.
    var resolvedWrapTTL: String? {
        guard let text = wrapTTL ?? Environment.lookup("WRAP_TTL")?.value,
              let seconds = Duration.parseSeconds(text), seconds > 0 else { return nil }
        return Duration.goString(seconds: seconds)
    }

    /// The client timeout from `COFFER_CLIENT_TIMEOUT` / `VAULT_CLIENT_TIMEOUT` / `BAO_CLIENT_TIMEOUT` (whole seconds or
    /// a Go duration, as `bao` reads it; 0 or less means none), else bao's default of 60 seconds.
    static func resolvedTimeout() throws -> Swift.Duration {
        guard let found = Environment.lookup("CLIENT_TIMEOUT") else { return Swift.Duration.seconds(60) }
        guard let seconds = Duration.parseDurationSeconds(found.value) else {
            throw CLIFailure(message: "failed to read environment: could not parse \"\(found.name)\"", code: 2, clientSetup: true)
        }
        // Go's time.Duration is an int64 of nanoseconds: larger values are clamped rather than trapping here.
        return Swift.Duration.nanoseconds(Int64((min(max(seconds, -9e9), 9e9) * 1_000_000_000).rounded()))
    }

    func configuration(token: String? = ClientOptions.resolvedToken()) throws -> ClientConfiguration {
        ClientConfiguration(
            address: address ?? Environment.lookup("ADDR")?.value ?? Self.defaultAddress,
            token: token,
            caCertFile: caCert ?? Environment.lookup("CACERT")?.value,
            caPath: caPath ?? Environment.lookup("CAPATH")?.value,
            tlsSkipVerify: tlsSkipVerify || Environment.bool("SKIP_VERIFY"),
            tlsServerName: tlsServerName ?? Environment.lookup("TLS_SERVER_NAME")?.value,
            timeout: try Self.resolvedTimeout(),
            wrapTTL: resolvedWrapTTL
        )
    }

    /// Creates a client, runs `body` with it and shuts the client down, whatever `body` does.
    ///
    /// A client that cannot be set up fails as `bao` does: `failed to setup TLS config: …` for a CA given as a flag,
    /// `failed to read environment: …` for one from the environment (exit code 2; `status` uses 1).
    func withClient<T>(token: String?? = .none, _ body: (VaultClient) async throws -> T) async throws -> T {
        let configuration: ClientConfiguration
        if let token {
            configuration = try self.configuration(token: token)
        } else {
            configuration = try self.configuration()
        }
        let client: VaultClient
        do {
            client = try VaultClient(configuration: configuration)
        } catch let error as ClientSetupError {
            let fromFlags = (caCert?.isEmpty == false) || (caCert == nil && caPath?.isEmpty == false)
            let context = fromFlags ? "failed to setup TLS config" : "failed to read environment"
            throw CLIFailure(message: "\(context): \(error.message)", code: 2, clientSetup: true)
        } catch {
            throw CLIFailure.api("Error initializing client", error)
        }
        do {
            let result = try await body(client)
            try? await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
