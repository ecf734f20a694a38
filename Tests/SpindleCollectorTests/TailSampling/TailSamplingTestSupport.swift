import CoreMetrics
import SpindleModel
import Synchronization
@testable import SpindleCollector

// Helpers of the tail-sampling tests only, named apart from the suite's shared ones.

/// A metrics factory that keeps counter totals and the last gauge values, by label and
/// dimensions (`label{name=value,...}` in the order given).
final class TailSamplingRecordingMetrics: MetricsFactory, Sendable {
    private let counters = Mutex<[String: Int64]>([:])
    private let gauges = Mutex<[String: Double]>([:])

    static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        dimensions.isEmpty ? label : label + "{" + dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}"
    }

    /// The counter `label{dimensions}`; nil when it was never created.
    func counter(_ label: String, _ dimensions: [(String, String)] = []) -> Int64? {
        counters.withLock { $0[Self.key(label, dimensions)] }
    }

    func gauge(_ label: String) -> Double? { gauges.withLock { $0[label] } }

    /// Every counter created whose key starts with `label`, with its value.
    func counters(startingWith label: String) -> [String: Int64] {
        counters.withLock { $0.filter { $0.key.hasPrefix(label) } }
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        let key = Self.key(label, dimensions)
        counters.withLock { $0[key] = $0[key] ?? 0 }
        return Handler(key: key, metrics: self)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        Handler(key: Self.key(label, dimensions), metrics: self)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        Handler(key: Self.key(label, dimensions), metrics: self)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        Handler(key: Self.key(label, dimensions), metrics: self)
    }

    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

    private final class Handler: CounterHandler, FloatingPointCounterHandler, RecorderHandler, TimerHandler, Sendable {
        let key: String
        let metrics: TailSamplingRecordingMetrics

        init(key: String, metrics: TailSamplingRecordingMetrics) {
            self.key = key
            self.metrics = metrics
        }

        func increment(by amount: Int64) { metrics.counters.withLock { $0[key, default: 0] += amount } }
        func increment(by amount: Double) { metrics.counters.withLock { $0[key, default: 0] += Int64(amount) } }
        func reset() { metrics.counters.withLock { $0[key] = 0 } }
        func record(_ value: Int64) { metrics.gauges.withLock { $0[key] = Double(value) } }
        func record(_ value: Double) { metrics.gauges.withLock { $0[key] = value } }
        func recordNanoseconds(_ duration: Int64) {}
    }
}

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
        metrics: TailSamplingRecordingMetrics = TailSamplingRecordingMetrics()
    ) throws -> TailSampler {
        let configuration = TailSamplingConfiguration(
            decisionWait: wait, maxTraces: maxTraces, maxSpansPerTrace: maxSpansPerTrace,
            maxBufferedSpans: maxBufferedSpans, maxBufferedBytes: maxBufferedBytes, decisionCacheSize: decisionCacheSize, policies: policies
        )
        return try TailSampler(configuration: configuration, metrics: metrics)
    }

    /// The sampler with one policy `rule` named "p".
    static func sampler(_ rule: TailSamplingPolicy.Rule, metrics: TailSamplingRecordingMetrics = TailSamplingRecordingMetrics()) throws -> TailSampler {
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
