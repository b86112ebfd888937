import ArgumentParser
import CofferClient

/// The mount-configuration flags shared by `auth enable|tune` and `secrets enable|tune`, as `bao` has them.
struct MountConfigFlags: ParsableArguments {
    @Option(name: .customLong("default-lease-ttl"), help: "Default lease TTL of the mount.")
    var defaultLeaseTTL: String?

    @Option(name: .customLong("max-lease-ttl"), help: "Maximum lease TTL of the mount.")
    var maxLeaseTTL: String?

    @Option(name: .customLong("listing-visibility"), help: "Listing visibility in the UI: unauth or hidden.")
    var listingVisibility: String?

    @Option(name: .customLong("audit-non-hmac-request-keys"), help: "Request key not HMAC'd by audit devices; may be repeated.")
    var auditNonHMACRequestKeys: [String] = []

    @Option(name: .customLong("audit-non-hmac-response-keys"), help: "Response key not HMAC'd by audit devices; may be repeated.")
    var auditNonHMACResponseKeys: [String] = []

    @Option(name: .customLong("passthrough-request-headers"), help: "Request header passed to the mount; may be repeated.")
    var passthroughRequestHeaders: [String] = []

    @Option(name: .customLong("allowed-response-headers"), help: "Response header the mount may set; may be repeated.")
    var allowedResponseHeaders: [String] = []

    @Option(name: .customLong("plugin-version"), help: "Plugin version to run.")
    var pluginVersion: String?

    /// Writes the flags that were given into a `config` object (enable) or a tune body.
    func write(into object: inout JSON) {
        if let defaultLeaseTTL { object["default_lease_ttl"] = .string(defaultLeaseTTL) }
        if let maxLeaseTTL { object["max_lease_ttl"] = .string(maxLeaseTTL) }
        if let listingVisibility { object["listing_visibility"] = .string(listingVisibility) }
        if !auditNonHMACRequestKeys.isEmpty { object["audit_non_hmac_request_keys"] = stringArray(auditNonHMACRequestKeys) }
        if !auditNonHMACResponseKeys.isEmpty { object["audit_non_hmac_response_keys"] = stringArray(auditNonHMACResponseKeys) }
        if !passthroughRequestHeaders.isEmpty { object["passthrough_request_headers"] = stringArray(passthroughRequestHeaders) }
        if !allowedResponseHeaders.isEmpty { object["allowed_response_headers"] = stringArray(allowedResponseHeaders) }
        if let pluginVersion { object["plugin_version"] = .string(pluginVersion) }
    }
}

/// `-options=k=v` (repeatable) and `-version=N`, the mount's engine options.
struct MountOptionFlags: ParsableArguments {
    @Option(name: .customLong("options"), help: "Mount option as key=value; may be repeated.")
    var options: [String] = []

    @Option(name: .customLong("version"), help: "Version of the engine or method (for kv: 1 or 2).")
    var version: Int?

    /// The options object; `preset` comes first and flags override it.
    func object(preset: [(String, JSON)] = []) throws -> JSON {
        var values = try keyValueObject(options, flag: "options")
        for (k, v) in preset where values[k] == nil { values[k] = v }
        if let version { values["version"] = .string(String(version)) }
        return values
    }

    /// Sets `options` on `body` when there is any.
    func write(into body: inout JSON, preset: [(String, JSON)] = []) throws {
        let values = try object(preset: preset)
        if !(values.members?.isEmpty ?? true) { body["options"] = values }
    }
}

/// A JSON array of the comma-separated values of a repeatable flag.
func stringArray(_ values: [String]) -> JSON {
    .array(values.flatMap { $0.split(separator: ",") }.map { .string(String($0).trimmingWhitespace()) })
}
