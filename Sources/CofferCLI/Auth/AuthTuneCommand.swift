import ArgumentParser
import CofferClient

/// `coffer auth tune [flags] PATH`: changes an auth method's configuration (`POST sys/mounts/auth/<path>/tune`).
struct AuthTuneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tune", abstract: "Tunes an auth method configuration")

    @OptionGroup var client: ClientOptions

    @Option(name: .customLong("default-lease-ttl"), help: "Default lease TTL of tokens issued by this method.")
    var defaultLeaseTTL: String?

    @Option(name: .customLong("max-lease-ttl"), help: "Maximum lease TTL of tokens issued by this method.")
    var maxLeaseTTL: String?

    @Option(name: .customLong("description"), help: "Human-friendly description of the auth method.")
    var description: String?

    @Option(name: .customLong("token-type"), help: "Type of token issued: service, batch, default-service or default-batch.")
    var tokenType: String?

    @Option(name: .customLong("listing-visibility"), help: "Listing visibility in the UI: unauth or hidden.")
    var listingVisibility: String?

    @Option(name: .customLong("audit-non-hmac-request-keys"), help: "Request key not HMAC'd by audit devices; may be repeated.")
    var auditNonHMACRequestKeys: [String] = []

    @Option(name: .customLong("audit-non-hmac-response-keys"), help: "Response key not HMAC'd by audit devices; may be repeated.")
    var auditNonHMACResponseKeys: [String] = []

    @Option(name: .customLong("passthrough-request-headers"), help: "Request header passed to the method; may be repeated.")
    var passthroughRequestHeaders: [String] = []

    @Option(name: .customLong("allowed-response-headers"), help: "Response header the method may set; may be repeated.")
    var allowedResponseHeaders: [String] = []

    @Option(name: .customLong("options"), help: "Method option as key=value; may be repeated.")
    var options: [String] = []

    @Option(name: .customLong("version"), help: "Version of the auth method to run.")
    var version: Int?

    @Option(name: .customLong("plugin-version"), help: "Plugin version to run.")
    var pluginVersion: String?

    @Argument(help: "The mount path of the auth method.")
    var path: String

    func run() async throws {
        let mount = mountPath(path)
        var body = JSON.object([])
        var optionValues = try keyValueObject(options, flag: "options")
        if let version { optionValues["version"] = .string(String(version)) }
        if !(optionValues.members?.isEmpty ?? true) { body["options"] = optionValues }
        if let defaultLeaseTTL { body["default_lease_ttl"] = .string(defaultLeaseTTL) }
        if let description { body["description"] = .string(description) }
        if let maxLeaseTTL { body["max_lease_ttl"] = .string(maxLeaseTTL) }
        if let tokenType { body["token_type"] = .string(tokenType) }
        if let listingVisibility { body["listing_visibility"] = .string(listingVisibility) }
        if !auditNonHMACRequestKeys.isEmpty { body["audit_non_hmac_request_keys"] = stringArray(auditNonHMACRequestKeys) }
        if !auditNonHMACResponseKeys.isEmpty { body["audit_non_hmac_response_keys"] = stringArray(auditNonHMACResponseKeys) }
        if !passthroughRequestHeaders.isEmpty { body["passthrough_request_headers"] = stringArray(passthroughRequestHeaders) }
        if !allowedResponseHeaders.isEmpty { body["allowed_response_headers"] = stringArray(allowedResponseHeaders) }
        if let pluginVersion { body["plugin_version"] = .string(pluginVersion) }
        try await client.withClient { client in
            _ = try await api("Error tuning auth method \(mount)") {
                try await client.request(method: "POST", path: "sys/mounts/auth/\(mount)tune", body: body)
            }
        }
        Console.out("Success! Tuned the auth method at: \(mount)")
    }
}
