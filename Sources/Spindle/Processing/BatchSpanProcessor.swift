public import ServiceLifecycle
import Synchronization

/// Queues finished spans and exports them in batches, off the application's path: the
/// OpenTelemetry batch span processor.
///
/// - `onEnd` appends to a bounded queue under a lock and returns. It never waits for an
///   export; when the queue holds `maxQueueSize` spans, the span is dropped and counted
///   in ``Counters/droppedQueueFull``.
/// - An export loop exports `maxExportBatchSize` spans as soon as that many are queued,
///   and whatever is queued when `scheduledDelay` passes. Exports run one at a time;
///   each is cancelled after `exportTimeout` and its spans counted as failed (the next
///   export still waits until the exporter returns).
/// - The loop starts by itself on the first span, in a detached task, so that it carries
///   none of the application's task-locals (its exports are never part of an
///   application trace). Under swift-service-lifecycle, add the processor to a
///   `ServiceGroup` instead: ``run()`` then hosts the loop and shuts down on graceful
///   shutdown.
/// - ``forceFlush()`` returns once every span queued before the call has been exported
///   (or has failed); ``shutdown()`` drains the queue, shuts the exporter down and
///   refuses later spans.
public final class BatchSpanProcessor: SpanProcessor, Service {
    private let exporter: any SpanExporter
    private let configuration: Configuration
    private let clock: any Clock<Duration>
    private let state: Mutex<State>

    /// - Parameters:
    ///   - exporter: Receives the batches, one export at a time.
    ///   - configuration: Queue size, batch size, delay and timeout;
    ///     `maxExportBatchSize` is clamped to `1...maxQueueSize`.
    ///   - clock: Measures the scheduled delay and the export timeout.
    public init(exporter: any SpanExporter, configuration: Configuration = Configuration(), clock: any Clock<Duration> = ContinuousClock()) {
        var configuration = configuration
        configuration.maxQueueSize = max(1, configuration.maxQueueSize)
        configuration.maxExportBatchSize = min(max(1, configuration.maxExportBatchSize), configuration.maxQueueSize)
        self.exporter = exporter
        self.configuration = configuration
        self.clock = clock
        state = Mutex(State(configuration: configuration))
    }

    /// Counts of received, exported, dropped and failed spans so far.
    public var counters: Counters {
        state.withLock { $0.counters }
    }

    public func onEnd(_ span: FinishedSpan) {
        let action = state.withLock { $0.enqueue(span) }
        if action.startLoop { startLoop() }
        action.wake?.resume()
    }

    public func forceFlush() async {
        await withCheckedContinuation { continuation in
            let action = state.withLock { $0.requestFlush(continuation) }
            if action.resumeNow { continuation.resume() }
            action.wake?.resume()
        }
    }

    public func shutdown() async {
        await withCheckedContinuation { continuation in
            let action = state.withLock { $0.requestShutdown(continuation) }
            perform(action)
            if action.resumeNow { continuation.resume() }
        }
    }

    /// Hosts the export loop for swift-service-lifecycle and returns after graceful
    /// shutdown (or cancellation) has drained the queue and shut the exporter down.
    /// If the loop already runs (spans came before `run()`), waits for graceful
    /// shutdown, then shuts down.
    public func run() async throws {
        let hostsLoop = state.withLock { state in
            guard state.phase == .idle else { return false }
            state.phase = .running
            return true
        }
        guard hostsLoop else {
            try? await gracefulShutdown()
            await shutdown()
            return
        }
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await exportLoop()
            } onGracefulShutdown: {
                self.beginShutdown()
            }
        } onCancel: {
            self.beginShutdown()
        }
    }

    private func beginShutdown() {
        perform(state.withLock { $0.requestShutdown(nil) })
    }

    private func perform(_ action: State.RequestAction) {
        if action.startLoop { startLoop() }
        action.wake?.resume()
    }

    private func startLoop() {
        Task.detached { await self.exportLoop() }
    }

    // MARK: The export loop

    private func exportLoop() async {
        while true {
            switch state.withLock({ $0.nextStep() }) {
            case .export(let batch):
                await export(batch)
            case .wait:
                await waitForWork()
            case .stop:
                await exporter.shutdown()
                for waiter in state.withLock({ $0.finishShutdown() }) { waiter.resume() }
                return
            }
        }
    }

    /// Sleeps until woken (full batch, flush, shutdown) or until the scheduled delay passes.
    private func waitForWork() async {
        let generation = state.withLock { $0.nextWaitGeneration() }
        let timer = Task.detached { [clock, configuration] in
            guard (try? await clock.sleep(for: configuration.scheduledDelay)) != nil else { return }
            self.state.withLock { $0.delayElapsed(generation: generation) }?.resume()
        }
        await withCheckedContinuation { continuation in
            if !state.withLock({ $0.beginWait(continuation) }) { continuation.resume() }
        }
        timer.cancel()
    }

    /// Exports one batch and records the outcome. Past the export timeout the export is
    /// cancelled and its spans are counted as failed at once (so flushes return), but the
    /// loop still waits for the exporter to return before the next export: exports never
    /// overlap, even with an exporter that is slow to honour cancellation.
    private func export(_ batch: [FinishedSpan]) async {
        let (outcomes, outcome) = AsyncStream.makeStream(of: Bool?.self)
        let export = Task.detached { [exporter] in
            do throws(ExportError) {
                try await exporter.export(batch)
                outcome.yield(true)
            } catch {
                outcome.yield(false)
            }
        }
        let timer = Task.detached { [clock, configuration] in
            // nil means the export timed out; a cancelled timer yields nothing.
            if (try? await clock.sleep(for: configuration.exportTimeout)) != nil { outcome.yield(nil) }
        }
        var iterator = outcomes.makeAsyncIterator()
        let first = await iterator.next()
        timer.cancel()
        let succeeded = first.flatMap { $0 } ?? false
        let satisfied = state.withLock { $0.exportFinished(count: batch.count, succeeded: succeeded) }
        for waiter in satisfied { waiter.resume() }
        if first.flatMap({ $0 }) == nil {
            export.cancel()
            await export.value
        }
        outcome.finish()
    }
}
