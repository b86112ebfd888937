import CofferSDK
import CofferHCL
import CofferCore
import Foundation

/// The server's configuration file, in Vault's format (HCL or JSON).
///
/// ```hcl
/// storage "sqlite" { path = "/var/lib/coffer/coffer.db" }
/// listener "tcp" {
///   address     = "127.0.0.1:8200"
///   tls_disable = true
/// }
/// default_lease_ttl = "768h"
/// ```
public struct ServerConfiguration: Sendable, Hashable {
    /// The physical storage backend: `storage "<type>" { … }` or the older `backend "<type>" { … }`.
    public struct Storage: Sendable, Hashable {
        public var type: String
        /// Every option of the block, stringified (`path`, …).
        public var options: [String: String]

        public init(type: String, options: [String: String] = [:]) {
            self.type = type
            self.options = options
        }

        public var path: String? { options["path"] }
    }

    /// A `listener "tcp" { … }` block.
    public struct Listener: Sendable, Hashable {
        public var type = "tcp"
        public var address = Listener.defaultAddress
        public var tlsDisable = false
        public var tlsCertFile: String?
        public var tlsKeyFile: String?
        public var tlsMinVersion: String?
        /// Every other key of the block, stringified.
        public var options: [String: String] = [:]
        /// `telemetry { unauthenticated_metrics_access = true }`: `sys/metrics` without a token on this listener.
        public var unauthenticatedMetricsAccess = false
        /// `http_read_header_timeout` (Vault's default 10s): a request head must arrive within it, counted from the
        /// connection's accept and then from each request's first byte. `nil` (configured as 0) for none.
        public var readHeaderTimeout: Duration? = Listener.defaultReadHeaderTimeout
        /// `http_idle_timeout` (Vault's default 5m): how long a keep-alive connection may wait for its next request.
        /// `nil` (configured as 0) for none.
        public var idleTimeout: Duration? = Listener.defaultIdleTimeout

        public static let defaultAddress = "127.0.0.1:8200"
        public static let defaultReadHeaderTimeout: Duration = .seconds(10)
        public static let defaultIdleTimeout: Duration = .seconds(300)
    }

    /// Storage types this server knows.
    public static let supportedStorageTypes: Set<String> = ["inmem", "sqlite", "postgresql"]
    /// The options each storage type reads; any other key in its block is warned about.
    static let storageOptions: [String: Set<String>] = [
        "inmem": [], "sqlite": ["path"],
        "postgresql": ["connection_url", "table", "ha_enabled", "ha_table", "max_parallel", "max_connect_retries", "skip_create_table"],
    ]
    /// 768h, Vault's default for both lease TTLs.
    public static let defaultLeaseTTLSeconds: Int64 = 2_764_800

    public var storage: Storage?
    public var listeners: [Listener] = []
    /// Seconds.
    public var defaultLeaseTTL: Int64 = ServerConfiguration.defaultLeaseTTLSeconds
    /// Seconds.
    public var maxLeaseTTL: Int64 = ServerConfiguration.defaultLeaseTTLSeconds
    public var apiAddr: String?
    public var clusterAddr: String?
    public var ui: Bool = false
    public var disableMlock: Bool = false
    /// OpenBao's `disable_standby_reads`: standbys of an HA cluster forward every request instead of serving reads.
    public var disableStandbyReads: Bool = false
    public var logLevel: String?
    /// `standard` or `json`.
    public var logFormat: String?
    public var pidFile: String?
    /// `audit "type" "path" { … }` blocks.
    public var auditDevices: [AuditDeviceConfig] = []
    /// The `telemetry { … }` block, stringified.
    public var telemetry: [String: String] = [:]

    /// False when `telemetry { prometheus_retention_time = "0" }` turns the Prometheus format off.
    public var prometheusEnabled: Bool {
        guard let r = telemetry["prometheus_retention_time"] else { return true }
        return (parseDurationSeconds(.string(r)) ?? 1) != 0
    }

    public init() {}

    /// Reads and parses a configuration file.
    ///
    /// - Returns: The configuration and warnings (such as unknown keys) to log.
    /// - Throws: ``ConfigurationError`` when the file can't be read, doesn't parse (naming the line), or is invalid.
    public static func load(path: String) throws(ConfigurationError) -> (ServerConfiguration, warnings: [String]) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError("error loading configuration from \(path): \(error.localizedDescription)")
        }
        return try parse(text: text, fileName: path)
    }

    /// Parses configuration text: JSON when `fileName` ends in `.json` or the text starts with `{`, HCL otherwise.
    public static func parse(text: String, fileName: String = "config.hcl") throws(ConfigurationError) -> (
        ServerConfiguration, warnings: [String]
    ) {
        let document: JSONValue
        var sourceMap = HCLSourceMap()
        do {
            if fileName.lowercased().hasSuffix(".json") || HCL.isJSON(text) {
                document = try HCL.parseJSON(text)
            } else {
                (document, sourceMap) = try HCL.parseWithSourceMap(text)
            }
        } catch {
            throw ConfigurationError("error parsing \(fileName): \(error.description)")
        }
        guard let top = document.objectValue else {
            throw ConfigurationError("error parsing \(fileName): the configuration must be an object")
        }
        var reader = ConfigurationReader(fileName: fileName, sourceMap: sourceMap)
        let configuration = try reader.read(top)
        return (configuration, reader.warnings)
    }
}

/// A configuration file that can't be used. ``description`` names the file and, for syntax errors, the line.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
