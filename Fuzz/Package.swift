// swift-tools-version:6.1
// libFuzzer targets for Coffer's parsers (see README.md, "Fuzzing"). A package of its own, so the main build and
// `swift test` never compile it. Each target's main.swift hands its LLVMFuzzerTestOneInput to libFuzzer's driver.
// Build and run them with scripts/fuzz, which builds in release mode in Fuzz/.build with COFFER_FUZZ=1 in the
// environment: Coffer's package (../Package.swift) then compiles its own modules with `-sanitize=fuzzer,address`, and
// the targets below are compiled and linked with `-sanitize=fuzzer,address` (libFuzzer and ASan's runtime). The
// targets use only public API, each through the CofferFuzzing* products of the modules it reaches. The dependencies
// (NIO, swift-crypto, Hummingbird...) are built without instrumentation: with `-Xswiftc -sanitize=fuzzer` for the
// whole build, libFuzzer walked their coverage counters too on every input, 65% of the time (see RUNS.md).
import PackageDescription

import struct Foundation.URL

// A path dependency's identity is its folder's name ("main" here, something else in another clone).
let cofferPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent.lowercased()

// Each target links only the modules it reaches: libFuzzer walks the coverage counters of every instrumented module
// linked in, on every input, whether the input reaches it or not.
func coffer(_ module: String) -> Target.Dependency { .product(name: "CofferFuzzing" + module, package: cofferPackage) }

// Without COFFER_FUZZ, Coffer's modules would be built without coverage and libFuzzer would fuzz blind.
guard Context.environment["COFFER_FUZZ"] != nil else {
    fatalError("build the fuzz targets with scripts/fuzz (COFFER_FUZZ=1 in the environment instruments Coffer's modules)")
}

let fuzzer: [SwiftSetting] = [.unsafeFlags(["-sanitize=fuzzer,address"])]
let fuzzerLink: [LinkerSetting] = [.unsafeFlags(["-sanitize=fuzzer,address"])]

let package = Package(
    name: "coffer-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer", coffer("SDK")], swiftSettings: fuzzer),
        .executableTarget(name: "FuzzJSON", dependencies: ["FuzzSupport", coffer("SDK")], swiftSettings: fuzzer, linkerSettings: fuzzerLink),
        .executableTarget(name: "FuzzHCL", dependencies: ["FuzzSupport", coffer("SDK"), coffer("HCL")], swiftSettings: fuzzer, linkerSettings: fuzzerLink),
        .executableTarget(name: "FuzzPolicy", dependencies: ["FuzzSupport", coffer("SDK"), coffer("Core")], swiftSettings: fuzzer, linkerSettings: fuzzerLink),
        .executableTarget(name: "FuzzFields", dependencies: ["FuzzSupport", coffer("SDK")], swiftSettings: fuzzer, linkerSettings: fuzzerLink),
        .executableTarget(name: "FuzzListShim", dependencies: ["FuzzSupport", coffer("HTTP")], swiftSettings: fuzzer, linkerSettings: fuzzerLink),
    ]
)
