import CofferSDK

/// `certs/` and `certs/:name`: the trusted certificates.
extension CertAuth {
    func loadCert(_ storage: any LogicalStorage, _ name: String) async throws -> CertEntry? {
        guard let v = try await storage.getJSON(CertEntry.storageKey(name.lowercased())) else { return nil }
        return try CertEntry(stored: v)
    }

    static func certName(_ request: PathRequest) throws -> String { try request.fields.string("name").lowercased() }

    /// The names in storage order; `after` starts past a name (which need not exist), `limit` > 0 caps the count.
    func listCerts(_ request: PathRequest) async throws -> LogicalResponse? {
        var keys = try await request.storage.list(prefix: "cert/").sorted()
        let after = try request.fields.string("after")
        if !after.isEmpty { keys = keys.filter { $0 > after } }
        let limit = try request.fields.int("limit")
        if limit > 0 { keys = Array(keys.prefix(Int(clamping: limit))) }
        if keys.isEmpty { throw LogicalError.notFound }
        return LogicalResponse(data: ["keys": .array(keys.map { .string($0) })])
    }

    func readCert(_ request: PathRequest) async throws -> LogicalResponse? {
        guard let cert = try await loadCert(request.storage, try Self.certName(request)) else { throw LogicalError.notFound }
        return LogicalResponse(data: cert.responseData)
    }

    func deleteCert(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try Self.certName(request)
        try await lock.withLock { try await request.storage.delete(CertEntry.storageKey(name)) }
        return nil
    }

    /// Creates or updates a role; the certificate (given now or stored) must parse, and a client certificate must
    /// allow TLS client authentication.
    func writeCert(_ request: PathRequest) async throws -> LogicalResponse? {
        let name = try Self.certName(request)
        try await lock.withLock {
            var cert = try await loadCert(request.storage, name) ?? CertEntry(name: name)
            try cert.apply(request.fields)
            guard let first = PEMBlocks.certificates(cert.certificate).first else { throw CertErrors.failedToParseCertificate }
            if !first.isCA, let usages = first.extendedKeyUsages, !usages.isEmpty, !first.allowsClientAuth {
                throw CertErrors.nonCAWithoutClientAuth
            }
            try await request.storage.putJSON(CertEntry.storageKey(name), cert.stored)
        }
        return nil
    }
}
