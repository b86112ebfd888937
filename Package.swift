// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "coffer",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "coffer", targets: ["CofferCLI"]),
        // For bench/micro (package-benchmark), which depends on this package by path.
        .library(name: "CofferLibraries", targets: ["CofferSDK", "CofferCore", "StorageSQLite", "CofferHTTP", "CofferServer", "TransitEngine"]),
        // For Fuzz (libFuzzer targets, scripts/fuzz): the parsers and the HTTP shim, without the server and engines;
        // one product per module, so that each fuzz target links (and libFuzzer walks the coverage counters of) only
        // the modules it reaches.
        .library(name: "CofferFuzzingSDK", targets: ["CofferSDK"]),
        .library(name: "CofferFuzzingHCL", targets: ["CofferHCL"]),
        .library(name: "CofferFuzzingCore", targets: ["CofferCore"]),
        .library(name: "CofferFuzzingHTTP", targets: ["CofferHTTP"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .target(
            name: "CofferSDK",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(name: "CofferHCL", dependencies: ["CofferSDK"], swiftSettings: swiftSettings),
        // The audit log's hash chain: written by the server (CofferCore), verified by `coffer audit verify`.
        .target(
            name: "CofferAuditChain", dependencies: ["CofferSDK", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings),
        .target(
            name: "CofferCore",
            dependencies: [
                "CofferSDK", "CofferHCL", "CofferAuditChain",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "StorageSQLite",
            dependencies: [
                "CofferSDK", .product(name: "SQLiteNIO", package: "sqlite-nio"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // libpq connection strings and TLS settings for PostgreSQL, shared by DatabaseEngine and StoragePostgres.
        .target(
            name: "CofferPostgres",
            dependencies: [.product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl")],
            swiftSettings: swiftSettings),
        .target(
            name: "StoragePostgres",
            dependencies: [
                "CofferSDK", "CofferPostgres", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .target(name: "KVEngine", dependencies: ["CofferSDK"], path: "Sources/Engines/KV", swiftSettings: swiftSettings),
        // Declarations of BoringSSL functions swift-crypto does not expose (AES key wrap with padding, RSA-OAEP with
        // SHA-224/384/512), implemented by swift-crypto's own BoringSSL and linked through the Crypto product.
        .target(name: "CCofferBoringSSLShim", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "TransitEngine",
            dependencies: [
                "CofferSDK", "CCofferBoringSSLShim", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            path: "Sources/Engines/Transit", swiftSettings: swiftSettings),
        .target(
            name: "PKIEngine",
            dependencies: [
                "CofferSDK", .product(name: "Crypto", package: "swift-crypto"), .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"), .product(name: "SwiftASN1", package: "swift-asn1"),
                // ACME http-01 validation fetches the challenge URL.
                .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/Engines/PKI", swiftSettings: swiftSettings),
        .target(
            name: "IdentityEngine",
            dependencies: [
                "CofferSDK", .product(name: "Crypto", package: "swift-crypto"), .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            path: "Sources/Engines/Identity", swiftSettings: swiftSettings),
        .target(
            name: "UserpassAuth",
            dependencies: [
                "CofferSDK", .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/Engines/Userpass", swiftSettings: swiftSettings),
        .target(
            name: "AppRoleAuth", dependencies: ["CofferSDK", .product(name: "Crypto", package: "swift-crypto")],
            path: "Sources/Engines/AppRole", swiftSettings: swiftSettings),
        // TLS client-certificate logins (`cert`): swift-certificates verifies the chains, SwiftASN1 reads CRLs.
        .target(
            name: "CertAuth",
            dependencies: [
                "CofferSDK", .product(name: "X509", package: "swift-certificates"), .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Engines/Cert", swiftSettings: swiftSettings),
        .target(
            name: "JWTAuth",
            dependencies: [
                "CofferSDK", .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Sources/Engines/JWT", swiftSettings: swiftSettings),
        .target(
            name: "DatabaseEngine",
            dependencies: [
                "CofferSDK", "CofferPostgres", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/Engines/Database", swiftSettings: swiftSettings),
        .target(
            name: "CofferHTTP",
            dependencies: [
                "CofferCore", "CofferSDK",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                // HTTPParserError (the LIST shim fails a connection as the HTTP decoder would) and EmbeddedChannel
                // (ListMethodRewriter.fuzzOneInput).
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "CCofferSystem"),
        // The BoringSSL context option swift-nio-ssl does not expose (server cipher preference), implemented by
        // swift-nio-ssl's own BoringSSL and linked through the NIOSSL product.
        .target(name: "CCofferNIOSSLShim", dependencies: [.product(name: "NIOSSL", package: "swift-nio-ssl")]),
        .target(
            name: "CofferServer",
            dependencies: [
                "CCofferSystem", "CCofferNIOSSLShim", "CofferCore", "CofferSDK", "CofferHCL", "CofferHTTP", "StorageSQLite", "KVEngine", "UserpassAuth", "AppRoleAuth", "CertAuth", "JWTAuth", "IdentityEngine", "TransitEngine",
                "DatabaseEngine", "StoragePostgres", "PKIEngine",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CofferClient",
            dependencies: [
                "CofferSDK",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "CofferCLI",
            dependencies: [
                "CofferClient", "CofferServer", "CofferHCL", "CofferAuditChain", "CofferSDK",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "CofferTesting", dependencies: ["CofferSDK"], swiftSettings: swiftSettings),
        .testTarget(
            name: "IdentityEngineTests",
            dependencies: [
                "IdentityEngine", "CofferSDK", "CofferTesting", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "TransitEngineTests",
            dependencies: ["TransitEngine", "CofferSDK", "CofferTesting", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "DatabaseEngineTests",
            dependencies: [
                "DatabaseEngine", "CofferPostgres", "CofferSDK", "CofferTesting", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(name: "UserpassAuthTests", dependencies: ["UserpassAuth", "CofferSDK", "CofferTesting"], swiftSettings: swiftSettings),
        .testTarget(name: "AppRoleAuthTests", dependencies: ["AppRoleAuth", "CofferSDK", "CofferTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CertAuthTests",
            dependencies: [
                "CertAuth", "CofferSDK", "CofferTesting", .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"), .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "JWTAuthTests",
            dependencies: ["JWTAuth", "CofferSDK", "CofferTesting", .product(name: "JWTKit", package: "jwt-kit"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "CofferClientTests",
            dependencies: [
                "CofferClient", .product(name: "X509", package: "swift-certificates"), .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings),
        // Fixtures: OpenBao's recorded answers, read relative to #filePath by the tests (not built, not bundled).
        .testTarget(
            name: "CofferSDKTests", dependencies: ["CofferSDK", "CofferTesting"], exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(name: "CofferHCLTests", dependencies: ["CofferHCL", "CofferSDK"], swiftSettings: swiftSettings),
        .testTarget(name: "CofferServerTests", dependencies: ["CofferServer", "CofferSDK", "CofferCore"], swiftSettings: swiftSettings),
        .testTarget(name: "CofferCoreTests", dependencies: ["CofferCore", "CofferAuditChain", "CofferSDK", "CofferTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "StorageSQLiteTests", dependencies: ["StorageSQLite", "CofferTesting", .product(name: "SQLiteNIO", package: "sqlite-nio")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "StoragePostgresTests",
            dependencies: [
                "StoragePostgres", "CofferPostgres", "CofferSDK", "CofferTesting", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "KVEngineTests", dependencies: ["KVEngine", "CofferSDK", "CofferTesting", .product(name: "Logging", package: "swift-log")], swiftSettings: swiftSettings),
        .testTarget(
            name: "PKIEngineTests",
            dependencies: [
                "PKIEngine", "CofferSDK", "CofferTesting", .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"), .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "CofferHTTPTests",
            dependencies: [
                "CofferServer", "CofferHTTP", "CofferCore",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "X509", package: "swift-certificates"), .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

// scripts/fuzz builds the Fuzz package with COFFER_FUZZ=1: Coffer's own modules are then compiled with libFuzzer's
// coverage instrumentation and AddressSanitizer, the dependencies (NIO, swift-crypto, Hummingbird...) without them, so
// that libFuzzer walks only Coffer's coverage counters on each input. (The fuzz build compiles only the modules of
// the CofferFuzzing* products; swiftSettings do not apply to the C targets.) Without the variable the package is
// exactly as declared above.
if Context.environment["COFFER_FUZZ"] != nil {
    for target in package.targets where target.type == .regular || target.type == .executable {
        target.swiftSettings = (target.swiftSettings ?? []) + [.unsafeFlags(["-sanitize=fuzzer,address"])]
    }
}
