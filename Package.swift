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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
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
        .executableTarget(
            name: "pagoda",
            dependencies: [
                "PagodaEngine",
                "PagodaTUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Fuzz targets over the engine's untrusted inputs, and the executable libFuzzer drives
        // (`.ci/fuzz`); built plainly it replays inputs.
        .target(name: "PagodaFuzzTargets", dependencies: ["PagodaEngine"]),
        .executableTarget(name: "pagoda-fuzz", dependencies: ["PagodaFuzzTargets"]),
        .testTarget(
            name: "PagodaEngineTests",
            dependencies: ["PagodaEngine", .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        .testTarget(name: "PagodaFuzzTargetsTests", dependencies: ["PagodaFuzzTargets", "PagodaEngine"]),
        .testTarget(
            name: "PagodaTUITests",
            dependencies: ["PagodaTUI", "PagodaEngine", .product(name: "GRDB", package: "GRDB.swift")]
        ),
    ]
)
