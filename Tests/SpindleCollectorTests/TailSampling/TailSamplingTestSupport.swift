import CoreMetrics
import SpindleModel
import Synchronization
@testable import SpindleCollector

// Helpers of the tail-sampling tests only (metrics come from the suite's RecordingMetrics).

/// Spans, batches and samplers for the tail-sampling tests.
enum TailFixture {
    /// A trace ID whose last 8 bytes are `number` (so probabilistic rules see `number`).
    static func traceID(_ number: UInt64) -> TraceID { TraceID(high: 0x7A11, low: number) }

    static let millisecond: UInt64 = 1_000_000

    /// A span of `trace` from `start` to `end` nanoseconds; a root span unless `parent` is set.
    static func span(
        _ trace: TraceID,
        id: UInt64,
        parent: UInt64 = 0,
        name: String = "GET /",
        start: UInt64 = 1_000_000_000,
        end: UInt64 = 1_001_000_000,
        status: StatusCode = .unset,
        attributes: [Attribute] = []
    ) -> SpanRecord {
        SpanRecord(
            traceID: trace, spanID: SpanID(id), parentSpanID: SpanID(parent), name: name, kind: .server,
            startTimeUnixNano: start, endTimeUnixNano: end, attributes: attributes, status: SpanStatus(code: status)
        )
    }

    /// One resource per service, in order, each with one scope holding its spans.
    static func batch(_ groups: [(service: String, spans: [SpanRecord])], resourceAttributes: [Attribute] = []) -> SpanBatch {
        SpanBatch(groups.map { group in
            ResourceSpans(
                resource: Resource(attributes: [Attribute("service.name", .string(group.service))] + resourceAttributes),
                scopeSpans: [ScopeSpans(scope: InstrumentationScope(name: "tail-tests", version: "1"), spans: group.spans)]
            )
        })
    }

    static func batch(_ spans: [SpanRecord], service: String = "checkout", resourceAttributes: [Attribute] = []) -> SpanBatch {
        batch([(service, spans)], resourceAttributes: resourceAttributes)
    }

    /// One root span for each trace number, in one batch of `service`.
    static func roots(_ numbers: some Sequence<UInt64>, service: String = "checkout") -> SpanBatch {
        batch(numbers.map { span(traceID($0), id: $0 &+ 1) }, service: service)
    }

    static func sampler(
        _ policies: [TailSamplingPolicy],
        wait: Duration = .seconds(10),
        maxTraces: Int = 1_000,
        maxSpansPerTrace: Int = 1_000,
        maxBufferedSpans: Int = 100_000,
        maxBufferedBytes: Int = 1 << 30,
        decisionCacheSize: Int = 1_000,
        metrics: RecordingMetrics = RecordingMetrics()
    ) throws -> TailSampler {
        let configuration = TailSamplingConfiguration(
            decisionWait: wait, maxTraces: maxTraces, maxSpansPerTrace: maxSpansPerTrace,
            maxBufferedSpans: maxBufferedSpans, maxBufferedBytes: maxBufferedBytes, decisionCacheSize: decisionCacheSize, policies: policies
        )
        return try TailSampler(configuration: configuration, metrics: metrics)
    }

    /// The sampler with one policy `rule` named "p".
    static func sampler(_ rule: TailSamplingPolicy.Rule, metrics: RecordingMetrics = RecordingMetrics()) throws -> TailSampler {
        try sampler([TailSamplingPolicy(name: "p", rule: rule)], metrics: metrics)
    }

    /// Offers each batch at time 0 and decides at the end of the wait; the trace numbers
    /// (last 8 bytes of the trace ID) kept, ascending.
    static func keptTraces(_ sampler: TailSampler, _ batches: [SpanBatch]) -> [UInt64] {
        var kept = batches.map { sampler.offer($0, now: .zero) }
        kept.append(sampler.decideDue(now: sampler.configuration.decisionWait))
        return traceNumbers(kept)
    }

    /// The distinct trace numbers in `batches`, ascending.
    static func traceNumbers(_ batches: [SpanBatch]) -> [UInt64] {
        Set(batches.flatMap { $0.tables.spans.map(\.traceID.low) }).sorted()
    }

    /// The span IDs in `batch`, ascending.
    static func spanIDs(_ batch: SpanBatch) -> [UInt64] {
        batch.tables.spans.map(\.spanID.value).sorted()
    }
}
