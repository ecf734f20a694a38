// swift-tools-version:6.1
//
// Spindle's benchmarks: a package of their own, so the main build never pulls in
// package-benchmark (see STYLE.md, "Benchmarks live apart"). Run from this folder:
//
//     swift package --disable-sandbox benchmark
//
// README.md says what each benchmark measures and which target it guards.
import PackageDescription

let package = Package(
    name: "SpindleBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Spindle", path: ".."),
        // The default traits add a Swift runtime interposer (ARC counters) that is not
        // available on these Linux machines; the malloc interposer is what the allocation
        // metrics need.
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
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
        // Guards the SDK (Spindle): what a span costs the application, and export encoding.
        .executableTarget(
            name: "SDKSpans",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Spindle", package: "Spindle"),
                .product(name: "SpindleModel", package: "Spindle"),
            ],
            path: "Benchmarks/SDKSpans",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
