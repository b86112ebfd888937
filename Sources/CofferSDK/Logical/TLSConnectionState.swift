/// What a request's TLS connection tells about the client, as OpenBao's `logical.Connection.ConnState` does.
///
/// The listener asks for a client certificate but neither requires nor verifies it (Vault's default,
/// `tls_require_and_verify_client_cert = false`): whoever reads ``peerCertificates`` must verify them itself, as the
/// `cert` auth method does.
///
/// ```swift
/// guard let leaf = request.tls?.peerCertificates.first else { throw LogicalError.invalidRequest("no client certificate found") }
/// ```
public struct TLSConnectionState: Sendable, Equatable {
    /// The certificates the client presented, DER-encoded, its own first; empty when it sent none. Unverified.
    public var peerCertificates: [[UInt8]]

    public init(peerCertificates: [[UInt8]] = []) {
        self.peerCertificates = peerCertificates
    }
}
