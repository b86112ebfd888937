// swift-tools-version:6.1
// libFuzzer targets for Coffer's parsers (see README.md, "Fuzzing"). A package of its own, so the main build and
// `swift test` never compile it. Build and run them with scripts/fuzz, which builds with
// `-sanitize=fuzzer,address` and `-enable-testing` (FuzzListShim reaches the internal LIST shim) in Fuzz/.build.
import PackageDescription

import struct Foundation.URL

// A path dependency's identity is its folder's name ("main" here, something else in another clone).
let cofferPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent.lowercased()

let coffer = Target.Dependency.product(name: "CofferFuzzing", package: cofferPackage)

let package = Package(
    name: "coffer-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .target(name: "FuzzSupport", dependencies: [coffer]),
        .executableTarget(name: "FuzzJSON", dependencies: ["FuzzSupport", coffer]),
        .executableTarget(name: "FuzzHCL", dependencies: ["FuzzSupport", coffer]),
        .executableTarget(name: "FuzzPolicy", dependencies: ["FuzzSupport", coffer]),
        .executableTarget(name: "FuzzFields", dependencies: ["FuzzSupport", coffer]),
        .executableTarget(
            name: "FuzzListShim",
            dependencies: [
                "FuzzSupport", coffer,
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
    ]
)
