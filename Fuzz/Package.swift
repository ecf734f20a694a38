// swift-tools-version:6.1
//
// libFuzzer targets for Spindle's decoders: a side package, like Benchmarks/, so the main
// build never needs the sanitizer runtime. Build and run them with scripts/fuzz.sh, which
// turns on libFuzzer and AddressSanitizer for every module, so that Spindle's own are
// instrumented too (coverage guidance is useless if only the harness is); the script
// says why its flags are spelled as they are.
//
// Each fuzz target is one file defining `LLVMFuzzerTestOneInput`; `-parse-as-library`
// keeps Swift from emitting a `main`, so libFuzzer's `main` drives it.
import PackageDescription

let fuzzTargets = [
    "FuzzOTLPProtobuf",
    "FuzzOTLPProtobufResponse",
    "FuzzOTLPJSON",
    "FuzzZipkinJSON",
    "FuzzJSONReader",
    "FuzzWALSegment",
    "FuzzBlock",
    "FuzzTraceQL",
    "FuzzQueryRegex",
]

let package = Package(
    name: "SpindleFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Spindle", path: ".."),
    ],
    targets: [
        .target(
            name: "FuzzSupport",
            dependencies: [.product(name: "SpindleModel", package: "Spindle")]
        ),
    ] + fuzzTargets.map { name in
        .executableTarget(
            name: name,
            dependencies: [
                "FuzzSupport",
                .product(name: "SpindleWire", package: "Spindle"),
                .product(name: "SpindleModel", package: "Spindle"),
                .product(name: "SpindleStore", package: "Spindle"),
                .product(name: "SpindleStorage", package: "Spindle"),
                .product(name: "SpindleQuery", package: "Spindle"),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    },
    swiftLanguageModes: [.v6]
)
