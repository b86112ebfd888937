import NIOSSL
import PostgresNIO

extension ConnectionInfo {
    /// The TLS settings libpq would use for `sslmode`, `sslrootcert`, `sslcert` and `sslkey`; nil for `disable`.
    ///
    /// `verify-full` checks the chain and the host name, `verify-ca` the chain only, the other modes nothing.
    public func tlsConfiguration() throws -> TLSConfiguration? {
        switch sslMode {
        case .disable: return nil
        case .allow, .prefer, .require, .verifyCA, .verifyFull:
            var tls = TLSConfiguration.makeClientConfiguration()
            switch sslMode {
            case .verifyFull: tls.certificateVerification = .fullVerification
            case .verifyCA: tls.certificateVerification = .noHostnameVerification
            default: tls.certificateVerification = .none
            }
            if let root = sslRootCert, !root.isEmpty {
                tls.trustRoots = .file(root)
            }
            if let cert = sslCert, let key = sslKey, !cert.isEmpty, !key.isEmpty {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            }
            return tls
        }
    }

    /// Whether a server that refuses TLS must be refused too (`require`, `verify-ca`, `verify-full`).
    public var isTLSEnforced: Bool { sslMode == .require || sslMode == .verifyCA || sslMode == .verifyFull }

    /// The server name sent for SNI and checked by verify-full: the host unless it is an IP address.
    public var tlsServerName: String? {
        if host.contains(":") || host.split(separator: ".").allSatisfy({ Int($0) != nil }) { return nil }
        return host
    }

    /// The TLS setting of a single connection (its SSL context built, which reads the certificate files).
    public func connectionTLS() throws -> PostgresConnection.Configuration.TLS {
        guard let t = try tlsConfiguration() else { return .disable }
        let context = try NIOSSLContext(configuration: t)
        return isTLSEnforced ? .require(context) : .prefer(context)
    }

    /// A single connection's configuration with `tls` (from ``connectionTLS()``, which can be built once and shared).
    public func connectionConfiguration(tls: PostgresConnection.Configuration.TLS, connectTimeout seconds: Int) -> PostgresConnection.Configuration {
        var c = PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
        c.options.connectTimeout = .seconds(Int64(seconds))
        c.options.tlsServerName = tlsServerName
        return c
    }
}
