// swift-tools-version:6.1
// Micro-benchmarks of Coffer's hot paths (package-benchmark). A package of its own, so the main build and CI never
// compile it. Run with bench/micro/run, which writes the "Micro-benchmarks" section of bench/RESULTS.md.
import PackageDescription

import struct Foundation.URL

// A path dependency's identity is its folder's name ("main" here, something else in another clone).
let cofferPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "coffer-micro-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../.."),
        // The MallocInterposer trait alone: malloc counts on, and the Linux 6.3 ARC runtime interposer (a package
        // this machine does not carry) off.
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "CofferMicro",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "CofferLibraries", package: cofferPackage),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/CofferMicro",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
