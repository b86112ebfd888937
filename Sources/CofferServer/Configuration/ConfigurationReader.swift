import CofferCore
import CofferHCL
import CofferSDK

/// Reads the parsed document into a ``ServerConfiguration``, collecting a warning for every key it doesn't know, at
/// any depth, in OpenBao's words and with the key's `file:line:column` (HCL) or the file name alone (JSON, which
/// carries no positions, as in OpenBao).
struct ConfigurationReader {
    let fileName: String
    /// Where each key was written; empty for JSON.
    let sourceMap: HCLSourceMap
    private var found: [(position: (line: Int, column: Int)?, message: String)] = []

    init(fileName: String, sourceMap: HCLSourceMap = HCLSourceMap()) {
        self.fileName = fileName
        self.sourceMap = sourceMap
    }

    /// The warnings, in the order their keys appear in the file.
    var warnings: [String] {
        found.enumerated().sorted { a, b in
            let pa = a.element.position ?? (Int.max, Int.max)
            let pb = b.element.position ?? (Int.max, Int.max)
            return pa != pb ? pa < pb : a.offset < b.offset
        }.map(\.element.message)
    }

    /// `file:line:column` of the key at `keyPath`, or the file name when the position is unknown (JSON).
    func location(_ keyPath: [String]) -> String {
        guard let p = sourceMap.position(of: keyPath) else { return fileName }
        return "\(fileName):\(p.line):\(p.column)"
    }

    private mutating func warn(_ keyPath: [String], _ message: String) {
        found.append((sourceMap.position(of: keyPath), message))
    }

    /// OpenBao's warning for a key it does not decode: `unknown or unsupported field tls_min_versoin found in
    /// configuration at coffer.hcl:5:3`.
    private mutating func unknown(_ keyPath: [String]) {
        warn(keyPath, "unknown or unsupported field \(keyPath.last ?? "") found in configuration at \(location(keyPath))")
    }

    mutating func read(_ top: [String: JSONValue]) throws(ConfigurationError) -> ServerConfiguration {
        var config = ServerConfiguration()
        var defaultTTLSet = false
        var maxTTLSet = false
        for (key, value) in members(top) {
            switch key {
            case "storage", "backend":
                if key == "backend", top["storage"] != nil {
                    warn([key], "both storage and backend are set in \(location([key])); using storage")
                    continue
                }
                config.storage = try readStorage(value, key: key)
            case "listener":
                config.listeners = try readListeners(value)
            case "seal":
                try readSeals(value)
            case "default_lease_ttl":
                config.defaultLeaseTTL = try duration(value, key: key)
                defaultTTLSet = true
            case "max_lease_ttl":
                config.maxLeaseTTL = try duration(value, key: key)
                maxTTLSet = true
            case "api_addr": config.apiAddr = try string(value, key: key)
            case "cluster_addr": config.clusterAddr = try string(value, key: key)
            case "log_level": config.logLevel = try string(value, key: key)
            case "pid_file": config.pidFile = try string(value, key: key)
            case "ui": config.ui = try bool(value, key: key)
            case "disable_mlock": config.disableMlock = try bool(value, key: key)
            case "disable_standby_reads": config.disableStandbyReads = try bool(value, key: key)
            case "log_format": config.logFormat = try string(value, key: key)
            case "audit": config.auditDevices = try readAudit(value)
            case "telemetry":
                for (k, v) in members(ofBodies: value) {
                    if Self.telemetryKeys.contains(k) {
                        config.telemetry[k] = stringify(v)
                    } else if Self.telemetrySinkKeys.contains(k) || Self.telemetrySinkPrefixes.contains(where: { k.hasPrefix($0) }) {
                        config.telemetry[k] = stringify(v)
                        warn(
                            ["telemetry", k],
                            "unsupported telemetry field \(k) in \(location(["telemetry", k])): Coffer serves metrics at sys/metrics (JSON or Prometheus) only"
                        )
                    } else {
                        unknown(["telemetry", k])
                    }
                }
            case "unsafe_allow_api_audit_creation":
                // OpenBao >= 2.5 refuses API-created audit devices unless this is set; Coffer allows them, as Vault
                // does, to sudo tokens only.
                _ = try bool(value, key: key)
            default:
                unknown([key])
            }
        }
        if defaultTTLSet || maxTTLSet, config.defaultLeaseTTL > config.maxLeaseTTL {
            throw ConfigurationError(
                "default_lease_ttl (\(config.defaultLeaseTTL)s) cannot be greater than max_lease_ttl (\(config.maxLeaseTTL)s)"
            )
        }
        return config
    }

    /// `seal "shamir" {}` is the default and is accepted; any other seal (auto-unseal with a KMS, HSM or transit) is
    /// refused: starting on Shamir instead would silently change who can unseal the server.
    private mutating func readSeals(_ value: JSONValue) throws(ConfigurationError) {
        for (type, body) in labelledBlocks(value) {
            guard type == "shamir" else {
                throw ConfigurationError(
                    "Error configuring seal \"\(type)\" at \(location(["seal", type])): unsupported seal type: "
                        + "Coffer implements only the Shamir seal (unseal keys); remove the seal \"\(type)\" stanza to use it"
                )
            }
            for k in body.keys.sorted() { unknown(["seal", type, k]) }
        }
    }

    /// `storage "type" { … }` parses to `{"type": {…}}`; JSON may also give a list of such objects.
    private mutating func readStorage(_ value: JSONValue, key: String) throws(ConfigurationError) -> ServerConfiguration.Storage {
        let blocks = labelledBlocks(value)
        guard blocks.count == 1, let (type, body) = blocks.first else {
            throw ConfigurationError(
                blocks.isEmpty ? "\(key) must be a block with a type, e.g. \(key) \"sqlite\" { … }" : "only one \(key) block is permitted"
            )
        }
        guard ServerConfiguration.supportedStorageTypes.contains(type) else {
            let supported = ServerConfiguration.supportedStorageTypes.sorted().joined(separator: ", ")
            throw ConfigurationError("unknown \(key) type \"\(type)\" (supported: \(supported))")
        }
        var options: [String: String] = [:]
        let known = ServerConfiguration.storageOptions[type] ?? []
        for (k, v) in members(body) {
            options[k] = stringify(v)
            if !known.contains(k) { unknown([key, type, k]) }
        }
        return ServerConfiguration.Storage(type: type, options: options)
    }

    private mutating func readListeners(_ value: JSONValue) throws(ConfigurationError) -> [ServerConfiguration.Listener] {
        var listeners: [ServerConfiguration.Listener] = []
        for (type, body) in labelledBlocks(value) {
            guard type == "tcp" else { throw ConfigurationError("unknown listener type: \"\(type)\"") }
            var listener = ServerConfiguration.Listener(type: type)
            for (key, v) in members(body) {
                switch key {
                case "address": listener.address = try string(v, key: "listener.address")
                case "tls_disable": listener.tlsDisable = try bool(v, key: "listener.tls_disable")
                case "tls_cert_file": listener.tlsCertFile = try string(v, key: "listener.tls_cert_file")
                case "tls_key_file": listener.tlsKeyFile = try string(v, key: "listener.tls_key_file")
                case "tls_min_version": listener.tlsMinVersion = try string(v, key: "listener.tls_min_version")
                case "http_read_header_timeout": listener.readHeaderTimeout = try timeout(v, key: "listener.http_read_header_timeout")
                case "http_idle_timeout": listener.idleTimeout = try timeout(v, key: "listener.http_idle_timeout")
                case "telemetry":
                    for (k, u) in members(ofBodies: v) {
                        if k == "unauthenticated_metrics_access" {
                            listener.unauthenticatedMetricsAccess = try bool(u, key: "listener.telemetry.unauthenticated_metrics_access")
                        } else {
                            unknown(["listener", type, "telemetry", k])
                        }
                    }
                case "cluster_address":
                    listener.options[key] = try string(v, key: "listener.cluster_address")
                default:
                    listener.options[key] = stringify(v)
                    unknown(["listener", type, key])
                }
            }
            if !listener.tlsDisable, listener.tlsCertFile == nil || listener.tlsKeyFile == nil {
                throw ConfigurationError(
                    "listener \"tcp\" at \(listener.address): tls_cert_file and tls_key_file are required unless tls_disable is set"
                )
            }
            listeners.append(listener)
        }
        return listeners
    }

    static let telemetryKeys: Set<String> = [
        "prometheus_retention_time", "disable_hostname", "usage_gauge_period", "maximum_gauge_cardinality", "enable_hostname_label",
        "metrics_prefix", "lease_metrics_epsilon", "num_lease_metrics_buckets", "add_lease_metrics_namespace_labels", "filter_default",
        "prefix_filter",
    ]

    /// `audit "file" "name" { description = "", local = false, options { file_path = "…" } }`; options may also sit
    /// directly in the block.
    private mutating func readAudit(_ value: JSONValue) throws(ConfigurationError) -> [AuditDeviceConfig] {
        var out: [AuditDeviceConfig] = []
        for (type, body) in labelledBlocks(value) {
            for (name, inner) in labelledBlocks(.object(body)) {
                var device = AuditDeviceConfig(type: type, path: name)
                for (key, v) in members(inner) {
                    switch key {
                    case "description": device.description = try string(v, key: "audit.description")
                    case "local": device.local = try bool(v, key: "audit.local")
                    case "options":
                        for (k, x) in members(ofBodies: v) {
                            device.options[k] = stringify(x)
                            if !Self.auditOptions.contains(k) { unknown(["audit", type, name, "options", k]) }
                        }
                    default:
                        // Coffer also reads a device's options written directly in the block.
                        if Self.auditOptions.contains(key) {
                            device.options[key] = stringify(v)
                        } else {
                            unknown(["audit", type, name, key])
                        }
                    }
                }
                guard ["file", "socket", "syslog"].contains(type) else {
                    throw ConfigurationError("audit \"\(type)\" \"\(name)\": unknown audit device type (supported: file, socket, syslog)")
                }
                out.append(device)
            }
        }
        return out
    }

    /// The options of the audit devices (all types): unknown ones are warned about.
    static let auditOptions: Set<String> = [
        "file_path", "path", "mode", "format", "prefix", "log_raw", "hmac_accessor", "elide_list_responses", "address", "socket_type",
        "write_timeout", "facility", "tag",
    ]

    /// OpenBao's telemetry sinks, which Coffer does not have (it serves sys/metrics only).
    static let telemetrySinkKeys: Set<String> = ["statsite_address", "statsd_address", "dogstatsd_addr", "dogstatsd_tags"]
    static let telemetrySinkPrefixes = ["circonus_", "stackdriver_"]

    /// The members of a block, by key.
    private func members(_ body: [String: JSONValue]) -> [(key: String, value: JSONValue)] { body.sorted { $0.key < $1.key } }

    /// The members of every body of `value` (one block or a list of them), each body's by key.
    private func members(ofBodies value: JSONValue) -> [(key: String, value: JSONValue)] { bodies(value).flatMap { members($0) } }

    /// The bodies of an unlabelled block (`telemetry { … }`): an object, or a list of them.
    private func bodies(_ value: JSONValue) -> [[String: JSONValue]] {
        switch value {
        case .object(let body): return [body]
        case .array(let elements): return elements.compactMap(\.objectValue)
        default: return []
        }
    }

    /// Flattens `{"type": body}`, `{"type": [body, body]}` and `[{"type": body}, …]` into (type, body) pairs.
    private func labelledBlocks(_ value: JSONValue) -> [(String, [String: JSONValue])] {
        var out: [(String, [String: JSONValue])] = []
        switch value {
        case .object(let object):
            for type in object.keys.sorted() {
                switch object[type] {
                case .object(let body)?: out.append((type, body))
                case .array(let bodies)?:
                    for case .object(let body) in bodies { out.append((type, body)) }
                default: out.append((type, [:]))
                }
            }
        case .array(let elements):
            for element in elements { out += labelledBlocks(element) }
        default:
            break
        }
        return out
    }

    private func duration(_ value: JSONValue, key: String) throws(ConfigurationError) -> Int64 {
        guard let seconds = parseDurationSeconds(value), seconds >= 0 else {
            throw ConfigurationError("invalid value for \(key): \(value.serialized()) (expected a duration such as \"768h\")")
        }
        return seconds
    }

    /// The longest listener timeout accepted: about 285 years, the most NIO's nanosecond `TimeAmount` can hold.
    static let maxTimeoutSeconds: Int64 = 9_000_000_000

    /// A listener timeout: a Vault duration (`"10s"`, `"5m"`, or a number of seconds); 0 turns it off.
    private func timeout(_ value: JSONValue, key: String) throws(ConfigurationError) -> Duration? {
        let seconds = try duration(value, key: key)
        guard seconds <= Self.maxTimeoutSeconds else {
            throw ConfigurationError("invalid value for \(key): \(value.serialized()) (too long)")
        }
        return seconds == 0 ? nil : .seconds(seconds)
    }

    private func string(_ value: JSONValue, key: String) throws(ConfigurationError) -> String {
        switch value {
        case .string(let s): return s
        case .int, .double, .bool: return stringify(value)
        default: throw ConfigurationError("invalid value for \(key): expected a string")
        }
    }

    private func bool(_ value: JSONValue, key: String) throws(ConfigurationError) -> Bool {
        guard let b = value.boolValue else {
            throw ConfigurationError("invalid value for \(key): \(value.serialized()) (expected a boolean)")
        }
        return b
    }

    private func stringify(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .null: return ""
        default: return value.serialized()
        }
    }
}
