import CofferSDK
import Foundation

/// Settings the core needs from the server configuration.
public struct CoreConfiguration: Sendable {
    public var defaultLeaseTTL: Int64
    public var maxLeaseTTL: Int64
    public var storageType: String
    public var clusterName: String
    /// False when ``clusterName`` was made up here: the core then names the cluster after its stored id, so that every
    /// node of a cluster (and every start of one node) shows the same name.
    public var clusterNameConfigured: Bool
    /// Audit devices declared in the configuration file, enabled at unseal.
    public var auditDevices: [AuditDeviceConfig]
    /// `telemetry { prometheus_retention_time = "0" }` turns the Prometheus format of `sys/metrics` off.
    public var prometheusEnabled: Bool
    /// High availability (`ha_enabled` on a storage backend shared by several nodes); nil for a single node.
    public var ha: HAConfiguration?

    public init(
        defaultLeaseTTL: Int64 = 2_764_800, maxLeaseTTL: Int64 = 2_764_800, storageType: String = "inmem", clusterName: String? = nil,
        auditDevices: [AuditDeviceConfig] = [], prometheusEnabled: Bool = true
    ) {
        self.auditDevices = auditDevices
        self.prometheusEnabled = prometheusEnabled
        self.defaultLeaseTTL = defaultLeaseTTL
        self.maxLeaseTTL = maxLeaseTTL
        self.storageType = storageType
        self.clusterName = clusterName ?? "coffer-cluster-\(RandomID.hex(4))"
        self.clusterNameConfigured = clusterName != nil
    }
}

/// How a node of an HA cluster advertises itself and keeps the lock (``Core``'s election).
public struct HAConfiguration: Sendable {
    /// This node's identity in the lock; random per process unless configured.
    public var nodeID: String
    /// Where clients reach this node (`api_addr`), shown as `leader_address` while it is active.
    public var apiAddress: String
    /// Where the other nodes forward requests to this node (`cluster_addr`, `https://host:port`).
    public var clusterAddress: String
    /// The lock's lease: another node takes over at most this long after the active node stopped renewing.
    public var lockTTL: Duration
    /// How often the active node renews the lock.
    public var renewInterval: Duration
    /// How often a standby tries to take the lock.
    public var retryInterval: Duration
    /// After `sys/step-down`, how long the node leaves the lock to the others.
    public var stepDownPause: Duration
    /// Makes the cluster's TLS identity (``Core/clusterIdentity(make:)``); the first active node stores it before it
    /// serves, so that standbys can forward to it at once.
    public var makeClusterIdentity: (@Sendable () throws -> Data)?
    /// Whether a standby serves reads itself (`disable_standby_reads = false`, the default), keeping its caches
    /// right through the backend's change feed; otherwise it forwards every request.
    public var standbyReads: Bool = true

    public init(
        nodeID: String = RandomID.uuid(), apiAddress: String, clusterAddress: String, lockTTL: Duration = .seconds(6),
        renewInterval: Duration = .seconds(2), retryInterval: Duration = .milliseconds(500), stepDownPause: Duration = .seconds(10)
    ) {
        self.nodeID = nodeID
        self.apiAddress = apiAddress
        self.clusterAddress = clusterAddress
        self.lockTTL = lockTTL
        self.renewInterval = renewInterval
        self.retryInterval = retryInterval
        self.stepDownPause = stepDownPause
    }
}
