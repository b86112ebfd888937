import CCofferNIOSSLShim
import CofferHTTP
import CofferSDK
import HummingbirdCore
import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// TLS in front of the listener's HTTP channel, like HummingbirdTLS's `TLSChannel`, but on an `NIOSSLContext` built
/// here so that the server's TLS 1.2 cipher suite order is honoured (`SSL_OP_CIPHER_SERVER_PREFERENCE`, which
/// swift-nio-ssl does not expose), and with a client certificate requested but not required. The cluster listener
/// uses it with a handler made per connection from the cluster identity of the moment.
///
/// On the API listener the certificates a client presents are accepted unverified and kept for the connection's
/// requests (``TLSPeerCertificates``): verifying them is the `cert` auth method's job, as in Vault, whose listener
/// asks for a client certificate without checking it unless `tls_require_and_verify_client_cert` is set.
struct ListenerTLSChannel<BaseChannel: ServerChildChannel>: ServerChildChannel {
    /// The base channel's value and the connection's client certificates (nil when they are not recorded).
    struct Value: ServerChildChannelValue {
        let base: BaseChannel.Value
        let peer: TLSPeerCertificates?
        var channel: any Channel { base.channel }
    }

    /// Makes the TLS handler of each new connection, given where to record the client's certificates (nil when they
    /// are not recorded); when it throws, the connection is closed at once.
    let makeHandler: @Sendable (TLSPeerCertificates?) throws -> NIOSSLServerHandler
    /// Whether requests see the client's certificates (the API listener) or not (the cluster listener, whose peers
    /// are nodes; a forwarded request carries its client's certificates in a header).
    let recordsPeerCertificates: Bool
    let baseChannel: BaseChannel

    /// The API listener: a client certificate is optional, and any presented chain is accepted and recorded.
    init(_ baseChannel: BaseChannel, sslContext: NIOSSLContext) {
        self.baseChannel = baseChannel
        self.recordsPeerCertificates = true
        self.makeHandler = { peer in
            NIOSSLServerHandler(
                context: sslContext,
                customVerificationCallback: { certificates, promise in
                    peer?.record(certificates.compactMap { try? $0.toDERBytes() })
                    promise.succeed(.certificateVerified)
                })
        }
    }

    init(_ baseChannel: BaseChannel, makeHandler: @escaping @Sendable () throws -> NIOSSLServerHandler) {
        self.baseChannel = baseChannel
        self.recordsPeerCertificates = false
        self.makeHandler = { _ in try makeHandler() }
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let peer = recordsPeerCertificates ? TLSPeerCertificates() : nil
        return channel.eventLoop.makeCompletedFuture {
            do {
                try channel.pipeline.syncOperations.addHandler(try makeHandler(peer))
                if let peer { try channel.pipeline.syncOperations.addHandler(ResumedSessionPeerHandler(peer: peer)) }
            } catch {
                channel.close(promise: nil)
                throw error
            }
        }.flatMap {
            baseChannel.setup(channel: channel, logger: logger)
        }.map { Value(base: $0, peer: peer) }
    }

    /// Serves the connection's requests with its client certificates bound to ``TLSPeerCertificates/current``, where
    /// the request context reads them.
    func handle(value: Value, logger: Logger) async {
        await TLSPeerCertificates.$current.withValue(value.peer) {
            await baseChannel.handle(value: value.base, logger: logger)
        }
    }
}

/// A resumed TLS session skips certificate verification, so the verification callback does not see the client's
/// certificate again: when the handshake completes without one recorded, the session's client certificate (the leaf
/// only; swift-nio-ssl exposes no chain) is recorded instead.
final class ResumedSessionPeerHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    let peer: TLSPeerCertificates

    init(peer: TLSPeerCertificates) {
        self.peer = peer
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            if peer.state.peerCertificates.isEmpty, let leaf = try? context.pipeline.syncOperations.nioSSL_peerCertificate(),
                let der = try? leaf.toDERBytes()
            {
                peer.record([der])
            }
            context.fireUserInboundEventTriggered(event)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

extension ListenerTLSChannel: HTTPChannelHandler where BaseChannel: HTTPChannelHandler {
    var responder: HTTPChannelHandler.Responder { baseChannel.responder }
}

extension CofferServer {
    /// Builds the listener's TLS context from its configuration and makes the server choose the TLS 1.2 suite by its
    /// own order (``makeTLSConfiguration(certFile:keyFile:minVersion:)``), as Vault's guidance and testssl.sh expect.
    ///
    /// swift-nio-ssl keeps the BoringSSL `SSL_CTX` private; it is read by reflection. If a swift-nio-ssl release
    /// renames it, the server refuses to start rather than serve TLS without its cipher order (and the tests fail).
    static func makeSSLContext(_ configuration: TLSConfiguration) throws -> NIOSSLContext {
        let context = try NIOSSLContext(configuration: configuration)
        let pointer = Mirror(reflecting: context).children.first { $0.label == "sslContext" }?.value as? OpaquePointer
        guard let pointer, coffer_ssl_ctx_prefer_server_ciphers(pointer) == 1 else {
            throw StartupError(description: "cannot configure the TLS listener's cipher preference (swift-nio-ssl's context is not reachable)")
        }
        return context
    }
}
