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

    public init(maxBytesInFlight: Int = 256 << 20, maxSpansPerWrite: Int = 16_384) {
        self.maxBytesInFlight = maxBytesInFlight
        self.maxSpansPerWrite = maxSpansPerWrite
    }
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
    private let writer: any TraceWriter
    private let logger: Logger
    /// Time since the pipeline was created, from the injected clock.
    private let elapsed: @Sendable () -> Duration
    private let state: Mutex<State>

    private typealias Waiter = CheckedContinuation<Result<Void, IngestError>, Never>

    private struct State {
        var queue: IngestQueue<Waiter>
        /// The writer loop, while it waits for work.
        var loopWaiter: CheckedContinuation<Void, Never>?
        var isRunning = false

        /// Takes the writer loop's continuation if there is work for it now.
        mutating func wakeLoop() -> CheckedContinuation<Void, Never>? {
            guard queue.hasWork, let waiter = loopWaiter else { return nil }
            loopWaiter = nil
            return waiter
        }
    }

    /// A pipeline that redacts with `redactor` (default: the built-in rules).
    public convenience init(writer: any TraceWriter, configuration: IngestConfiguration = .init(), redactor: Redactor = Redactor(), metrics: any MetricsFactory = MetricsSystem.factory, logger: Logger = Logger(label: "spindle.ingest")) {
        self.init(writer: writer, configuration: configuration, redactor: redactor, metrics: metrics, logger: logger, clock: ContinuousClock())
    }

    /// A pipeline that times requests (`spindle_ingest_duration_seconds`) with `clock`.
    public init<C: Clock>(writer: any TraceWriter, configuration: IngestConfiguration = .init(), redactor: Redactor = Redactor(), metrics: any MetricsFactory = MetricsSystem.factory, logger: Logger = Logger(label: "spindle.ingest"), clock: C) where C.Duration == Duration {
        self.writer = writer
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
        let validation = SpanValidation(batch)
        let rejected = validation.rejected
        if rejected > 0 {
            for reason in SpanRejectionReason.allCases where validation.count(reason) > 0 {
                metrics.rejectedSpans[reason.rawValue].increment(by: validation.count(reason))
            }
            logger.debug("rejected invalid spans", metadata: ["protocol": "\(ingestProtocol.rawValue)", "reasons": "\(validation.message)"])
        }
        let valid = validation.validSpans(of: batch)
        let outcome = IngestOutcome(accepted: valid.spanCount, rejected: rejected, rejectionMessage: validation.message)
        if valid.isEmpty {
            let loop = state.withLock { state in
                state.queue.withdraw(byteCount: byteCount)
                self.metrics.bytesInFlight.record(state.queue.bytesInFlight)
                return state.wakeLoop()
            }
            loop?.resume()
            return outcome
        }

        let result = await withCheckedContinuation { (waiter: Waiter) in
            let loop = state.withLock { state in
                state.queue.enqueue(valid, byteCount: byteCount, waiter: waiter)
                return state.wakeLoop()
            }
            loop?.resume()
        }
        switch result {
        case .success:
            metrics.acceptedSpans.increment(by: valid.spanCount)
            return outcome
        case .failure(let error):
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
            await writeLoop()
        } onCancel: {
            shutdown()
        }
    }

    /// Stops accepting (new ingest calls throw `.unavailable("shutting down")`), lets `run()` drain and return.
    public func shutdown() {
        let loop = state.withLock { state in
            state.queue.shutdown()
            return state.wakeLoop()
        }
        loop?.resume()
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
                    completion.waiter.resume(returning: completion.result)
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
    var clampedNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (nanoseconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, sumOverflow) = nanoseconds.addingReportingOverflow(attoseconds / 1_000_000_000)
        return sumOverflow ? (nanoseconds < 0 ? .min : .max) : sum
    }
}
