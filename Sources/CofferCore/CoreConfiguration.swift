import CofferSDK

/// Settings the core needs from the server configuration.
public struct CoreConfiguration: Sendable {
    public var defaultLeaseTTL: Int64
    public var maxLeaseTTL: Int64
    public var storageType: String
    public var clusterName: String
    /// Audit devices declared in the configuration file, enabled at unseal.
    public var auditDevices: [AuditDeviceConfig]
    /// `telemetry { prometheus_retention_time = "0" }` turns the Prometheus format of `sys/metrics` off.
    public var prometheusEnabled: Bool

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
    }
}
