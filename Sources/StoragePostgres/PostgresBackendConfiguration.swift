import CofferPostgres
import CofferSDK

/// The settings of ``PostgresBackend``: Vault's `storage "postgresql" { … }` stanza.
///
/// `connectionURL` is a libpq connection string: `postgres://` or `postgresql://` with `user:password@host:port/dbname`
/// and the query parameters `sslmode` (`disable`, `allow`, `prefer`, `require`, `verify-ca`, `verify-full`),
/// `sslrootcert=FILE` (the CA for `verify-ca`/`verify-full`), `sslcert`/`sslkey` and `connect_timeout` (seconds), or the
/// same as libpq `key=value` pairs. Its `description` never shows the password.
///
/// ```swift
/// let configuration = try PostgresBackendConfiguration(options: [
///     "connection_url": "postgresql://coffer:secret@db:5432/coffer?sslmode=verify-full&sslrootcert=/etc/coffer/pg-ca.pem",
///     "ha_enabled": "true",
/// ])
/// ```
public struct PostgresBackendConfiguration: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public static let defaultTable = "coffer_kv_store"
    public static let defaultHATable = "coffer_ha_locks"
    public static let defaultMaxParallel = 16
    public static let defaultMaxConnectRetries = 1
    public static let defaultApplicationName = "coffer"

    /// `connection_url`: where and how to connect (holds the password: never logged).
    public var connectionURL: String
    /// `table`: the key/value table, `name` or `schema.name` (identifier characters only).
    public var table: String
    /// `ha_enabled`: whether the node takes part in HA election through `haTable`.
    public var haEnabled: Bool
    /// `ha_table`: the HA lock table.
    public var haTable: String
    /// `max_parallel`: the most connections open at once.
    public var maxParallel: Int
    /// `max_connect_retries`: how many times a failed connection attempt is retried (with backoff) before the
    /// operation that needed it fails.
    public var maxConnectRetries: Int
    /// `skip_create_table`: do not create the tables; they must exist.
    public var skipCreateTable: Bool
    /// The `application_name` of every connection (to tell Coffer's sessions apart in `pg_stat_activity`).
    public var applicationName: String

    public init(
        connectionURL: String, table: String = defaultTable, haEnabled: Bool = false, haTable: String = defaultHATable,
        maxParallel: Int = defaultMaxParallel, maxConnectRetries: Int = defaultMaxConnectRetries, skipCreateTable: Bool = false,
        applicationName: String = defaultApplicationName
    ) {
        self.connectionURL = connectionURL
        self.table = table
        self.haEnabled = haEnabled
        self.haTable = haTable
        self.maxParallel = maxParallel
        self.maxConnectRetries = maxConnectRetries
        self.skipCreateTable = skipCreateTable
        self.applicationName = applicationName
    }

    /// Reads the options of a `storage "postgresql"` stanza as Vault does (every value a string; unknown keys ignored;
    /// empty values mean the default).
    public init(options: [String: String]) throws(PhysicalError) {
        func value(_ key: String) -> String? { options[key].flatMap { $0.isEmpty ? nil : $0 } }
        func bool(_ key: String) throws(PhysicalError) -> Bool {
            guard let v = value(key) else { return false }
            switch v.lowercased() {
            case "true", "1", "t": return true
            case "false", "0", "f": return false
            default: throw PhysicalError("postgresql: \(key) must be a boolean, got \"\(v)\"")
            }
        }
        func int(_ key: String, _ defaultValue: Int, minimum: Int) throws(PhysicalError) -> Int {
            guard let v = value(key) else { return defaultValue }
            guard let n = Int(v), n >= minimum else { throw PhysicalError("postgresql: \(key) must be an integer >= \(minimum), got \"\(v)\"") }
            return n
        }
        guard let url = value("connection_url") else { throw PhysicalError("postgresql: connection_url is required") }
        self.init(
            connectionURL: url, table: value("table") ?? Self.defaultTable, haEnabled: try bool("ha_enabled"),
            haTable: value("ha_table") ?? Self.defaultHATable, maxParallel: try int("max_parallel", Self.defaultMaxParallel, minimum: 1),
            maxConnectRetries: try int("max_connect_retries", Self.defaultMaxConnectRetries, minimum: 0),
            skipCreateTable: try bool("skip_create_table"))
    }

    /// The connection URL parsed; a failure names the problem, never the password.
    func connectionInfo() throws(PhysicalError) -> ConnectionInfo {
        do {
            return try ConnectionInfo.parse(connectionURL)
        } catch {
            throw PhysicalError("postgresql: \(error.message)")
        }
    }

    public var description: String {
        let url = (try? ConnectionInfo.parse(connectionURL))?.description ?? "<invalid connection_url>"
        return "postgresql(connection_url: \(url), table: \(table), ha_enabled: \(haEnabled), ha_table: \(haTable), "
            + "max_parallel: \(maxParallel), max_connect_retries: \(maxConnectRetries), skip_create_table: \(skipCreateTable))"
    }

    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }
}
