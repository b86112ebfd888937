import CofferSDK

/// Stands in for a mount whose data is being converted (kv version 1 to 2): every request gets OpenBao's answer.
struct UpgradingEngine: SecretsEngine {
    func handle(_ request: LogicalRequest) async throws -> LogicalResponse? {
        throw LogicalError.invalidRequest(
            "Upgrading from non-versioned to versioned data. This backend will be unavailable for a brief period and will resume service shortly.")
    }
}
