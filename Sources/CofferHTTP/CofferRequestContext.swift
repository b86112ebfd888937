import CofferSDK
import Hummingbird
import NIOCore

/// The request context: Hummingbird's core context plus the client's address (for CIDR-bound tokens and secret IDs)
/// and, on a TLS listener, the certificates the client presented (for the `cert` auth method).
public struct CofferRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// Nil on a plain HTTP listener.
    public let tls: TLSConnectionState?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.tls = TLSPeerCertificates.current?.state
    }
}
