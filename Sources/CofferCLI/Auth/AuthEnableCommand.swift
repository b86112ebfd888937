import ArgumentParser
import CofferClient

/// `coffer auth enable [-path=P] [-description=D] TYPE`: enables an auth method (`POST sys/auth/<path>`).
struct AuthEnableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: "Enables a new auth method")

    @OptionGroup var client: ClientOptions

    @Option(name: .customLong("path"), help: "Where to enable the method (default: the method type).")
    var path: String?

    @Option(name: .customLong("description"), help: "Human-friendly description of the auth method.")
    var description: String?

    @Option(name: .customLong("default-lease-ttl"), help: "Default lease TTL of tokens issued by this method.")
    var defaultLeaseTTL: String?

    @Option(name: .customLong("max-lease-ttl"), help: "Maximum lease TTL of tokens issued by this method.")
    var maxLeaseTTL: String?

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

    @Flag(name: .customLong("local"), help: "Mark the auth method as local-only.")
    var local = false

    @Flag(name: .customLong("seal-wrap"), help: "Enable seal wrapping for the auth method.")
    var sealWrap = false

    @Flag(name: .customLong("external-entropy-access"), help: "Give the method access to the external entropy source.")
    var externalEntropyAccess = false

    @Option(name: .customLong("options"), help: "Method option as key=value; may be repeated.")
    var options: [String] = []

    @Option(name: .customLong("version"), help: "Version of the auth method to run.")
    var version: Int?

    @Option(name: .customLong("plugin-version"), help: "Plugin version to run.")
    var pluginVersion: String?

    @Argument(help: "The auth method type, e.g. userpass, approle, jwt.")
    var type: String

    func run() async throws {
        let authType = type.trimmingWhitespace()
        var optionValues = try keyValueObject(options, flag: "options")
        if let version { optionValues["version"] = .string(String(version)) }
        let mount = mountPath(path ?? authType)

        var config = JSON.object([])
        if let defaultLeaseTTL { config["default_lease_ttl"] = .string(defaultLeaseTTL) }
        if let maxLeaseTTL { config["max_lease_ttl"] = .string(maxLeaseTTL) }
        if let tokenType { config["token_type"] = .string(tokenType) }
        if let listingVisibility { config["listing_visibility"] = .string(listingVisibility) }
        if !auditNonHMACRequestKeys.isEmpty { config["audit_non_hmac_request_keys"] = stringArray(auditNonHMACRequestKeys) }
        if !auditNonHMACResponseKeys.isEmpty { config["audit_non_hmac_response_keys"] = stringArray(auditNonHMACResponseKeys) }
        if !passthroughRequestHeaders.isEmpty { config["passthrough_request_headers"] = stringArray(passthroughRequestHeaders) }
        if !allowedResponseHeaders.isEmpty { config["allowed_response_headers"] = stringArray(allowedResponseHeaders) }
        if let pluginVersion { config["plugin_version"] = .string(pluginVersion) }

        var body = JSON.object(["type": .string(authType)])
        body["description"] = .string(description ?? "")
        body["config"] = config
        body["local"] = .bool(local)
        body["seal_wrap"] = .bool(sealWrap)
        body["external_entropy_access"] = .bool(externalEntropyAccess)
        if !(optionValues.members?.isEmpty ?? true) { body["options"] = optionValues }
        if let pluginVersion { body["plugin_version"] = .string(pluginVersion) }

        try await client.withClient { client in
            _ = try await api("Error enabling \(authType) auth") {
                try await client.request(method: "POST", path: "sys/auth/\(mount.dropLast())", body: body)
            }
        }
        Console.out("Success! Enabled \(authType) auth method at: \(mount)")
    }
}

/// A JSON array of the comma-separated values of a repeatable flag.
func stringArray(_ values: [String]) -> JSON {
    .array(values.flatMap { $0.split(separator: ",") }.map { .string(String($0).trimmingWhitespace()) })
}
