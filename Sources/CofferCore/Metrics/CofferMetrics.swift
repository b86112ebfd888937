import CofferSDK
import CoreMetrics
import Foundation
import Prometheus
import Synchronization

/// The server's metrics, through swift-metrics handles backed by a Prometheus registry owned by this core (so that
/// several cores in one process, as in tests, keep separate figures).
///
/// Labels are drawn from small fixed sets: mount type, operation, auth method type, status class, device type.
/// Never a path, a token, an accessor, a key name or any other value a client chooses.
public final class CofferMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    private let handles = Mutex<[String: AnyObject]>([:])

    /// The names the server exports, for documentation and for the alert-rule test.
    public static let names: [String] = [
        "coffer_request_duration_seconds", "coffer_requests_total", "coffer_token_creations_total", "coffer_tokens",
        "coffer_leases", "coffer_lease_expirations_total", "coffer_logins_total", "coffer_core_unsealed",
        "coffer_audit_write_failures_total", "coffer_storage_operation_duration_seconds", "coffer_barrier_key_term",
        "coffer_barrier_encryptions", "coffer_audit_devices", "coffer_build_info", "coffer_lease_revocations_total",
        "coffer_leases_irrevocable", "coffer_rotations_total", "coffer_ha_active", "coffer_ha_transitions_total",
        "coffer_ha_standby_requests_total",
    ]

    public init() {
        registry = PrometheusCollectorRegistry()
        var f = PrometheusMetricsFactory(registry: registry)
        // Requests take tens of microseconds to a few milliseconds: buckets from 50 µs.
        f.defaultDurationHistogramBuckets = [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
        ]
        factory = f
    }

    /// Handles are made once per (kind, label, dimensions) and kept: the factory's own lookup takes a lock and
    /// sorts labels, which the request path should not pay each time.
    private func handle<M: AnyObject>(_ kind: String, _ label: String, _ dims: [(String, String)], make: () -> M) -> M {
        var k = kind + "\u{0}" + label
        for (a, b) in dims { k += "\u{1}" + a + "\u{2}" + b }
        return handles.withLock { h in
            if let x = h[k] as? M { return x }
            let x = make()
            h[k] = x
            return x
        }
    }

    func counter(_ label: String, _ dims: [(String, String)] = []) -> CoreMetrics.Counter {
        handle("c", label, dims) { CoreMetrics.Counter(label: label, dimensions: dims, factory: factory) }
    }

    func timer(_ label: String, _ dims: [(String, String)] = []) -> CoreMetrics.Timer {
        handle("t", label, dims) { CoreMetrics.Timer(label: label, dimensions: dims, factory: factory) }
    }

    func gauge(_ label: String, _ dims: [(String, String)] = []) -> CoreMetrics.Gauge {
        handle("g", label, dims) { CoreMetrics.Gauge(label: label, dimensions: dims, factory: factory) }
    }

    /// One handled request. `mountType` is the mount's type (`kv`, `system`, `token`...), never its path.
    func request(mountType: String, operation: CofferSDK.Operation, status: Int, nanoseconds: Int64) {
        let op = operation.rawValue
        timer("coffer_request_duration_seconds", [("mount_type", mountType), ("operation", op)]).recordNanoseconds(nanoseconds)
        let cls: String
        switch status {
        case 200..<300: cls = "2xx"
        case 400..<500: cls = "4xx"
        default: cls = "5xx"
        }
        counter("coffer_requests_total", [("mount_type", mountType), ("operation", op), ("code", cls)]).increment()
    }

    func login(method: String, succeeded: Bool) {
        counter("coffer_logins_total", [("auth_method", method), ("result", succeeded ? "success" : "failure")]).increment()
    }

    func tokenCreated(authMethod: String, type: String) {
        counter("coffer_token_creations_total", [("auth_method", authMethod), ("token_type", type)]).increment()
    }

    func leasesExpired(_ n: Int) {
        if n > 0 { counter("coffer_lease_expirations_total").increment(by: n) }
    }

    /// Engine leases revoked at their source (expired, revoked by a client, or with their token or mount).
    func leasesRevoked(_ n: Int) {
        if n > 0 { counter("coffer_lease_revocations_total").increment(by: n) }
    }

    /// A scheduled rotation (a database static role's password) ran: `success` or `failure`.
    func rotation(succeeded: Bool) {
        counter("coffer_rotations_total", [("result", succeeded ? "success" : "failure")]).increment()
    }

    /// This node of an HA cluster became `active` or went back to `standby`.
    func haTransition(to role: String) {
        counter("coffer_ha_transitions_total", [("to", role)]).increment()
        gauge("coffer_ha_active").record(role == "active" ? 1 : 0)
    }

    /// A request a read-serving standby received: `served` itself, or `forwarded` to the active node.
    func standbyRequest(_ outcome: String) {
        counter("coffer_ha_standby_requests_total", [("outcome", outcome)]).increment()
    }

    func auditFailure(deviceType: String, kind: String) {
        counter("coffer_audit_write_failures_total", [("device_type", deviceType), ("kind", kind)]).increment()
    }

    func storage(_ operation: String, nanoseconds: Int64) {
        timer("coffer_storage_operation_duration_seconds", [("operation", operation)]).recordNanoseconds(nanoseconds)
    }

    func set(_ label: String, _ value: Double) { gauge(label).record(value) }

    /// Counters that should read 0 before the first event, so alert rules and dashboards find the series.
    func registerDefaults() {
        for m in ["userpass", "approle", "jwt", "oidc", "token"] {
            _ = counter("coffer_logins_total", [("auth_method", m), ("result", "success")])
            _ = counter("coffer_logins_total", [("auth_method", m), ("result", "failure")])
        }
        for t in ["file", "socket", "syslog"] {
            _ = counter("coffer_audit_write_failures_total", [("device_type", t), ("kind", "request")])
            _ = counter("coffer_audit_write_failures_total", [("device_type", t), ("kind", "response")])
        }
        _ = counter("coffer_lease_expirations_total")
        _ = counter("coffer_lease_revocations_total")
        _ = counter("coffer_rotations_total", [("result", "success")])
        _ = counter("coffer_rotations_total", [("result", "failure")])
        _ = counter("coffer_ha_transitions_total", [("to", "active")])
        _ = counter("coffer_ha_transitions_total", [("to", "standby")])
        _ = counter("coffer_ha_standby_requests_total", [("outcome", "served")])
        _ = counter("coffer_ha_standby_requests_total", [("outcome", "forwarded")])
        for g in ["coffer_tokens", "coffer_leases", "coffer_core_unsealed", "coffer_barrier_key_term", "coffer_barrier_encryptions", "coffer_audit_devices", "coffer_leases_irrevocable", "coffer_ha_active"] {
            _ = gauge(g)
        }
        // The usual build-info gauge: always 1, the versions in its labels (a fixed pair, not chosen by a client).
        gauge("coffer_build_info", [("version", CofferVersion.version), ("api_version", CofferVersion.apiVersion)]).record(1)
    }

    /// The Prometheus text exposition (format 0.0.4).
    public func prometheusText() -> String { registry.emitToString() }

    /// The same figures in the JSON shape of Vault's in-memory sink (`Gauges`, `Counters`, `Samples`).
    public func json(now: Date) -> JSONValue {
        var types: [String: String] = [:]
        var gauges: [JSONValue] = []
        var counters: [JSONValue] = []
        var samples: [String: (labels: [String: JSONValue], count: Double, sum: Double)] = [:]
        var sampleOrder: [String] = []
        for line in prometheusText().split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                if parts.count >= 4 { types[String(parts[2])] = String(parts[3]) }
                continue
            }
            if line.hasPrefix("#") || line.isEmpty { continue }
            guard let (name, labels, value) = Self.parseSample(String(line)) else { continue }
            if let t = types[name] {
                let labelObject = JSONValue.object(labels.mapValues { .string($0) })
                if t == "gauge" {
                    gauges.append(["Name": .string(name), "Value": .double(value), "Labels": labelObject])
                } else if t == "counter" {
                    counters.append([
                        "Name": .string(name), "Count": .int(Int64(value)), "Rate": .double(0), "Sum": .double(value),
                        "Min": .double(value > 0 ? 1 : 0), "Max": .double(value > 0 ? 1 : 0), "Mean": .double(value > 0 ? 1 : 0),
                        "Stddev": .double(0), "Labels": labelObject,
                    ])
                }
                continue
            }
            // Histogram series: name_bucket / name_count / name_sum.
            for suffix in ["_count", "_sum"] where name.hasSuffix(suffix) {
                let base = String(name.dropLast(suffix.count))
                guard types[base] == "histogram" else { continue }
                let key = base + "|" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                if samples[key] == nil {
                    samples[key] = (labels.mapValues { .string($0) }, 0, 0)
                    sampleOrder.append(key)
                }
                if suffix == "_count" { samples[key]!.count = value } else { samples[key]!.sum = value }
            }
        }
        var out: [JSONValue] = []
        for key in sampleOrder {
            guard let s = samples[key] else { continue }
            let name = String(key.prefix { $0 != "|" })
            out.append([
                "Name": .string(name), "Count": .int(Int64(s.count)), "Sum": .double(s.sum), "Mean": .double(s.count > 0 ? s.sum / s.count : 0),
                "Rate": .double(0), "Labels": .object(s.labels),
            ])
        }
        return [
            "Timestamp": .string(formatVaultTime(now)), "Gauges": .array(gauges), "Counters": .array(counters), "Samples": .array(out),
            "Points": .array([]),
        ]
    }

    /// `name{a="x",b="y"} 1.5` → (name, labels, value).
    static func parseSample(_ line: String) -> (String, [String: String], Double)? {
        var labels: [String: String] = [:]
        let name: String
        let rest: Substring
        if let brace = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}") {
            name = String(line[..<brace])
            let inner = line[line.index(after: brace)..<close]
            var i = inner.startIndex
            while i < inner.endIndex {
                guard let eq = inner[i...].firstIndex(of: "=") else { break }
                let k = inner[i..<eq].trimmingCharacters(in: CharacterSet(charactersIn: ", "))
                var j = inner.index(eq, offsetBy: 2, limitedBy: inner.endIndex) ?? inner.endIndex
                var v = ""
                while j < inner.endIndex && inner[j] != "\"" {
                    if inner[j] == "\\", inner.index(after: j) < inner.endIndex {
                        j = inner.index(after: j)
                    }
                    v.append(inner[j])
                    j = inner.index(after: j)
                }
                labels[k] = v
                i = j < inner.endIndex ? inner.index(after: j) : j
            }
            rest = line[line.index(after: close)...]
        } else {
            guard let sp = line.firstIndex(of: " ") else { return nil }
            name = String(line[..<sp])
            rest = line[sp...]
        }
        guard let value = Double(rest.trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") else { return nil }
        return (name, labels, value)
    }
}

/// Times every physical storage operation into `coffer_storage_operation_duration_seconds`.
struct TimedPhysicalBackend: PhysicalBackend {
    let inner: any PhysicalBackend
    let metrics: CofferMetrics

    private func timed<T>(_ op: String, _ body: () async throws -> T) async rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { metrics.storage(op, nanoseconds: Int64(DispatchTime.now().uptimeNanoseconds - start)) }
        return try await body()
    }

    func get(_ key: String) async throws -> Data? { try await timed("get") { try await inner.get(key) } }
    func put(_ key: String, _ value: Data) async throws { try await timed("put") { try await inner.put(key, value) } }
    func delete(_ key: String) async throws { try await timed("delete") { try await inner.delete(key) } }
    func list(prefix: String) async throws -> [String] { try await timed("list") { try await inner.list(prefix: prefix) } }
    func transaction(_ operations: [StorageOperation]) async throws { try await timed("transaction") { try await inner.transaction(operations) } }
    func close() async throws { try await inner.close() }
}
