// swift-tools-version:6.1
//
// The package graph is the architecture (see docs/architecture.md):
//
//   SpindleModel ── SpindleWire ── Spindle (the SDK users import) ── SpindleOTLPGRPC (opt-in OTLP/gRPC export)
//        │              │
//        └── SpindleStorage ── SpindleStore (+ SpindleWire for its WAL records) / SpindleClickHouse
//                 │
//                 ├── SpindleQuery
//                 └── SpindleCollector ── SpindleServer ── spindle (executable)
//
// Heavy server dependencies (HTTP, gRPC) belong to SpindleServer only, gRPC also to the
// SDK's opt-in SpindleOTLPGRPC, and swift-crypto (already in the server's graph) to
// SpindleCollector's redaction; the SDK itself never pulls them in.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Spindle",
    // The SDK runs in apps too (issue 7): Synchronization's Mutex and Atomic set the floor.
    platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)],
    products: [
        .library(name: "Spindle", targets: ["Spindle"]),
        .library(name: "SpindleOTLPGRPC", targets: ["SpindleOTLPGRPC"]),
        .library(name: "SpindleModel", targets: ["SpindleModel"]),
        .library(name: "SpindleWire", targets: ["SpindleWire"]),
        .library(name: "SpindleStorage", targets: ["SpindleStorage"]),
        .library(name: "SpindleStore", targets: ["SpindleStore"]),
        .library(name: "SpindleQuery", targets: ["SpindleQuery"]),
        .library(name: "SpindleTesting", targets: ["SpindleTesting"]),
        .library(name: "SpindleSamples", targets: ["SpindleSamples"]),
        .library(name: "SpindleCollector", targets: ["SpindleCollector"]), // for Benchmarks/ (its Collector target measures it)
        .executable(name: "spindle", targets: ["spindle"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.2.0"),
        .package(url: "https://github.com/apple/swift-service-context.git", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.1.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.5.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.0.0"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.0.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.4.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.24.0"),
        // HMAC-SHA256 for the collector's redaction (hash action). Already in the server's
        // graph (grpc-swift-nio-transport pulls it in through swift-certificates), with the
        // range swift-certificates accepts.
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"6.0.0"),
        // `spindle serve --config FILE`: the YAML configuration file (server only).
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
    ],
    targets: [
        .target(name: "SpindleModel", swiftSettings: swiftSettings),
        // zlib: gzip for the SDK's export and the ClickHouse backend's inserts.
        .target(name: "SpindleWire", dependencies: ["SpindleModel", "CSpindleZlib"], swiftSettings: swiftSettings),
        .target(
            name: "Spindle",
            dependencies: [
                "SpindleModel", "SpindleWire",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Instrumentation", package: "swift-distributed-tracing"),
                .product(name: "ServiceContextModule", package: "swift-service-context"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SpindleOTLPGRPC",
            dependencies: [
                "Spindle",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "SpindleStorage", dependencies: ["SpindleModel"], swiftSettings: swiftSettings),
        // zlib from the system: CRC-32 checksums and deflate for the storage engine.
        .systemLibrary(name: "CSpindleZlib", path: "Sources/CSpindleZlib"),
        .target(
            name: "SpindleStore",
            dependencies: [
                "SpindleModel", "SpindleStorage", "SpindleWire", "CSpindleZlib",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SpindleClickHouse",
            // SpindleWire: gzip for insert bodies.
            dependencies: ["SpindleStorage", "SpindleWire", .product(name: "AsyncHTTPClient", package: "async-http-client")],
            swiftSettings: swiftSettings
        ),
        .target(name: "SpindleQuery", dependencies: ["SpindleModel", "SpindleStorage"], swiftSettings: swiftSettings),
        .target(
            name: "SpindleCollector",
            dependencies: [
                "SpindleModel", "SpindleWire", "SpindleStorage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SpindleServer",
            dependencies: [
                "SpindleModel", "SpindleWire", "SpindleStorage", "SpindleStore",
                "SpindleClickHouse", "SpindleQuery", "SpindleCollector",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            // The web UI's files, compiled in by scripts/embed-ui.py (UIAssets+Generated.swift).
            exclude: ["Resources"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "spindle",
            dependencies: [
                "SpindleServer", "SpindleCollector", "SpindleWire", "SpindleModel", "SpindleSamples", "SpindleStorage", "SpindleStore", "SpindleQuery",
                "SpindleClickHouse",
                // `spindle demo`'s services are traced with the SDK, served by Hummingbird.
                "Spindle",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Deterministic sample spans, apart from the test suites so the CLI's benchmarks
        // and the Benchmarks package use them without building test code in release.
        .target(name: "SpindleSamples", dependencies: ["SpindleModel"], swiftSettings: swiftSettings),
        .target(name: "SpindleTesting", dependencies: ["SpindleStorage", "Spindle", "SpindleSamples"], swiftSettings: swiftSettings),

        .testTarget(
            name: "SpindleTests",
            dependencies: ["Spindle", "SpindleModel", "SpindleWire", "SpindleTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SpindleOTLPGRPCTests",
            dependencies: [
                "SpindleOTLPGRPC", "Spindle", "SpindleModel", "SpindleTesting",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            // The receiver the tests run: grpcio and the official opentelemetry-proto classes.
            exclude: ["otlp_grpc_receiver.py"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "SpindleModelTests", dependencies: ["SpindleModel", "SpindleTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SpindleWireTests",
            dependencies: ["SpindleWire", "SpindleModel", "SpindleTesting"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SpindleQueryTests",
            dependencies: ["SpindleQuery", "SpindleStorage", "SpindleModel", "SpindleSamples", "SpindleTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SpindleClickHouseTests",
            dependencies: ["SpindleClickHouse", "SpindleTesting", "SpindleStorage", "SpindleModel", "SpindleQuery"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "SpindleStorageTests", dependencies: ["SpindleStorage", "SpindleTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SpindleStoreTests",
            dependencies: ["SpindleStore", "SpindleStorage", "SpindleModel", "SpindleSamples", "SpindleTesting"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SpindleCollectorTests",
            dependencies: ["SpindleCollector", "SpindleStorage", "SpindleWire", "SpindleTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SpindleServerTests",
            dependencies: [
                "SpindleServer", "SpindleStorage", "SpindleWire", "SpindleTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // A local webhook receiver for the alerting tests.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "spindleTests",
            dependencies: ["spindle", "SpindleServer", "SpindleStore", "SpindleStorage", "SpindleModel", "SpindleTesting"],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
