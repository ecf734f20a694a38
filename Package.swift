// swift-tools-version:6.1
//
// The package graph is the architecture (see docs/architecture.md):
//
//   SpindleModel ── SpindleWire ── Spindle (the SDK users import)
//        │              │
//        └── SpindleStorage ── SpindleStore / SpindleClickHouse
//                 │
//                 ├── SpindleQuery
//                 └── SpindleCollector ── SpindleServer ── spindle (executable)
//
// Heavy server dependencies (HTTP, gRPC) belong to SpindleServer only; the SDK never
// pulls them in.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Spindle",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Spindle", targets: ["Spindle"]),
        .library(name: "SpindleModel", targets: ["SpindleModel"]),
        .library(name: "SpindleWire", targets: ["SpindleWire"]),
        .library(name: "SpindleStorage", targets: ["SpindleStorage"]),
        .library(name: "SpindleTesting", targets: ["SpindleTesting"]),
        .executable(name: "spindle", targets: ["spindle"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.2.0"),
    ],
    targets: [
        .target(name: "SpindleModel", swiftSettings: swiftSettings),
        .target(name: "SpindleWire", dependencies: ["SpindleModel"], swiftSettings: swiftSettings),
        .target(
            name: "Spindle",
            dependencies: [
                "SpindleModel", "SpindleWire",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "SpindleStorage", dependencies: ["SpindleModel"], swiftSettings: swiftSettings),
        .target(name: "SpindleStore", dependencies: ["SpindleStorage"], swiftSettings: swiftSettings),
        .target(name: "SpindleClickHouse", dependencies: ["SpindleStorage"], swiftSettings: swiftSettings),
        .target(name: "SpindleQuery", dependencies: ["SpindleModel", "SpindleStorage"], swiftSettings: swiftSettings),
        .target(
            name: "SpindleCollector",
            dependencies: ["SpindleModel", "SpindleWire", "SpindleStorage"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SpindleServer",
            dependencies: [
                "SpindleModel", "SpindleWire", "SpindleStorage", "SpindleStore",
                "SpindleClickHouse", "SpindleQuery", "SpindleCollector",
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "spindle",
            dependencies: [
                "SpindleServer", "SpindleWire", "SpindleModel", "SpindleTesting",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "SpindleTesting", dependencies: ["SpindleStorage", "Spindle"], swiftSettings: swiftSettings),

        .testTarget(name: "SpindleModelTests", dependencies: ["SpindleModel", "SpindleTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SpindleWireTests",
            dependencies: ["SpindleWire", "SpindleModel", "SpindleTesting"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "spindleTests", dependencies: ["spindle"], swiftSettings: swiftSettings),
    ],
    swiftLanguageModes: [.v6]
)
