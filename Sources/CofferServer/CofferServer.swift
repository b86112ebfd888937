import CCofferSystem
import CofferCore
import CofferHTTP
import CofferSDK
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import AppRoleAuth
import CertAuth
import IdentityEngine
import JWTAuth
import KVEngine
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import ServiceLifecycle
import UnixSignals
import StorageSQLite
import StoragePostgres
import TransitEngine
import PKIEngine
import DatabaseEngine
import UserpassAuth

/// The composition root: configuration → storage → core → engines → HTTP, run in one ServiceGroup.
public enum CofferServer {
    /// The built-in secrets engines, by mount type.
    public static let engines: [String: EngineFactory] = [
        "kv": makeKVEngine,
        "cubbyhole": makeCubbyholeEngine,
        "transit": makeTransitEngine,
        "database": makeDatabaseEngine,
        "pki": makePKIEngine,
    ]

    /// `sys/tools/random` and `sys/tools/hash`, served by the transit engine's implementation.
    public static let systemTools: [String: Core.SystemTool] = [
        "random": { request, rest in try transitRandom(request, path: rest) },
        "hash": { request, rest in try transitHash(request, path: rest) },
    ]

    /// The built-in auth methods, by type.
    public static let authMethods: [String: EngineFactory] = [
        "userpass": makeUserpassAuth,
        "approle": makeAppRoleAuth,
        "cert": makeCertAuth,
        "jwt": makeJWTAuth,
        "oidc": makeJWTAuth,
    ]

    /// The identity store, mounted at `identity/` and consulted after every login; `apiAddress` is the issuer base
    /// of its OIDC tokens.
    public static func identity(apiAddress: String) -> Core.IdentityFactory {
        { storage, accessors in IdentityStore(storage: storage, mountAccessors: accessors, apiAddress: { apiAddress }) }
    }

    /// A startup failure; ``ServerCommand`` prints it as `Error: <description>`.
    public struct StartupError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The listener could not be opened. ``description`` is the whole line to print, in OpenBao's words:
    /// `Error initializing listener of type tcp: listen tcp 127.0.0.1:8200: bind: address already in use`.
    public struct ListenerError: Error, CustomStringConvertible {
        public var description: String

        init(type: String, address: String, error: any Error) {
            let reason: String
            if let io = error as? IOError {
                // Go's text for an errno is strerror's, lower-cased: "address already in use", "permission denied".
                let text = String(cString: strerror(io.errnoCode))
                let message = text.prefix(1).lowercased() + text.dropFirst()
                let op = io.description.hasPrefix("bind") ? "bind" : "listen"
                reason = "\(op): \(message)"
            } else {
                reason = "\(error)"
            }
            description = "Error initializing listener of type \(type): listen \(type) \(address): \(reason)"
        }
    }

    public static func run(_ options: ServerOptions) async throws {
        // The arena count is set before main (coffer_system.c); this only repeats it for embedders.
        coffer_limit_malloc_arenas(1)
        // Everything the server writes is UTC (formatVaultTime, logs). Hummingbird's Date-header cache builds a
        // Gregorian calendar in the current time zone; "GMT" is the zone Foundation resolves without ICU, so naming it
        // keeps ICU's time-zone tables (about 2 MiB) out of memory. Nothing here reads local time.
        setenv("TZ", "GMT", 1)
        var config: ServerConfiguration
        var warnings: [String] = []
        if let path = options.configPath {
            (config, warnings) = try ServerConfiguration.load(path: path)
        } else {
            config = ServerConfiguration()
        }
        let format = (options.logFormat ?? config.logFormat ?? "standard").lowercased()
        guard format == "standard" || format == "json" else {
            throw StartupError(description: "unknown log format \"\(format)\": use standard or json")
        }
        var level = options.logLevel ?? .info
        if options.logLevel == nil, let name = config.logLevel {
            guard let configured = logLevel(named: name) else { throw ConfigurationError("unknown log level: \(name)") }
            level = configured
        }
        var baseLogger = Logger(label: "coffer") { label in CofferLogHandler(label: label, json: format == "json") }
        baseLogger.logLevel = level
        let logger = baseLogger
        for w in warnings { logger.warning("\(w)") }
        logger.info("starting \(CofferVersion.banner)")

        if options.dev {
            // Dev mode is in memory and plain HTTP: it writes nothing to disk.
            config.storage = .init(type: "inmem", options: [:])
            config.listeners = [
                ServerConfiguration.Listener(type: "tcp", address: options.devListenAddress ?? ServerConfiguration.Listener.defaultAddress, tlsDisable: true)
            ]
        } else if options.configPath == nil {
            // The embedded default: SQLite in ./coffer-data/, HTTPS on loopback with a generated certificate.
            config = ServerConfiguration()
            config.storage = .init(type: "sqlite", options: ["path": "./coffer-data/coffer.db"])
            let cert = "./coffer-data/tls/cert.pem"
            let key = "./coffer-data/tls/key.pem"
            if try SelfSignedCertificate.ensure(certPath: cert, keyPath: key) {
                logger.info("generated a self-signed TLS certificate; clients can trust it with VAULT_CACERT=\(cert)")
            }
            config.listeners = [
                ServerConfiguration.Listener(
                    type: "tcp", address: ServerConfiguration.Listener.defaultAddress, tlsDisable: false, tlsCertFile: cert, tlsKeyFile: key)
            ]
        }
        let storageConfig = config.storage ?? .init(type: "inmem", options: [:])
        guard let listener = config.listeners.first else {
            throw StartupError(description: "no listener is configured: add a listener \"tcp\" block")
        }
        for extra in config.listeners.dropFirst() {
            logger.warning("only the first listener is served: the listener \"\(extra.type)\" at \(extra.address) is not opened")
        }
        let (host, port) = try parseAddress(listener.address)
        var sslContext: NIOSSLContext? = nil
        if !listener.tlsDisable {
            guard let cert = listener.tlsCertFile, let key = listener.tlsKeyFile else {
                throw StartupError(description: "listener \(listener.address): tls_cert_file and tls_key_file are required unless tls_disable = true")
            }
            sslContext = try makeSSLContext(try makeTLSConfiguration(certFile: cert, keyFile: key, minVersion: listener.tlsMinVersion))
        }

        let physical: any PhysicalBackend
        var haEnabled = false
        switch storageConfig.type {
        case "inmem":
            physical = InMemoryPhysicalBackend()
        case "sqlite":
            let path = storageConfig.path ?? "./coffer-data/coffer.db"
            physical = try await SQLiteBackend(path: path, logger: logger)
        case "postgresql":
            var options = storageConfig.options
            // The URL (with its password) may come from the environment instead of the file.
            for name in ["COFFER_PG_CONNECTION_URL", "BAO_PG_CONNECTION_URL", "VAULT_PG_CONNECTION_URL"] {
                if let url = ProcessInfo.processInfo.environment[name], !url.isEmpty {
                    options["connection_url"] = url
                    break
                }
            }
            let pgConfig: PostgresBackendConfiguration
            do {
                pgConfig = try PostgresBackendConfiguration(options: options)
            } catch {
                throw StartupError(description: "error initializing storage of type postgresql: \(error.description)")
            }
            haEnabled = pgConfig.haEnabled
            logger.info("storage: \(pgConfig.description)")
            do {
                physical = try await PostgresBackend(configuration: pgConfig, logger: logger)
            } catch {
                throw StartupError(description: "error initializing storage of type postgresql: \(error)")
            }
        default:
            throw StartupError(description: "unknown storage type \"\(storageConfig.type)\"; supported: inmem, sqlite, postgresql")
        }

        let apiAddress = config.apiAddr ?? (listener.tlsDisable ? "http://" : "https://") + listener.address
        var ha: HAConfiguration? = nil
        var clusterBind: (String, Int)? = nil
        if haEnabled {
            // The cluster listener: the listener's `cluster_address`, else its port + 1 (as Vault); advertised as
            // `cluster_addr` when set.
            let bind: (String, Int)
            if let explicit = listener.options["cluster_address"] {
                bind = try parseAddress(explicit)
            } else {
                guard port < 65535 else { throw StartupError(description: "listener \(listener.address): no port above it for the cluster listener; set cluster_address") }
                bind = (host, port + 1)
            }
            clusterBind = bind
            let advertised = config.clusterAddr ?? "https://\(bind.0 == "0.0.0.0" ? "127.0.0.1" : bind.0):\(bind.1)"
            ha = HAConfiguration(apiAddress: apiAddress, clusterAddress: advertised)
            ha?.makeClusterIdentity = ClusterLink.makeIdentity
            ha?.standbyReads = !config.disableStandbyReads
        }

        var coreConfiguration = CoreConfiguration(
            defaultLeaseTTL: config.defaultLeaseTTL, maxLeaseTTL: config.maxLeaseTTL, storageType: storageConfig.type,
            auditDevices: config.auditDevices, prometheusEnabled: config.prometheusEnabled)
        coreConfiguration.ha = ha
        let core = Core(
            configuration: coreConfiguration,
            physical: physical, engines: engines, authMethods: authMethods, systemTools: systemTools,
            identity: identity(apiAddress: apiAddress), logger: logger)
        try await core.loadSealConfig()

        // The dev banner (unseal key, root token) is printed only once the listener is bound, as OpenBao does.
        var banner: String? = nil
        if options.dev {
            let result = try await core.initializeDev(rootTokenID: options.devRootTokenID)
            let key = Data(result.keys[0]).base64EncodedString()
            banner = """
                ==> \(CofferVersion.banner) started in dev mode: in-memory storage, unsealed, KV v2 at secret/.

                    $ export VAULT_ADDR='http://\(listener.address)'

                Unseal Key: \(key)
                Root Token: \(result.rootToken)

                Development mode should NOT be used in production installations!

                """
        }
        let devBanner = banner

        var responder = CofferResponder(core: core, logger: logger)
        let link = ha == nil ? nil : ClusterLink(core: core, logger: logger)
        responder.forwarder = link
        responder.unauthenticatedMetricsAccess = listener.unauthenticatedMetricsAccess
        if sslContext != nil { responder.strictTransportSecurity = CofferResponder.defaultStrictTransportSecurity }
        let tlsContext = sslContext
        let readHeaderTimeout = listener.readHeaderTimeout
        let idleTimeout = listener.idleTimeout.map { TimeAmount($0) }
        let serverBuilder = HTTPServerBuilder { responder in
            let http = ListMethodChannel(
                HTTP1Channel(responder: responder, configuration: .init(idleTimeout: idleTimeout)), readHeaderTimeout: readHeaderTimeout)
            if let tlsContext { return ListenerTLSChannel(http, sslContext: tlsContext) }
            return http
        }
        let listening = NIOLockedValueBox(false)
        let app = Application(
            responder: responder, server: serverBuilder,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { _ in
                listening.withLockedValue { $0 = true }
                if let devBanner { FileHandle.standardOutput.write(Data(devBanner.utf8)) }
                logger.info("listening", metadata: ["coffer.address": "\(listener.address)", "coffer.tls": "\(!listener.tlsDisable)"])
            },
            logger: logger)
        let sweeper = ExpirySweeper(core: core, logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: sweeper), .init(service: HangupHandler(core: core, logger: logger)), .init(service: app),
        ]
        if let link, let clusterBind {
            var clusterAPI = responder
            clusterAPI.isClusterListener = true
            clusterAPI.forwarder = nil
            let clusterResponder = ClusterResponder(api: clusterAPI, core: core)
            let clusterServer = HTTPServerBuilder { responder in
                // The same LIST shim as the API listener: a forwarded LIST arrives with Vault's verb.
                ListenerTLSChannel(
                    ListMethodChannel(
                        HTTP1Channel(responder: responder, configuration: .init(idleTimeout: .seconds(300))), readHeaderTimeout: readHeaderTimeout),
                    makeHandler: { try link.makeServerHandler() })
            }
            let clusterApp = Application(
                responder: clusterResponder, server: clusterServer,
                configuration: ApplicationConfiguration(address: .hostname(clusterBind.0, port: clusterBind.1), serverName: nil),
                onServerRunning: { _ in logger.info("cluster listener", metadata: ["coffer.address": "\(clusterBind.0):\(clusterBind.1)"]) },
                logger: logger)
            services += [.init(service: link), .init(service: clusterApp)]
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        var failure: (any Error)? = nil
        do {
            try await group.run()
        } catch {
            failure = listening.withLockedValue { $0 } ? error : ListenerError(type: listener.type, address: listener.address, error: error)
        }
        try await core.seal()
        try await physical.close()
        if let failure { throw failure }
    }

    /// A log level by OpenBao's names (`trace`, `debug`, `info`, `warn`/`warning`, `error`/`err`), or nil.
    public static func logLevel(named name: String) -> Logger.Level? {
        switch name.trimmingCharacters(in: .whitespaces).lowercased() {
        case "trace": return .trace
        case "debug": return .debug
        case "info", "notice": return .info
        case "warn", "warning": return .warning
        case "error", "err": return .error
        default: return nil
        }
    }

    static func parseAddress(_ address: String) throws -> (String, Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (0...65535).contains(port) else {
            throw StartupError(description: "invalid listener address \"\(address)\": expected host:port")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "0.0.0.0" }
        return (host, port)
    }

    /// TLS 1.2 or newer; for TLS 1.2 only ECDHE suites with AES-GCM or ChaCha20-Poly1305, in the server's order of
    /// preference (AES-128-GCM, AES-256-GCM, then ChaCha20; ``makeSSLContext(_:)`` makes the server honour it); a
    /// client certificate is requested but not required.
    static func makeTLSConfiguration(certFile: String, keyFile: String, minVersion: String?) throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(certFile).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        tls.minimumTLSVersion = minVersion == "tls13" ? .tlsv13 : .tlsv12
        tls.cipherSuiteValues = [
            .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ]
        tls.certificateVerification = .optionalVerification
        tls.applicationProtocols = ["http/1.1"]
        return tls
    }
}
