// swift-tools-version:6.1
//
// Spindle's benchmarks: a package of their own, so the main build never pulls in
// package-benchmark (see STYLE.md, "Benchmarks live apart"). Run from this folder:
//
//     swift package --disable-sandbox benchmark
//
// README.md says what each benchmark measures and which target it guards.
import Foundation
import PackageDescription

// swift-otel's span encoding, extracted from its resolved checkout by
// External/SwiftOTelEncoding/extract.sh (never committed): the swift-otel encode benchmark is
// built when it is there.
let swiftOTelEncodingExtracted = FileManager.default.fileExists(
    atPath: Context.packageDirectory + "/External/SwiftOTelEncoding/swift-otel")

let package = Package(
    name: "SpindleBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Spindle", path: ".."),
        // The default traits add a Swift runtime interposer (ARC counters) that is not
        // available on these Linux machines; the malloc interposer is what the allocation
        // metrics need.
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        // The SDK to compare against (issue 7), with its OTLP/HTTP exporter: `traits: []`
        // does not compile with Swift 6.3 on Linux.
        .package(url: "https://github.com/swift-otel/swift-otel.git", exact: "1.6.0", traits: ["OTLPHTTP"]),
        // Already in the graph through swift-otel (at the versions it asks for); named here
        // for the modules SwiftOTelEncoding and SDKSpans import.
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.31.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.2"),
        .package(url: "https://github.com/swift-otel/swift-w3c-trace-context.git", from: "1.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.4.1"),
    ],
    targets: [
        // Guards SpindleWire: the OTLP protobuf, OTLP JSON and Zipkin JSON codecs.
        .executableTarget(
            name: "WireCodecs",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SpindleWire", package: "Spindle"),
                .product(name: "SpindleModel", package: "Spindle"),
                .product(name: "SpindleSamples", package: "Spindle"),
            ],
            path: "Benchmarks/WireCodecs",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
        // Guards SpindleCollector's redaction: its cost per batch, on and off, next to the
        // OTLP protobuf decode it follows in the ingest pipeline (issue 8).
        .executableTarget(
            name: "Collector",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SpindleCollector", package: "Spindle"),
                .product(name: "SpindleWire", package: "Spindle"),
                .product(name: "SpindleModel", package: "Spindle"),
                .product(name: "SpindleSamples", package: "Spindle"),
            ],
            path: "Benchmarks/Collector",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
        // Guards the SDK (Spindle): what a span costs the application, and export encoding,
        // next to the same benchmarks run with swift-otel.
        .executableTarget(
            name: "SDKSpans",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Spindle", package: "Spindle"),
                .product(name: "SpindleModel", package: "Spindle"),
                .product(name: "SpindleWire", package: "Spindle"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ] + (swiftOTelEncodingExtracted ? ["SwiftOTelEncoding"] : []),
            path: "Benchmarks/SDKSpans",
            swiftSettings: swiftOTelEncodingExtracted ? [.define("SWIFT_OTEL_ENCODING")] : [],
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// swift-otel 1.6.0's span encoding: its OTLP types and the code that fills them are
// `package`/`internal` to swift-otel, so measuring that code alone means compiling it here,
// from its own checkout (External/SwiftOTelEncoding/README.md).
if swiftOTelEncodingExtracted {
    package.targets.append(
        .target(
            name: "SwiftOTelEncoding",
            dependencies: [
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Instrumentation", package: "swift-distributed-tracing"),
                .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
            ],
            path: "External/SwiftOTelEncoding",
            exclude: ["README.md", "extract.sh", "swift-otel/LICENSE.txt"],
            swiftSettings: [
                // As swift-otel builds these files: with the OTLP/HTTP trait's condition and
                // its imports internal by default.
                .define("OTLPHTTP"),
                .enableUpcomingFeature("InternalImportsByDefault"),
            ]
        )
    )
}
