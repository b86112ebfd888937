import AsyncHTTPClient
import CofferCore
import CofferHTTP
import CofferSDK
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization
import SwiftASN1
import X509

/// How the nodes of an HA cluster talk to each other: standbys forward requests to the active node, and tell it they
/// are alive (`sys/ha-status`), over the cluster listener.
///
/// Both ends authenticate with one cluster certificate (self-signed P-256), created by the first active node and kept
/// in the barrier: only a node that unsealed can read it, so only such a node can open or accept a cluster
/// connection (mutual TLS, the certificate as the only trusted root). The addresses in the HA lock are stored in
/// PostgreSQL outside the barrier; someone who can change them still cannot answer as the cluster.
final class ClusterLink: RequestForwarder, Service {
    struct Material {
        var identity: Data
        var serverContext: NIOSSLContext
        var client: HTTPClient
    }

    let core: Core
    let logger: Logger
    private let material = Mutex<Material?>(nil)
    /// How long a forwarded request may take, end to end.
    static let forwardTimeout: TimeAmount = .seconds(90)
    static let echoPath = "/cluster/echo"
    static let maxResponseSize = 64 << 20

    init(core: Core, logger: Logger) {
        self.core = core
        self.logger = logger
    }

    /// The TLS context the cluster listener accepts connections with, once the node unsealed and read the identity.
    var serverContext: NIOSSLContext? { material.withLock { $0?.serverContext } }

    // MARK: Identity

    /// A new cluster identity: a self-signed P-256 certificate for client and server authentication, and its key, as
    /// `{"certificate": PEM, "private_key": PEM}`.
    static func makeIdentity() throws -> Data {
        let key = P256.Signing.PrivateKey()
        let now = Date()
        let name = try DistinguishedName { CommonName("coffer-cluster-" + RandomID.hex(4)) }
        let cert = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(20 * 365 * 86400), issuer: name,
            subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames([.dnsName("coffer-cluster")])
            },
            issuerPrivateKey: .init(key))
        let json: JSONValue = ["certificate": .string(try cert.serializeAsPEM().pemString), "private_key": .string(key.pemRepresentation)]
        return json.serializedData()
    }

    static func makeMaterial(_ identity: Data) throws -> Material {
        let v = try JSONValue.parse(identity)
        guard let certPEM = v["certificate"]?.stringValue, let keyPEM = v["private_key"]?.stringValue else {
            throw PhysicalError("the cluster identity is malformed")
        }
        let cert = try NIOSSLCertificate(bytes: Array(certPEM.utf8), format: .pem)
        let key = try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)
        var server = TLSConfiguration.makeServerConfiguration(certificateChain: [.certificate(cert)], privateKey: .privateKey(key))
        server.minimumTLSVersion = .tlsv13
        server.trustRoots = .certificates([cert])
        // The peer must present the cluster certificate; names do not matter, the certificate is the identity.
        server.certificateVerification = .noHostnameVerification
        var client = TLSConfiguration.makeClientConfiguration()
        client.minimumTLSVersion = .tlsv13
        client.certificateChain = [.certificate(cert)]
        client.privateKey = .privateKey(key)
        client.trustRoots = .certificates([cert])
        client.certificateVerification = .noHostnameVerification
        var config = HTTPClient.Configuration(tlsConfiguration: client)
        config.timeout = .init(connect: .seconds(3), read: forwardTimeout)
        config.connectionPool.retryConnectionEstablishment = false
        config.redirectConfiguration = .disallow
        config.decompression = .disabled
        return Material(
            identity: identity, serverContext: try NIOSSLContext(configuration: server),
            client: HTTPClient(eventLoopGroupProvider: .singleton, configuration: config))
    }

    // MARK: Service

    /// Keeps the identity loaded while unsealed (looking every 100 ms), and while a standby, echoes to the active node
    /// every 2 seconds.
    func run() async throws {
        var ticks = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            ticks += 1
            if core.isSealed {
                await dropMaterial()
            } else {
                _ = await loadMaterial()
            }
            if ticks % 20 == 0, core.haRole == .standby { await echo() }
            try? await Task.sleep(for: .milliseconds(100))
        }
        await dropMaterial()
    }

    /// The material, loaded from the barrier when not loaded yet (nil while no active node created it).
    private func loadMaterial() async -> Material? {
        if let m = material.withLock({ $0 }) { return m }
        do {
            guard let identity = try await core.clusterIdentity(make: Self.makeIdentity) else { return nil }
            let m = try Self.makeMaterial(identity)
            let (kept, extra) = material.withLock { current -> (Material, Material?) in
                if let current { return (current, m) }
                current = m
                return (m, nil)
            }
            if let extra { try? await extra.client.shutdown() }
            return kept
        } catch {
            logger.warning("cannot load the cluster identity", metadata: ["coffer.error": "\(error)"])
            return nil
        }
    }

    private func dropMaterial() async {
        if let old = material.withLock({ m -> Material? in
            defer { m = nil }
            return m
        }) {
            try? await old.client.shutdown()
        }
    }

    private func echo() async {
        guard let leader = core.haLeader, !leader.clusterAddress.isEmpty, let client = material.withLock({ $0?.client }),
            let ha = core.configuration.ha
        else { return }
        var request = HTTPClientRequest(url: leader.clusterAddress + Self.echoPath)
        request.method = .POST
        let body: JSONValue = [
            "node_id": .string(ha.nodeID), "hostname": .string(ProcessInfo.processInfo.hostName), "api_addr": .string(ha.apiAddress),
            "cluster_addr": .string(ha.clusterAddress), "version": .string(CofferVersion.apiVersion),
        ]
        request.body = .bytes(ByteBuffer(bytes: body.serializedBytes()))
        do {
            let response = try await client.execute(request, timeout: .seconds(3))
            _ = try await response.body.collect(upTo: 1 << 16)
        } catch {
            logger.debug("cluster echo failed", metadata: ["coffer.error": "\(error)"])
        }
    }

    // MARK: Forwarding

    /// Hop-by-hop headers (RFC 9110 §7.6.1) and the ones the client library sets itself.
    static let notForwarded: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length",
    ]

    func forward(_ request: Request, remoteAddress: String?, tls: TLSConnectionState?) async throws -> Response {
        guard let leader = core.haLeader, !leader.clusterAddress.isEmpty, let client = await loadMaterial()?.client else {
            throw LogicalError(.status(503), "local node not active but active cluster node not found")
        }
        var out = HTTPClientRequest(url: leader.clusterAddress + request.uri.description)
        let method = request.method.rawValue == CofferResponder.listMethodInside ? "LIST" : request.method.rawValue
        out.method = HTTPMethod(rawValue: method)
        for field in request.headers where !Self.notForwarded.contains(field.name.canonicalName) {
            out.headers.add(name: field.name.rawName, value: field.value)
        }
        out.headers.replaceOrAdd(name: CofferResponder.forwardedForHeader.rawName, value: remoteAddress ?? "")
        // Set here only: a client's own header of that name is never passed on.
        out.headers.remove(name: CofferResponder.forwardedClientCertificatesHeader.rawName)
        if let certificates = CofferResponder.forwardedClientCertificatesValue(tls) {
            out.headers.add(name: CofferResponder.forwardedClientCertificatesHeader.rawName, value: certificates)
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: CofferResponder.maxRequestSize)
        } catch {
            throw LogicalError(.payloadTooLarge, "http: request body too large")
        }
        if body.readableBytes > 0 || request.method == .post || request.method == .put { out.body = .bytes(body) }
        var response: HTTPClientResponse? = nil
        var bytes = ByteBuffer()
        // A connection that could not be made sent nothing, so it is tried again for up to 2 seconds (the active node
        // may be loading its cluster identity, or have just been elected); a failure after that may have been
        // applied and is reported.
        let deadline = ContinuousClock.now + .seconds(2)
        while response == nil {
            do {
                let r = try await client.execute(out, timeout: Self.forwardTimeout)
                bytes = try await r.body.collect(upTo: Self.maxResponseSize)
                response = r
            } catch {
                if Self.isConnectFailure(error), ContinuousClock.now < deadline {
                    try? await Task.sleep(for: .milliseconds(100))
                    if let current = core.haLeader, current.clusterAddress != leader.clusterAddress {
                        out.url = current.clusterAddress + request.uri.description
                    }
                    continue
                }
                logger.warning("forwarding to the active node failed", metadata: ["coffer.error": "\(error)"])
                throw LogicalError(.status(503), "error forwarding the request to the active node")
            }
        }
        guard let response else { throw LogicalError(.status(503), "error forwarding the request to the active node") }
        var headers = HTTPFields()
        for (name, value) in response.headers where !Self.notForwarded.contains(name.lowercased()) {
            if let n = HTTPField.Name(name) { headers.append(HTTPField(name: n, value: value)) }
        }
        let code = Int(response.status.code)
        guard (200...599).contains(code) else {
            throw LogicalError(.status(502), "the active node answered with status \(code)")
        }
        return Response(status: HTTPResponse.Status(code: code), headers: headers, body: .init(byteBuffer: bytes))
    }
}

extension ClusterLink {
    /// A failure to open the connection (refused, timed out, or closed during the TLS handshake): nothing was sent.
    static func isConnectFailure(_ error: any Error) -> Bool {
        if let e = error as? HTTPClientError, e == .connectTimeout { return true }
        if error is NIOConnectionError { return true }
        if let e = error as? ChannelError, case .connectTimeout = e { return true }
        if let e = error as? IOError, e.errnoCode == ECONNREFUSED { return true }
        if error is NIOSSLError { return true }
        return false
    }
}

/// The cluster listener's responder: the echo of standbys, and the API for requests they forward.
struct ClusterResponder: HTTPResponder {
    typealias Context = CofferRequestContext
    let api: CofferResponder
    let core: Core

    func respond(to request: Request, context: Context) async throws -> Response {
        if request.uri.path == ClusterLink.echoPath, request.method == .post {
            var request = request
            let body = try await request.collectBody(upTo: 1 << 16)
            guard let v = try? JSONValue.parse(body.readableBytesView), let id = v["node_id"]?.stringValue else {
                return Response(status: .badRequest)
            }
            core.recordEcho(HAPeer(
                nodeID: id, hostname: v["hostname"]?.stringValue ?? "", apiAddress: v["api_addr"]?.stringValue ?? "",
                clusterAddress: v["cluster_addr"]?.stringValue ?? "", version: v["version"]?.stringValue ?? "", lastEcho: Date()))
            return Response(status: .noContent)
        }
        return try await api.respond(to: request, context: context)
    }
}

extension ClusterLink {
    struct NotReady: Error {}

    /// The cluster listener's TLS handler for a new connection, with the cluster identity of the moment; before the
    /// node unsealed and loaded it there is none, and the connection is refused at once rather than left waiting.
    func makeServerHandler() throws -> NIOSSLServerHandler {
        guard let context = serverContext else { throw NotReady() }
        return NIOSSLServerHandler(context: context)
    }
}
