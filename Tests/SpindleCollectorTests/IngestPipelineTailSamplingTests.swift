import SpindleModel
import SpindleStorage
import Synchronization
import Testing
@testable import SpindleCollector

/// Tail sampling inside the pipeline: what is written when, and that shutdown writes
/// what was kept. The sampler's own policies are tested in `TailSampling/`.
@Suite struct IngestPipelineTailSamplingTests {
    /// A pipeline with an error-only tail sampler on a clock that only moves when told.
    private func withSampledPipeline<R>(
        writer: RecordingWriter,
        clock: PipelineTestClock,
        _ body: (IngestPipeline) async throws -> R
    ) async throws -> R {
        let sampler = try TailSampler(
            configuration: TailSamplingConfiguration(decisionWait: .seconds(10), policies: [TailSamplingPolicy(name: "errors", rule: .error)]),
            metrics: RecordingMetrics()
        )
        let pipeline = IngestPipeline(writer: writer, tailSampler: sampler, metrics: RecordingMetrics(), logger: quietLogger, clock: clock)
        let loop = Task { await pipeline.run() }
        let result = try await body(pipeline)
        pipeline.shutdown()
        await loop.value
        return result
    }

    private func failed(_ name: String, trace: TraceID, id: UInt64) -> SpanRecord {
        var record = span(name, trace: trace, id: id)
        record.status = SpanStatus(code: .error, message: "boom")
        return record
    }

    @Test func bufferedSpans_areAcknowledgedAtOnce_andOnlyKeptTracesAreWritten_whenTheWaitIsOver() async throws {
        let writer = RecordingWriter()
        let clock = PipelineTestClock()
        try await withSampledPipeline(writer: writer, clock: clock) { pipeline in
            let outcome = try await pipeline.ingest(
                batch([span("ok", trace: traceA, id: 1), failed("failed", trace: traceB, id: 2)]),
                byteCount: 100, protocol: .otlpHTTP
            )
            #expect(outcome == IngestOutcome(accepted: 2, rejected: 0, rejectionMessage: ""))
            #expect(pipeline.bytesInFlight == 0)
            #expect(await writer.writeCalls == 0)

            clock.advance(by: .seconds(9))
            await pipeline.decideDueTraces()
            #expect(await writer.writeCalls == 0)

            clock.advance(by: .seconds(1))
            await pipeline.decideDueTraces()
            #expect(await writer.spans.map(\.name) == ["failed"])

            // A late span of the kept trace is written with its request; one of the
            // dropped trace is not.
            _ = try await pipeline.ingest(batch([span("late-kept", trace: traceB, id: 3), span("late-dropped", trace: traceA, id: 4)]), byteCount: 10, protocol: .otlpHTTP)
            #expect(await writer.spans.map(\.name) == ["failed", "late-kept"])
        }
    }

    @Test func shutdown_decidesEverythingBuffered_andWritesWhatIsKept_beforeRunReturns() async throws {
        let writer = RecordingWriter()
        let clock = PipelineTestClock()
        try await withSampledPipeline(writer: writer, clock: clock) { pipeline in
            _ = try await pipeline.ingest(batch([failed("failed", trace: traceA, id: 1), span("ok", trace: traceB, id: 2)]), byteCount: 10, protocol: .otlpGRPC)
            #expect(await writer.writeCalls == 0)
        }
        #expect(await writer.spans.map(\.name) == ["failed"])
    }
}

/// A clock that moves only when told to; sleeping on it never returns until cancelled
/// (the decision loop's tick), so tests decide by calling the pipeline directly.
final class PipelineTestClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let current = Mutex(Instant(offset: .zero))

    var now: Instant { current.withLock { $0 } }
    var minimumResolution: Duration { .nanoseconds(1) }

    func advance(by duration: Duration) {
        current.withLock { $0.offset += duration }
    }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(3600))
        }
        throw CancellationError()
    }
}
