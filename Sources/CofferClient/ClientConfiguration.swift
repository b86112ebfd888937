/// Where and how a ``VaultClient`` connects.
public struct ClientConfiguration: Sendable {
    /// Base address, e.g. `https://127.0.0.1:8200`.
    public var address: String
    /// Token sent as `X-Vault-Token`, if any.
    public var token: String?
    /// PEM file with the CA certificate(s) to trust instead of the system roots (`VAULT_CACERT`).
    public var caCertFile: String?
    /// Directory of PEM CA certificates to trust (`VAULT_CAPATH`).
    public var caPath: String?
    /// Disable TLS certificate verification (`VAULT_SKIP_VERIFY`).
    public var tlsSkipVerify: Bool
    /// Server name for SNI and verification (`VAULT_TLS_SERVER_NAME`).
    public var tlsServerName: String?
    /// Time allowed for a whole request.
    public var timeout: Duration
    /// Response-wrapping TTL sent as `X-Vault-Wrap-TTL` with every request (`-wrap-ttl`, `VAULT_WRAP_TTL`), e.g. `5m0s`.
    public var wrapTTL: String?

    public init(
        address: String = "https://127.0.0.1:8200",
        token: String? = nil,
        caCertFile: String? = nil,
        caPath: String? = nil,
        tlsSkipVerify: Bool = false,
        tlsServerName: String? = nil,
        timeout: Duration = .seconds(60),
        wrapTTL: String? = nil
    ) {
        self.address = address
        self.token = token
        self.caCertFile = caCertFile
        self.caPath = caPath
        self.tlsSkipVerify = tlsSkipVerify
        self.tlsServerName = tlsServerName
        self.timeout = timeout
        self.wrapTTL = wrapTTL
    }
}
