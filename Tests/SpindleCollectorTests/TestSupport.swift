import CoreMetrics
import Logging
import SpindleModel
import SpindleStorage
import Synchronization
import Testing
@testable import SpindleCollector

// MARK: - A TraceWriter that records, fails and blocks on command

/// A writer for pipeline tests: it records every batch it is given, and can be told to
/// fail every write or to hold every write until released.
actor RecordingWriter: TraceWriter {
    /// Batches written successfully, in order.
    private(set) var batches: [SpanBatch] = []
    /// Calls to `write`, whatever became of them.
    private(set) var writeCalls = 0
    private var failure: StorageError?
    private var isBlocked = false
    private var held: [CheckedContinuation<Void, Never>] = []

    func write(_ batch: SpanBatch) async throws(StorageError) {
        writeCalls += 1
        if isBlocked {
            await withCheckedContinuation { held.append($0) }
        }
        if let failure { throw failure }
        batches.append(batch)
    }

    /// Holds every write from now until ``release()``.
    func block() { isBlocked = true }

    /// Lets the held writes go on, and the ones after them.
    func release() {
        isBlocked = false
        let waiting = held
        held = []
        for continuation in waiting { continuation.resume() }
    }

    /// Writes held now.
    var heldWrites: Int { held.count }

    /// Fails every write from now on with `error` (nil: succeed again).
    func fail(with error: StorageError?) { failure = error }

    /// Every span written, in order.
    var spans: [SpanRecord] { batches.flatMap(\.spans) }
}

// MARK: - Metrics that tests can read

/// A metrics factory that keeps every value reported to it, by label and dimensions.
final class RecordingMetrics: MetricsFactory, Sendable {
    private let counters = Mutex<[String: Int64]>([:])
    private let gauges = Mutex<[String: Double]>([:])
    private let timers = Mutex<[String: [Int64]]>([:])

    static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        dimensions.isEmpty ? label : label + "{" + dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}"
    }

    /// The counter `label{dimensions}`; 0 if never incremented.
    func counter(_ label: String, _ dimensions: [(String, String)] = []) -> Int64 {
        counters.withLock { $0[Self.key(label, dimensions)] ?? 0 }
    }

    /// Every counter created whose key starts with `label`, with its value.
    func counters(startingWith label: String) -> [String: Int64] {
        counters.withLock { $0.filter { $0.key.hasPrefix(label) } }
    }

    func gauge(_ label: String) -> Double? {
        gauges.withLock { $0[label] }
    }

    func timer(_ label: String, _ dimensions: [(String, String)] = []) -> [Int64] {
        timers.withLock { $0[Self.key(label, dimensions)] ?? [] }
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
        let metrics: RecordingMetrics

        init(key: String, metrics: RecordingMetrics) {
            self.key = key
            self.metrics = metrics
        }

        func increment(by amount: Int64) { metrics.counters.withLock { $0[key, default: 0] += amount } }
        func increment(by amount: Double) { metrics.counters.withLock { $0[key, default: 0] += Int64(amount) } }
        func reset() { metrics.counters.withLock { $0[key] = 0 } }
        func record(_ value: Int64) { metrics.gauges.withLock { $0[key] = Double(value) } }
        func record(_ value: Double) { metrics.gauges.withLock { $0[key] = value } }
        func recordNanoseconds(_ duration: Int64) { metrics.timers.withLock { $0[key, default: []].append(duration) } }
    }
}

// MARK: - A clock that moves only when read

/// A clock whose time advances by `step` each time it is read, so a duration measured
/// between two reads is exactly `step`.
final class SteppingClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    let step: Duration
    private let reads = Mutex<Int>(0)

    init(step: Duration) { self.step = step }

    var now: Instant {
        let count = reads.withLock { reads in
            defer { reads += 1 }
            return reads
        }
        return Instant(offset: step * count)
    }

    var minimumResolution: Duration { step }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        Issue.record("the pipeline must not sleep")
    }
}

// MARK: - Spans

let traceA = TraceID(high: 0x0102_0304_0506_0708, low: 0x090A_0B0C_0D0E_0F10)
let traceB = TraceID(high: 0xA1A2_A3A4_A5A6_A7A8, low: 0xB1B2_B3B4_B5B6_B7B8)

/// A valid span of `trace` named `name`, lasting from 1000 to 2000 ns.
func span(_ name: String, trace: TraceID = traceA, id: UInt64, start: UInt64 = 1000, end: UInt64 = 2000) -> SpanRecord {
    SpanRecord(traceID: trace, spanID: SpanID(id), name: name, kind: .server, startTimeUnixNano: start, endTimeUnixNano: end, attributes: [Attribute("n", .int(Int64(id)))])
}

/// The spans in one resource (`service.name` = `service`) and scope.
func batch(_ spans: [SpanRecord], service: String = "checkout") -> SpanBatch {
    SpanBatch([resourceSpans(spans, service: service)])
}

func resourceSpans(_ spans: [SpanRecord], service: String = "checkout") -> ResourceSpans {
    ResourceSpans(
        resource: Resource(attributes: [Attribute("service.name", .string(service))]),
        scopeSpans: [ScopeSpans(scope: InstrumentationScope(name: "tests", version: "1"), spans: spans)]
    )
}

/// `count` valid spans named `prefix-0`, `prefix-1`, … with ids from `firstID`.
func spans(_ prefix: String, count: Int, firstID: UInt64 = 1) -> [SpanRecord] {
    (0..<count).map { span("\(prefix)-\($0)", id: firstID + UInt64($0)) }
}

/// A logger for tests that fail storage on purpose: the pipeline's error logs would only
/// be noise.
let quietLogger = Logger(label: "spindle.ingest.tests", factory: { _ in SwiftLogNoOpLogHandler() })

// MARK: - Waiting without sleeping

/// Waits (yielding, never sleeping) until `condition` holds; records an issue after 30 s
/// of waiting, so a broken test fails instead of hanging.
func waitUntil(
    _ what: String,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async -> Bool
) async {
    let clock = ContinuousClock()
    let deadline = clock.now + .seconds(30)
    while await !condition() {
        if clock.now > deadline {
            Issue.record("timed out waiting until \(what)", sourceLocation: sourceLocation)
            return
        }
        await Task.yield()
    }
}

/// A flag one task sets and another reads.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

/// Runs `body` with a pipeline whose writer loop runs in a child task; shuts the pipeline
/// down and waits for the loop to drain when `body` returns.
@discardableResult
func withPipeline<R>(
    writer: any TraceWriter,
    configuration: IngestConfiguration = .init(),
    metrics: RecordingMetrics = RecordingMetrics(),
    _ body: (IngestPipeline) async throws -> R
) async throws -> R {
    let pipeline = IngestPipeline(writer: writer, configuration: configuration, metrics: metrics, logger: quietLogger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await pipeline.run() }
        defer { pipeline.shutdown() }
        return try await body(pipeline)
    }
}
