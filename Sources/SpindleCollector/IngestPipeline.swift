public import Logging
public import Metrics
public import SpindleModel
public import SpindleStorage
import Synchronization

/// The protocol a batch arrived by; the `protocol` dimension of the ingest metrics.
public enum IngestProtocol: String, Sendable, CaseIterable {
    case otlpGRPC = "otlp_grpc"
    case otlpHTTP = "otlp_http"
    case zipkin
}

/// The pipeline's bounds.
public struct IngestConfiguration: Sendable {
    /// The pipeline's bound: bytes of requests accepted but not yet durable (default 256 MiB).
    public var maxBytesInFlight: Int
    /// The most spans in one storage write (default 16 384): batching toward storage.
    public var maxSpansPerWrite: Int
    /// What one span, trace and request may hold (`docs/limits.md`).
    public var limits: SpanLimits

    public init(maxBytesInFlight: Int = 256 << 20, maxSpansPerWrite: Int = 16_384, limits: SpanLimits = SpanLimits()) {
        self.maxBytesInFlight = maxBytesInFlight
        self.maxSpansPerWrite = maxSpansPerWrite
        self.limits = limits
    }
}

/// Sees every valid span as the pipeline accepts it: after redaction and validation,
/// before tail sampling, so what it counts stays true whatever is kept. Span metrics and
/// the live tail are observers.
///
/// `observe` runs on the request's task before the request waits for storage: it must be
/// quick and must not block (buffer, count, hand off).
public protocol IngestObserver: Sendable {
    func observe(_ batch: SpanBatch)
}

/// What became of the spans of one request.
public struct IngestOutcome: Sendable, Hashable {
    /// Spans now durable in storage.
    public var accepted: Int
    /// Invalid spans dropped; the client must not retry them.
    public var rejected: Int
    /// Why spans were rejected, with counts by reason; empty when none was.
    public var rejectionMessage: String

    public init(accepted: Int, rejected: Int, rejectionMessage: String) {
        self.accepted = accepted
        self.rejected = rejected
        self.rejectionMessage = rejectionMessage
    }
}

/// Why a request was not accepted. The client should retry it (after the delay, for
/// the first two); nothing of it was acknowledged.
public enum IngestError: Error, Sendable, Hashable {
    /// Bytes in flight over the bound: HTTP 429 + Retry-After, gRPC RESOURCE_EXHAUSTED.
    case overloaded(retryAfterSeconds: Int)
    /// Storage says retry later, or shutting down: 503 + Retry-After / UNAVAILABLE.
    case unavailable(String)
    /// Storage failed: 500 / INTERNAL.
    case internalError(String)
}

/// Redaction, validation, backpressure, batching and the hand-off to storage. Acknowledge only after `ingest` returns.
///
/// - **Redaction.** Every admitted batch, whatever protocol it came by, goes through the
///   pipeline's ``Redactor`` first (by default the built-in rules, masking; see
///   `docs/redaction.md`), so nothing unredacted is validated, logged or stored.
///   Redactions are counted in `spindle_redactions_total{rule, place}`.
/// - **Validation.** Spans with an all-zero trace or span ID, or that end before they
///   start, are dropped alone and counted by reason (``IngestOutcome/rejectionMessage``);
///   the rest go on.
/// - **Limits.** ``SpanLimits`` (``IngestConfiguration/limits``): attributes, events and
///   links past their counts are dropped, long values cut, spans past the per-request and
///   per-trace limits rejected like invalid ones (`docs/limits.md`).
/// - **Observers.** Every ``IngestObserver`` (span metrics, the live tail) sees the
///   valid spans before tail sampling, so rates count every span.
/// - **Tail sampling** (optional, ``TailSampler``). Spans of undecided traces are
///   buffered and the request is acknowledged once its other spans are durable: a
///   buffered span is acknowledged while it is only in memory, as in every tail sampler
///   (a crash loses at most the decision wait's worth). A decision loop started by
///   ``run()`` writes the kept traces when their wait is over; ``shutdown()`` decides
///   everything still buffered and writes what is kept before ``run()`` returns.
/// - **Backpressure.** ``bytesInFlight`` counts the bytes (the `byteCount` the listener
///   passes, the decompressed body) of requests admitted but not yet durable or failed. A
///   request that would take it past ``IngestConfiguration/maxBytesInFlight`` is refused
///   at once with ``IngestError/overloaded(retryAfterSeconds:)`` — except when nothing is
///   in flight, so a request larger than the bound still goes through alone (the
///   listener's body cap bounds it). Clients are told to retry after
///   ``retryAfterSeconds`` (1 s): long enough for a group commit or two, short enough
///   that an idle collector is not left waiting.
/// - **Group commit.** One writer loop (``run()``) writes to storage; everything queued
///   while a write runs goes into the next one, up to
///   ``IngestConfiguration/maxSpansPerWrite`` spans (a larger request is cut into parts
///   of that size and completes when its last part is written). There is no linger timer:
///   an idle pipeline writes a lone request at once, a busy one batches by itself.
/// - **Durability.** ``ingest(_:byteCount:protocol:)`` returns only after
///   ``TraceWriter/write(_:)`` returned for every part of its valid spans. A write that
///   fails fails every request in it: ``StorageError/Code/unavailable`` becomes
///   ``IngestError/unavailable(_:)``, anything else ``IngestError/internalError(_:)``;
///   the loop goes on with the next write. Clients retry, and writes are idempotent.
/// - **Nothing admitted is dropped.** ``shutdown()`` refuses new requests with
///   `.unavailable("shutting down")` and lets ``run()`` write everything admitted
///   before it returns.
/// - **Cancellation.** A request whose task is cancelled while it waits still waits for its
///   write (it was admitted, so it is written; only then is it known whether it is
///   durable). Cancelling the task running ``run()`` is the same as calling ``shutdown()``.
///
/// ``run()`` must be running (once) for ingest calls to complete: a listener starts it
/// with the server and calls ``shutdown()`` when it stops.
public final class IngestPipeline: Sendable {
    /// The delay clients are asked to wait before retrying a refused request, in seconds
    /// (HTTP `Retry-After`, gRPC `RetryInfo`).
    public static let retryAfterSeconds = 1

    public let configuration: IngestConfiguration
    let metrics: IngestMetrics
    private let redactor: Redactor
    private let redactionMetrics: RedactionMetrics
    private let observers: [any IngestObserver]
    private let limiter: SpanLimiter
    private let tailSampler: TailSampler?
    /// Spans kept by tail sampling that could not be written (storage failed past the
    /// retries): their requests were acknowledged when they were buffered.
    private let lostKeptSpans: Counter
    /// Sleeps on the injected clock (the tail-sampling decision loop's tick).
    private let sleep: @Sendable (Duration) async throws -> Void
    private let writer: any TraceWriter
    private let logger: Logger
    /// Time since the pipeline was created, from the injected clock.
    private let elapsed: @Sendable () -> Duration
    private let state: Mutex<State>

    private typealias Waiter = CheckedContinuation<Result<Void, IngestError>, Never>

    private struct State {
        /// A nil waiter is a write of the pipeline's own (tail-sampling decisions).
        var queue: IngestQueue<Waiter?>
        /// The writer loop, while it waits for work.
        var loopWaiter: CheckedContinuation<Void, Never>?
        var isRunning = false
        /// The writer loop returned: nothing more can be written.
        var writerFinished = false
        /// Spans tail sampling kept at shutdown, written without a waiter.
        var shutdownKeptSpans = 0

        /// Takes the writer loop's continuation if there is work for it now.
        mutating func wakeLoop() -> CheckedContinuation<Void, Never>? {
            guard queue.hasWork, let waiter = loopWaiter else { return nil }
            loopWaiter = nil
            return waiter
        }
    }

    /// A pipeline that redacts with `redactor` (default: the built-in rules).
    public convenience init(writer: any TraceWriter, configuration: IngestConfiguration = .init(), redactor: Redactor = Redactor(), observers: [any IngestObserver] = [], tailSampler: TailSampler? = nil, metrics: any MetricsFactory = MetricsSystem.factory, logger: Logger = Logger(label: "spindle.ingest")) {
        self.init(writer: writer, configuration: configuration, redactor: redactor, observers: observers, tailSampler: tailSampler, metrics: metrics, logger: logger, clock: ContinuousClock())
    }

    /// A pipeline that times requests (`spindle_ingest_duration_seconds`) with `clock`.
    public init<C: Clock>(writer: any TraceWriter, configuration: IngestConfiguration = .init(), redactor: Redactor = Redactor(), observers: [any IngestObserver] = [], tailSampler: TailSampler? = nil, metrics: any MetricsFactory = MetricsSystem.factory, logger: Logger = Logger(label: "spindle.ingest"), clock: C) where C.Duration == Duration {
        self.writer = writer
        self.observers = observers
        self.tailSampler = tailSampler
        lostKeptSpans = Counter(label: "spindle_tail_sampling_lost_spans_total", factory: metrics)
        sleep = { try await clock.sleep(for: $0) }
        precondition((try? configuration.limits.validate()) != nil, "IngestConfiguration.limits must be valid: \(configuration.limits)")
        self.limiter = SpanLimiter(limits: configuration.limits, metrics: metrics)
        self.configuration = configuration
        self.redactor = redactor
        self.redactionMetrics = RedactionMetrics(ruleNames: redactor.ruleNames, factory: metrics)
        self.metrics = IngestMetrics(factory: metrics)
        self.logger = logger
        let origin = clock.now
        elapsed = { origin.duration(to: clock.now) }
        state = Mutex(State(queue: IngestQueue(maxBytesInFlight: configuration.maxBytesInFlight, maxSpansPerWrite: configuration.maxSpansPerWrite)))
    }

    /// Redacts the batch; drops invalid spans (all-zero trace or span ID, end before start) alone and counts them by reason; refuses at once with `.overloaded` when accepting `byteCount` more would exceed the bound; otherwise waits until the valid spans are durable in storage (group commit: concurrent submissions are merged into one storage write of up to maxSpansPerWrite spans). Returns what was accepted and rejected.
    public func ingest(_ batch: SpanBatch, byteCount: Int, protocol ingestProtocol: IngestProtocol) async throws(IngestError) -> IngestOutcome {
        let metrics = self.metrics[ingestProtocol]
        let start = elapsed()
        defer { metrics.duration.recordNanoseconds((elapsed() - start).clampedNanoseconds) }
        metrics.receivedSpans.increment(by: batch.spanCount)
        metrics.receivedBytes.increment(by: max(0, byteCount))

        let admission = state.withLock { state in
            let admission = state.queue.admit(byteCount: byteCount)
            self.metrics.bytesInFlight.record(state.queue.bytesInFlight)
            return admission
        }
        switch admission {
        case .admitted:
            break
        case .overloaded:
            metrics.refused(.overloaded)
            throw .overloaded(retryAfterSeconds: Self.retryAfterSeconds)
        case .shuttingDown:
            metrics.refused(.unavailable)
            throw .unavailable("shutting down")
        }

        let redaction = redactor.redact(batch)
        redactionMetrics.record(redaction.counts)
        let batch = redaction.batch
        var validation = SpanValidation(batch)
        let limited = limiter.apply(validation.validSpans(of: batch))
        validation.add(limited.rejectedByRequestLimit, .requestTooLarge)
        validation.add(limited.rejectedByTraceLimit, .traceTooLarge)
        let rejected = validation.rejected
        let rejectionMessage = rejected > 0 ? validation.message(limits: configuration.limits) : ""
        if rejected > 0 {
            for reason in SpanRejectionReason.allCases where validation.count(reason) > 0 {
                metrics.rejectedSpans[reason.rawValue].increment(by: validation.count(reason))
            }
            logger.debug("rejected spans", metadata: ["protocol": "\(ingestProtocol.rawValue)", "reasons": "\(rejectionMessage)"])
        }
        let valid = limited.batch
        if !valid.isEmpty {
            for observer in observers { observer.observe(valid) }
        }
        // Accepted counts the client's spans: a trace-limit marker is Spindle's own.
        let outcome = IngestOutcome(accepted: batch.spanCount - rejected, rejected: rejected, rejectionMessage: rejectionMessage)
        // Tail sampling buffers what it has not decided; what is to be written now are the
        // spans of traces already kept. A request admitted before a shutdown may offer
        // after it, when everything else was decided: it then decides what is left.
        let toWrite: SpanBatch
        if let tailSampler {
            let now = elapsed()
            let ready = tailSampler.offer(valid, now: now)
            let isShuttingDown = state.withLock { !$0.queue.isAcceptingRequests }
            toWrite = isShuttingDown ? SpanBatch(concatenating: [ready, tailSampler.decideAll(now: now)]) : ready
        } else {
            toWrite = valid
        }
        if toWrite.isEmpty {
            let loop = state.withLock { state in
                state.queue.withdraw(byteCount: byteCount)
                self.metrics.bytesInFlight.record(state.queue.bytesInFlight)
                return state.wakeLoop()
            }
            loop?.resume()
            // Nothing to write now: the spans are invalid, or buffered by tail sampling.
            metrics.acceptedSpans.increment(by: outcome.accepted)
            return outcome
        }

        let result = await withCheckedContinuation { (waiter: Waiter) in
            let loop = state.withLock { state in
                state.queue.enqueue(toWrite, byteCount: byteCount, waiter: waiter)
                return state.wakeLoop()
            }
            loop?.resume()
        }
        switch result {
        case .success:
            metrics.acceptedSpans.increment(by: outcome.accepted)
            return outcome
        case .failure(let error):
            // The client sends the request again: its spans must not count twice
            // toward the per-trace limit.
            limiter.undo(limited.counted)
            switch error {
            case .overloaded: metrics.refused(.overloaded)
            case .unavailable: metrics.refused(.unavailable)
            case .internalError: metrics.refused(.internalError)
            }
            throw error
        }
    }

    /// Runs the writer loop until `shutdown()`; returns after everything accepted has been written.
    ///
    /// Call it once; a second concurrent call logs an error and returns at once.
    public func run() async {
        let alreadyRunning = state.withLock { state in
            defer { state.isRunning = true }
            return state.isRunning
        }
        guard !alreadyRunning else {
            logger.error("IngestPipeline.run() called while it already runs; ignoring the second call")
            return
        }
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { group in
                if let tailSampler {
                    group.addTask { await self.decisionLoop(tailSampler) }
                }
                await writeLoop()
                group.cancelAll()
            }
        } onCancel: {
            shutdown()
        }
    }

    /// Decides the traces whose decision wait is over, on a tick of a tenth of the wait
    /// (between 10 ms and 1 s), until cancelled. Each round's kept spans are written
    /// before the next round, so the queue holds at most one round of them.
    private func decisionLoop(_ sampler: TailSampler) async {
        let tick = min(max(sampler.configuration.decisionWait / 10, .milliseconds(10)), .seconds(1))
        while !Task.isCancelled {
            do {
                try await sleep(tick)
            } catch {
                return
            }
            await decideDueTraces()
        }
    }

    /// Decides every trace whose wait is over and writes the kept ones; returns once they
    /// are written (or lost). The decision loop calls it; tests call it directly.
    func decideDueTraces() async {
        guard let tailSampler else { return }
        // Admitted before deciding, so the writer loop cannot finish meanwhile (the
        // decision runs outside the lock: rules and copying kept spans take time).
        guard state.withLock({ state in
            guard !state.writerFinished else { return false }
            state.queue.admitInternal()
            return true
        }) else { return }
        await writeKept(tailSampler.decideDue(now: elapsed()))
    }

    /// Writes spans tail sampling kept, already admitted (``IngestQueue/admitInternal()``).
    /// Their requests were acknowledged when they were buffered, so nobody else will
    /// retry them: a write storage refuses as unavailable (backpressure) is retried, up to
    /// 10 times a second apart; what still fails is logged and counted as lost.
    private func writeKept(_ kept: SpanBatch) async {
        guard !kept.isEmpty else {
            let loop = state.withLock { state in
                state.queue.withdraw(byteCount: 0)
                return state.wakeLoop()
            }
            loop?.resume()
            return
        }
        let byteCount = kept.tables.arena.count
        for attempt in 1...10 {
            let result = await withCheckedContinuation { (waiter: Waiter) in
                let loop = state.withLock { state in
                    state.queue.reserveInternalBytes(byteCount)
                    state.queue.enqueue(kept, byteCount: byteCount, waiter: waiter)
                    return state.wakeLoop()
                }
                loop?.resume()
            }
            guard case .failure(let error) = result else { return }
            if case .unavailable = error, attempt < 10 {
                let readmitted = (try? await sleep(.seconds(1))) != nil && state.withLock { state in
                    guard !state.writerFinished else { return false }
                    state.queue.admitInternal()
                    return true
                }
                if readmitted { continue }
            }
            logger.error("writing spans kept by tail sampling failed; they are lost", metadata: ["spans": "\(kept.spanCount)", "attempts": "\(attempt)", "error": "\(error)"])
            lostKeptSpans.increment(by: kept.spanCount)
            return
        }
    }

    /// Stops accepting (new ingest calls throw `.unavailable("shutting down")`), lets `run()` drain and return.
    ///
    /// With tail sampling, everything still buffered is decided now (outside the lock,
    /// admitted first so the writer loop waits for it) and the kept spans are written
    /// before `run()` returns.
    public func shutdown() {
        let (decide, loop) = state.withLock { state in
            let decide = state.queue.isAcceptingRequests && tailSampler != nil
            if decide { state.queue.admitInternal() }
            state.queue.shutdown()
            return (decide, state.wakeLoop())
        }
        loop?.resume()
        guard decide, let tailSampler else { return }
        let kept = tailSampler.decideAll(now: elapsed())
        let byteCount = kept.tables.arena.count
        let wake = state.withLock { state in
            if kept.isEmpty {
                state.queue.withdraw(byteCount: 0)
            } else {
                state.queue.reserveInternalBytes(byteCount)
                state.queue.enqueue(kept, byteCount: byteCount, waiter: nil)
                state.shutdownKeptSpans = kept.spanCount
            }
            return state.wakeLoop()
        }
        wake?.resume()
    }

    public var bytesInFlight: Int { state.withLock { $0.queue.bytesInFlight } }

    /// Requests waiting for storage: queued, or in the write that runs now.
    var queuedRequestCount: Int { state.withLock { $0.queue.queuedRequestCount } }

    /// Counts a request whose body never reached ``ingest(_:byteCount:protocol:)`` (it did
    /// not decode, or its content type is not supported): its bytes are received, and it
    /// is an invalid request.
    func recordInvalidRequest(byteCount: Int, protocol ingestProtocol: IngestProtocol) {
        let metrics = self.metrics[ingestProtocol]
        metrics.receivedBytes.increment(by: max(0, byteCount))
        metrics.invalidRequests.increment()
    }

    // MARK: The writer loop

    private func writeLoop() async {
        while true {
            switch state.withLock({ $0.queue.nextStep() }) {
            case .finish:
                state.withLock { $0.writerFinished = true }
                return
            case .wait:
                await withCheckedContinuation { (loop: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state in
                        if state.queue.hasWork { return true }
                        state.loopWaiter = loop
                        return false
                    }
                    if resumeNow { loop.resume() }
                }
            case .write(let write):
                let failure = await perform(write.batches, spanCount: write.spanCount)
                let completions = state.withLock { state in
                    let completions = state.queue.finished(write, failure: failure)
                    self.metrics.bytesInFlight.record(state.queue.bytesInFlight)
                    return completions
                }
                for completion in completions {
                    if let waiter = completion.waiter {
                        waiter.resume(returning: completion.result)
                    } else if case .failure(let error) = completion.result {
                        // The decisions taken at shutdown: there is no time left to retry.
                        logger.error("writing spans kept by tail sampling at shutdown failed; they are lost", metadata: ["error": "\(error)"])
                        lostKeptSpans.increment(by: state.withLock { $0.shutdownKeptSpans })
                    }
                }
            }
        }
    }

    /// One storage write of `batches` merged; nil when durable.
    private func perform(_ batches: [SpanBatch], spanCount: Int) async -> IngestError? {
        do throws(StorageError) {
            try await writer.write(SpanBatch(concatenating: batches))
            return nil
        } catch {
            // A store that is behind (`.unavailable`) is backpressure, counted in
            // spindle_refused_requests_total; logging each refusal as an error would flood
            // the log exactly when the server is busiest.
            let level: Logger.Level = error.code == .unavailable ? .debug : .error
            logger.log(level: level, "storage write failed", metadata: ["spans": "\(spanCount)", "requests": "\(batches.count)", "error": "\(error)"])
            return Self.ingestError(for: error)
        }
    }

    static func ingestError(for error: StorageError) -> IngestError {
        switch error.code {
        case .unavailable: .unavailable("storage is unavailable: \(error.message)")
        default: .internalError("storage failed: \(error.description)")
        }
    }
}

extension Duration {
    /// Nanoseconds, clamped to `Int64`'s range.
    public var clampedNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (nanoseconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, sumOverflow) = nanoseconds.addingReportingOverflow(attoseconds / 1_000_000_000)
        return sumOverflow ? (nanoseconds < 0 ? .min : .max) : sum
    }
}
