import CofferSDK

/// `config`: options of the whole mount.
struct CertConfig: Equatable {
    /// Renewal skips checking that the client presents the login's certificate identity.
    var disableBinding = false
    /// The login's certificate metadata is also the identity alias's.
    var enableIdentityAliasMetadata = false
    /// Accepted and shown; Coffer keeps no OCSP cache.
    var ocspCacheSize: Int64 = 0

    static let storageKey = "config"

    var data: [String: JSONValue] {
        [
            "disable_binding": .bool(disableBinding), "enable_identity_alias_metadata": .bool(enableIdentityAliasMetadata),
            "ocsp_cache_size": .int(ocspCacheSize),
        ]
    }

    init() {}

    init(stored o: [String: JSONValue]) {
        disableBinding = o["disable_binding"]?.boolValue ?? false
        enableIdentityAliasMetadata = o["enable_identity_alias_metadata"]?.boolValue ?? false
        ocspCacheSize = o["ocsp_cache_size"]?.intValue ?? 0
    }
}

extension CertAuth {
    /// The stored configuration, or the defaults (all off, as OpenBao answers before any write).
    func loadConfig(_ storage: any LogicalStorage) async throws -> CertConfig {
        guard let v = try await storage.getJSON(CertConfig.storageKey) else { return CertConfig() }
        return CertConfig(stored: v.objectValue ?? [:])
    }

    func readConfig(_ request: PathRequest) async throws -> LogicalResponse? {
        LogicalResponse(data: try await loadConfig(request.storage).data)
    }

    func writeConfig(_ request: PathRequest) async throws -> LogicalResponse? {
        try await lock.withLock {
            var config = try await loadConfig(request.storage)
            if let v = try request.fields.boolIfSet("disable_binding") { config.disableBinding = v }
            if let v = try request.fields.boolIfSet("enable_identity_alias_metadata") { config.enableIdentityAliasMetadata = v }
            if let v = try request.fields.intIfSet("ocsp_cache_size") {
                guard (2...100_000).contains(v) else { throw CertErrors.invalidCacheSize }
                config.ocspCacheSize = v
            }
            try await request.storage.putJSON(CertConfig.storageKey, .object(config.data))
        }
        return nil
    }
}
