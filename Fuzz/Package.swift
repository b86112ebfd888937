// swift-tools-version:6.1
// libFuzzer targets for Coffer's parsers (see README.md, "Fuzzing"). A package of its own, so the main build and
// `swift test` never compile it. Each target's main.swift hands its LLVMFuzzerTestOneInput to libFuzzer's driver.
// Build and run them with scripts/fuzz, which builds with
// `-sanitize=fuzzer,address` and `-enable-testing` (FuzzFields reaches transit's internal field decoding) in
// Fuzz/.build.
import PackageDescription

import struct Foundation.URL

// A path dependency's identity is its folder's name ("main" here, something else in another clone).
let cofferPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent.lowercased()

let coffer = Target.Dependency.product(name: "CofferFuzzing", package: cofferPackage)

let package = Package(
    name: "coffer-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer", coffer]),
        .executableTarget(name: "FuzzJSON", dependencies: ["FuzzSupport", coffer]),
        .executableTarget(name: "FuzzHCL", dependencies: ["FuzzSupport", coffer]),
        .executableTarget(name: "FuzzPolicy", dependencies: ["FuzzSupport", coffer]),
        .executableTarget(name: "FuzzFields", dependencies: ["FuzzSupport", coffer]),
        .executableTarget(name: "FuzzListShim", dependencies: ["FuzzSupport", coffer]),
    ]
)
