// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Pagoda",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "pagoda", targets: ["pagoda"]),
        .executable(name: "pagoda-fuzz", targets: ["pagoda-fuzz"]),
        .library(name: "PagodaEngine", targets: ["PagodaEngine"]),
        .library(name: "PagodaTUI", targets: ["PagodaTUI"]),
        .library(name: "PagodaServer", targets: ["PagodaServer"]),
        .library(name: "PagodaRemote", targets: ["PagodaRemote"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // ncursesw, wide-character API. Only PagodaTUI/Terminal touches it.
        .systemLibrary(name: "CNCursesW", path: "Sources/CNCursesW"),
        // SIMD kernels for x86-64 (AVX2, AVX-512 VNNI), chosen at run time (KernelSet); scalar
        // Swift twins everywhere, and the only code that runs on other CPUs.
        .target(name: "CKernels"),
        .target(
            name: "PagodaEngine",
            dependencies: [
                "CKernels",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        .target(
            name: "PagodaTUI",
            dependencies: ["PagodaEngine", "CNCursesW", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // The OpenAI-compatible HTTP server over the engine (`pagoda serve`); the network is
        // touched only here, and only when asked.
        .target(
            name: "PagodaServer",
            dependencies: [
                "PagodaEngine",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The chat over an OpenAI-compatible server (`pagoda chat --remote`): the HTTP client
        // side, touched only when asked.
        .target(
            name: "PagodaRemote",
            dependencies: [
                "PagodaEngine",
                "PagodaTUI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "pagoda",
            dependencies: [
                "PagodaEngine",
                "PagodaTUI",
                "PagodaServer",
                "PagodaRemote",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Fuzz targets over the engine's untrusted inputs, and the executable libFuzzer drives
        // (`.ci/fuzz`); built plainly it replays inputs.
        .target(name: "PagodaFuzzTargets", dependencies: ["PagodaEngine"]),
        .executableTarget(name: "pagoda-fuzz", dependencies: ["PagodaFuzzTargets"]),
        // Tiny random models and deterministic data for every test target (not a product).
        .target(name: "PagodaTestSupport", dependencies: ["PagodaEngine"], path: "Tests/PagodaTestSupport"),
        .testTarget(
            name: "PagodaEngineTests",
            dependencies: ["PagodaEngine", "PagodaTestSupport", .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        .testTarget(
            name: "PagodaServerTests",
            dependencies: [
                "PagodaServer", "PagodaEngine", "PagodaTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "PagodaRemoteTests",
            dependencies: [
                "PagodaRemote", "PagodaServer", "PagodaTUI", "PagodaEngine", "PagodaTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "PagodaFuzzTargetsTests", dependencies: ["PagodaFuzzTargets", "PagodaEngine"]),
        .testTarget(
            name: "PagodaTUITests",
            dependencies: ["PagodaTUI", "PagodaEngine", .product(name: "GRDB", package: "GRDB.swift")]
        ),
    ]
)
