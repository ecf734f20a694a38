import Spindle
import SpindleModel
import Synchronization
import Testing

/// Spans for processor and exporter tests: span `n` has span ID `n + 1` and name `span-n`.
enum TestSpans {
    static let resource = Spindle.Resource(attributes: [Attribute("service.name", "checkout")])

    static func span(_ number: Int) -> FinishedSpan {
        FinishedSpan(
            context: SpanContext(traceID: TraceID(high: 1, low: 2), spanID: SpanID(UInt64(number + 1))),
            parentSpanID: nil, name: "span-\(number)", kind: .internal,
            startTimeUnixNano: 1_000_000_000, endTimeUnixNano: 1_000_500_000,
            resource: resource, scope: Spindle.InstrumentationScope(name: "tests")
        )
    }

    static func names(_ spans: [FinishedSpan]) -> [String] { spans.map(\.name) }
    static func names(_ range: Range<Int>) -> [String] { range.map { "span-\($0)" } }
}

/// An exporter that records batches, can hold exports at a gate, and tracks how many
/// exports run at once.
final class GatedExporter: SpanExporter {
    private struct State {
        var batches: [[FinishedSpan]] = []
        var inFlight = 0
        var maxInFlight = 0
        var started = 0
        var gateOpen: Bool
        var gateWaiters: [CheckedContinuation<Void, Never>] = []
        var batchWaiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
        var startWaiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
        var isShutDown = false
    }

    private let state: Mutex<State>
    private let failing: Bool

    init(gateOpen: Bool = true, failing: Bool = false) {
        state = Mutex(State(gateOpen: gateOpen))
        self.failing = failing
    }

    var batches: [[FinishedSpan]] { state.withLock { $0.batches } }
    var maxInFlight: Int { state.withLock { $0.maxInFlight } }
    var isShutDown: Bool { state.withLock { $0.isShutDown } }

    func export(_ spans: [FinishedSpan]) async throws(ExportError) {
        let startWaiters = state.withLock { state in
            state.inFlight += 1
            state.started += 1
            state.maxInFlight = max(state.maxInFlight, state.inFlight)
            return Self.take(&state.startWaiters, reached: state.started)
        }
        startWaiters.forEach { $0.resume() }
        await withCheckedContinuation { continuation in
            let open = state.withLock { state in
                if !state.gateOpen { state.gateWaiters.append(continuation) }
                return state.gateOpen
            }
            if open { continuation.resume() }
        }
        let batchWaiters = state.withLock { state in
            state.inFlight -= 1
            state.batches.append(spans)
            return Self.take(&state.batchWaiters, reached: state.batches.count)
        }
        batchWaiters.forEach { $0.resume() }
        if failing { throw .failed("test failure") }
    }

    func shutdown() async {
        state.withLock { $0.isShutDown = true }
    }

    func openGate() {
        let waiters = state.withLock { state in
            state.gateOpen = true
            defer { state.gateWaiters = [] }
            return state.gateWaiters
        }
        waiters.forEach { $0.resume() }
    }

    /// Returns once `count` batches have been exported.
    func waitForBatches(_ count: Int) async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                if state.batches.count >= count { return true }
                state.batchWaiters.append((count, continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Returns once `count` exports have started.
    func waitForStarts(_ count: Int) async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                if state.started >= count { return true }
                state.startWaiters.append((count, continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }

    private static func take(_ waiters: inout [(count: Int, continuation: CheckedContinuation<Void, Never>)], reached: Int) -> [CheckedContinuation<Void, Never>] {
        let ready = waiters.filter { $0.count <= reached }.map(\.continuation)
        waiters.removeAll { $0.count <= reached }
        return ready
    }
}

@Suite struct ProcessorBatchTests {
    static let noDelay = BatchSpanProcessor.Configuration(scheduledDelay: .seconds(3600))

    @Test func export_startsWhenABatchIsFull() async {
        let exporter = GatedExporter()
        var configuration = Self.noDelay
        configuration.maxExportBatchSize = 4
        let processor = BatchSpanProcessor(exporter: exporter, configuration: configuration)
        for number in 0..<11 { processor.onEnd(TestSpans.span(number)) }
        // The scheduled delay is an hour: only full batches go without a flush.
        await exporter.waitForBatches(2)
        #expect(exporter.batches.map(TestSpans.names) == [TestSpans.names(0..<4), TestSpans.names(4..<8)])
        await processor.forceFlush()
        #expect(exporter.batches.map(TestSpans.names) == [TestSpans.names(0..<4), TestSpans.names(4..<8), TestSpans.names(8..<11)])
        await processor.shutdown()
    }

    @Test func export_startsWhenTheScheduledDelayPasses() async {
        let exporter = GatedExporter()
        let processor = BatchSpanProcessor(exporter: exporter, configuration: .init(scheduledDelay: .milliseconds(50)))
        for number in 0..<3 { processor.onEnd(TestSpans.span(number)) }
        await exporter.waitForBatches(1)
        #expect(exporter.batches.map(TestSpans.names) == [TestSpans.names(0..<3)])
        await processor.shutdown()
        #expect(processor.counters.exported == 3)
    }

    @Test func fullQueue_dropsAndCountsExactly() async {
        let exporter = GatedExporter(gateOpen: false)
        let processor = BatchSpanProcessor(
            exporter: exporter, configuration: .init(maxQueueSize: 4, scheduledDelay: .seconds(3600), maxExportBatchSize: 4)
        )
        for number in 0..<4 { processor.onEnd(TestSpans.span(number)) }
        await exporter.waitForStarts(1)  // the first four are out of the queue, held at the gate
        for number in 4..<10 { processor.onEnd(TestSpans.span(number)) }  // four fit, two do not
        var counters = processor.counters
        #expect(counters.received == 10 && counters.droppedQueueFull == 2 && counters.exported == 0)
        exporter.openGate()
        await processor.forceFlush()
        #expect(exporter.batches.map(TestSpans.names) == [TestSpans.names(0..<4), TestSpans.names(4..<8)])
        counters = processor.counters
        #expect(counters.received == 10 && counters.exported == 8 && counters.droppedQueueFull == 2 && counters.failed == 0)
        await processor.shutdown()
    }

    @Test func forceFlush_exportsEverythingQueued() async {
        let exporter = GatedExporter()
        let processor = BatchSpanProcessor(exporter: exporter, configuration: Self.noDelay)
        for number in 0..<700 { processor.onEnd(TestSpans.span(number)) }
        await processor.forceFlush()
        #expect(exporter.batches.map(\.count) == [512, 188])
        #expect(exporter.batches.flatMap(TestSpans.names) == TestSpans.names(0..<700))
        #expect(processor.counters.exported == 700)
        await processor.forceFlush()  // nothing queued: returns at once, exports nothing
        #expect(exporter.batches.count == 2)
        await processor.shutdown()
    }

    @Test func forceFlush_withoutSpans_returns() async {
        let exporter = GatedExporter()
        let processor = BatchSpanProcessor(exporter: exporter)
        await processor.forceFlush()
        #expect(exporter.batches.isEmpty)
    }

    @Test func shutdown_drainsThenRefuses() async {
        let exporter = GatedExporter()
        let processor = BatchSpanProcessor(exporter: exporter, configuration: Self.noDelay)
        for number in 0..<5 { processor.onEnd(TestSpans.span(number)) }
        await processor.shutdown()
        #expect(exporter.batches.map(TestSpans.names) == [TestSpans.names(0..<5)])
        #expect(exporter.isShutDown)
        processor.onEnd(TestSpans.span(5))
        await processor.forceFlush()
        await processor.shutdown()
        #expect(exporter.batches.count == 1)
        let counters = processor.counters
        #expect(counters.received == 5 && counters.exported == 5 && counters.refusedAfterShutdown == 1)
    }

    @Test func shutdown_beforeAnySpan_shutsTheExporterDown() async {
        let exporter = GatedExporter()
        let processor = BatchSpanProcessor(exporter: exporter)
        await processor.shutdown()
        #expect(exporter.isShutDown && exporter.batches.isEmpty)
    }

    @Test func exports_runOneAtATime() async {
        let exporter = GatedExporter(gateOpen: false)
        var configuration = Self.noDelay
        configuration.maxExportBatchSize = 2
        let processor = BatchSpanProcessor(exporter: exporter, configuration: configuration)
        for number in 0..<2 { processor.onEnd(TestSpans.span(number)) }
        await exporter.waitForStarts(1)
        // Two more full batches while the first export is held.
        for number in 2..<6 { processor.onEnd(TestSpans.span(number)) }
        let flush = Task { await processor.forceFlush() }
        for _ in 0..<100 { await Task.yield() }
        exporter.openGate()
        await flush.value
        #expect(exporter.maxInFlight == 1)
        #expect(exporter.batches.map(TestSpans.names) == [TestSpans.names(0..<2), TestSpans.names(2..<4), TestSpans.names(4..<6)])
        await processor.shutdown()
    }

    @Test func failedExports_areCounted() async {
        let exporter = GatedExporter(failing: true)
        let processor = BatchSpanProcessor(exporter: exporter, configuration: Self.noDelay)
        for number in 0..<3 { processor.onEnd(TestSpans.span(number)) }
        await processor.forceFlush()
        let counters = processor.counters
        #expect(counters.received == 3 && counters.failed == 3 && counters.exported == 0)
        await processor.shutdown()
    }

    @Test func exportsPastTheTimeout_areCancelledAndCountedAsFailed() async {
        let exporter = GatedExporter(gateOpen: false)
        let processor = BatchSpanProcessor(
            exporter: exporter, configuration: .init(scheduledDelay: .seconds(3600), exportTimeout: .milliseconds(20))
        )
        processor.onEnd(TestSpans.span(0))
        let flush = Task { await processor.forceFlush() }
        await exporter.waitForStarts(1)
        await flush.value  // returns although the exporter never does: the export timed out
        #expect(processor.counters.failed == 1)
        exporter.openGate()
        await processor.shutdown()
    }

    @Test func run_hostsTheLoopAndDrainsWhenCancelled() async throws {
        let exporter = GatedExporter()
        let processor = BatchSpanProcessor(exporter: exporter, configuration: Self.noDelay)
        let service = Task { try await processor.run() }
        // Whichever runs first, run() or onEnd, one loop exports the spans.
        for number in 0..<3 { processor.onEnd(TestSpans.span(number)) }
        service.cancel()
        try await service.value
        #expect(exporter.batches.map(TestSpans.names) == [TestSpans.names(0..<3)])
        #expect(exporter.isShutDown)
    }
}
