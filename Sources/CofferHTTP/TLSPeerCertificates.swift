import CofferSDK
import Synchronization

/// The client certificates of one TLS connection, written by the TLS handler's verification callback during the
/// handshake and read by each request on that connection.
///
/// The listener's TLS channel makes one per connection and serves the connection's requests with it bound to
/// ``current``, so that the request context (built in the same task) can read it without another hop to the
/// connection's event loop:
///
/// ```swift
/// let peer = TLSPeerCertificates()
/// // in the handshake: peer.record(chain)
/// await TLSPeerCertificates.$current.withValue(peer) { await serveRequests() }
/// ```
public final class TLSPeerCertificates: Sendable {
    /// The connection being served by the current task, nil on a plain HTTP listener.
    @TaskLocal public static var current: TLSPeerCertificates?

    private let chain = Mutex<[[UInt8]]>([])

    public init() {}

    /// Records the chain the client presented (DER, its own certificate first), unverified.
    public func record(_ certificates: [[UInt8]]) {
        chain.withLock { $0 = certificates }
    }

    /// The connection as a request sees it.
    public var state: TLSConnectionState {
        TLSConnectionState(peerCertificates: chain.withLock { $0 })
    }
}
