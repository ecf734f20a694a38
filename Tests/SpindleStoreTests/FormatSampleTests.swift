import Foundation
import SpindleModel
import SpindleSamples
import SpindleStorage
import Testing

@testable import SpindleStore

/// Format version 1, checked in: a data directory written by this version of the engine
/// (one block, one WAL segment). Every later version must keep reading it, or say in a
/// new format version why not (STYLE.md, "Formats are versioned and specified").
///
/// Regenerate only when the format version changes, as a new folder:
/// `SPINDLE_WRITE_FORMAT_SAMPLES=1 swift test --filter FormatSampleTests`.
@Suite struct FormatSampleTests {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/v1").path

    /// What the sample holds: the rich sample spans (every value type) in the block, a
    /// realistic batch in the WAL.
    static let inBlock = SpanBatch(Samples.richResourceSpans())
    static let inWAL = Samples.realisticBatch(spans: 40, seed: 11)

    @Test func version1_dataDirectory_stillReadsExactly() async throws {
        if ProcessInfo.processInfo.environment["SPINDLE_WRITE_FORMAT_SAMPLES"] == "1" { try await Self.write() }
        let directory = TemporaryDirectory("format-v1")
        defer { directory.cleanUp() }
        try FileManager.default.removeItem(atPath: directory.path)
        try FileManager.default.copyItem(atPath: Self.samples, toPath: directory.path)
        let store = try NativeTraceStore.open(.testing(directory.path))
        #expect(store.blockCount == 1)
        #expect(store.headSpanCount == Self.inWAL.spanCount)
        for batch in [Self.inBlock, Self.inWAL] {
            for id in Set(batch.tables.spans.map(\.traceID)) {
                let stored = try #require(try await store.trace(id: id, timeRange: nil))
                let expected = batch.selecting(spansAt: batch.tables.spans.indices.filter { batch.tables.spans[$0].traceID == id })
                #expect(Self.describe(stored) == Self.describe(expected))
            }
        }
        await store.close()
    }

    /// Spans with their resource and scope, sorted, NaN-safe via their descriptions.
    static func describe(_ batch: SpanBatch) -> [String] {
        (0..<batch.spanCount).map { "\(batch.span(at: $0)) \(batch.resource(ofSpanAt: $0)) \(batch.scope(ofSpanAt: $0))" }.sorted()
    }

    static func write() async throws {
        try? FileManager.default.removeItem(atPath: samples)
        let store = try NativeTraceStore.open(.testing(samples))
        try await store.write(inBlock)
        try store.cutHead()
        try await store.write(inWAL)
        await store.close()
        try? FileManager.default.removeItem(atPath: samples + "/LOCK")
    }
}
