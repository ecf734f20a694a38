import SpindleStorage
import SpindleTesting
import Testing

/// The storage conformance suite, unchanged, against the native engine in each layout
/// its data can take.
@Suite struct NativeTraceStoreConformanceTests {
    @Test(arguments: TraceStoreConformance.caseNames)
    func conformance_withSpansInTheHead(_ name: String) async throws {
        try await TraceStoreConformance.run(name, on: LayoutStore(.head))
    }

    @Test(arguments: TraceStoreConformance.caseNames)
    func conformance_withABlockPerWrite(_ name: String) async throws {
        try await TraceStoreConformance.run(name, on: LayoutStore(.blockPerWrite))
    }

    @Test(arguments: TraceStoreConformance.caseNames)
    func conformance_withCompactedBlocks(_ name: String) async throws {
        try await TraceStoreConformance.run(name, on: LayoutStore(.compacted))
    }

    @Test(arguments: TraceStoreConformance.caseNames)
    func conformance_acrossRestarts(_ name: String) async throws {
        try await TraceStoreConformance.run(name, on: LayoutStore(.reopened))
    }
}
