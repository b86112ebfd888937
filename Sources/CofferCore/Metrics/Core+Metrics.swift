import CofferSDK
import Foundation

extension Core {
    /// Brings the gauges up to date: seal state, barrier key term and encryptions, token and lease counts.
    public func refreshGauges() async {
        metrics.set("coffer_core_unsealed", isSealed ? 0 : 1)
        metrics.set("coffer_audit_devices", Double(audit.all.count))
        guard !isSealed else { return }
        if let term = try? barrier.activeTerm() { metrics.set("coffer_barrier_key_term", Double(term.term)) }
        metrics.set("coffer_barrier_encryptions", Double(barrier.encryptions))
        metrics.set("coffer_leases", Double(tokens.leaseCount + leases.count))
        metrics.set("coffer_leases_irrevocable", Double(leases.irrevocable().count))
        if let n = try? await tokens.count() { metrics.set("coffer_tokens", Double(n)) }
    }

    /// `sys/metrics`: JSON in the shape of Vault's in-memory sink, or `?format=prometheus` text. The body is sent
    /// as is, not in the response envelope, as Vault does.
    public func metricsResponse(format: String) async throws -> CoreResponse {
        await refreshGauges()
        switch format {
        case "prometheus":
            guard configuration.prometheusEnabled else { throw LogicalError.invalidRequest("prometheus is not enabled") }
            return CoreResponse(data: [
                "http_status_code": 200, "http_content_type": "text/plain; version=0.0.4",
                "http_raw_body": .string(metrics.prometheusText()),
            ])
        case "", "json":
            return CoreResponse(data: [
                "http_status_code": 200, "http_content_type": "application/json",
                "http_raw_body": .string(metrics.json(now: now()).serialized()),
            ])
        default:
            throw LogicalError.invalidRequest("unknown format \"\(format)\": use prometheus or json")
        }
    }
}
