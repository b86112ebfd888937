import CCofferNIOSSLShim
import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// TLS in front of the listener's HTTP channel, like HummingbirdTLS's `TLSChannel`, but on an `NIOSSLContext` built
/// here so that the server's TLS 1.2 cipher suite order is honoured (`SSL_OP_CIPHER_SERVER_PREFERENCE`, which
/// swift-nio-ssl does not expose), and with a client certificate requested but not required. The cluster listener
/// uses it with a handler made per connection from the cluster identity of the moment.
struct ListenerTLSChannel<BaseChannel: ServerChildChannel>: ServerChildChannel {
    typealias Value = BaseChannel.Value

    /// Makes the TLS handler of each new connection; when it throws, the connection is closed at once.
    let makeHandler: @Sendable () throws -> NIOSSLServerHandler
    let baseChannel: BaseChannel

    /// The API listener: a client certificate is optional and not used for authorization, so any presented chain is
    /// accepted.
    init(_ baseChannel: BaseChannel, sslContext: NIOSSLContext) {
        self.init(baseChannel) {
            NIOSSLServerHandler(context: sslContext, customVerificationCallback: { _, promise in promise.succeed(.certificateVerified) })
        }
    }

    init(_ baseChannel: BaseChannel, makeHandler: @escaping @Sendable () throws -> NIOSSLServerHandler) {
        self.baseChannel = baseChannel
        self.makeHandler = makeHandler
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            do {
                try channel.pipeline.syncOperations.addHandler(try makeHandler())
            } catch {
                channel.close(promise: nil)
                throw error
            }
        }.flatMap {
            baseChannel.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await baseChannel.handle(value: value, logger: logger)
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
