import CofferSDK

/// `crls/` and `crls/:name`: revoked serial numbers, checked against every certificate of a login's chain.
extension CertAuth {
    static func crlKey(_ name: String) -> String { "crls/" + name }

    /// The revoked serials of one stored CRL (decimal), or nil.
    func loadCRL(_ storage: any LogicalStorage, _ name: String) async throws -> Set<String>? {
        guard let v = try await storage.getJSON(Self.crlKey(name)) else { return nil }
        return Set(v.objectValue?["serials"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    }

    /// Every revoked serial of every stored CRL.
    func revokedSerials(_ storage: any LogicalStorage) async throws -> Set<String> {
        var all: Set<String> = []
        for name in try await storage.list(prefix: "crls/") {
            all.formUnion(try await loadCRL(storage, name) ?? [])
        }
        return all
    }

    func listCRLs(_ request: PathRequest) async throws -> LogicalResponse? {
        let keys = try await request.storage.list(prefix: "crls/").sorted()
        if keys.isEmpty { throw LogicalError.notFound }
        return LogicalResponse(data: ["keys": .array(keys.map { .string($0) })])
    }

    func readCRL(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try Self.certName(request)
        guard let serials = try await loadCRL(request.storage, name) else { throw CertErrors.noSuchCRL(name) }
        return LogicalResponse(data: ["serials": .object(Dictionary(uniqueKeysWithValues: serials.map { ($0, JSONValue.object([:])) }))])
    }

    func deleteCRL(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try Self.certName(request)
        try await lock.withLock {
            guard try await request.storage.getJSON(Self.crlKey(name)) != nil else { throw CertErrors.noSuchCRL(name) }
            try await request.storage.delete(Self.crlKey(name))
        }
        return nil
    }

    /// Stores the serials of a CRL given as PEM or DER (its signature and dates are not checked, as in OpenBao).
    func writeCRL(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try Self.certName(request)
        let serials: [String]
        if let text = try request.fields.stringIfSet("crl") {
            do {
                serials = try RevocationList(pemOrDER: text).revokedSerials
            } catch {
                throw LogicalError.invalidRequest("failed to parse CRL: \(error)")
            }
        } else if request.fields.has("url") {
            throw CertErrors.crlURLUnsupported
        } else {
            throw CertErrors.missingCRL
        }
        let stored: JSONValue = ["serials": .array(Array(Set(serials)).sorted().map { .string($0) })]
        try await lock.withLock { try await request.storage.putJSON(Self.crlKey(name), stored) }
        return nil
    }
}
