public import Metrics
public import SpindleModel
import Synchronization

/// Keeps or drops whole traces after seeing all their spans: the collector's tail
/// sampling, in the manner of the OpenTelemetry Collector's `tail_sampling` processor and
/// Honeycomb Refinery. Off unless the pipeline is given a ``TailSamplingConfiguration``.
///
/// - **Buffering.** ``offer(_:now:)`` buffers the spans of traces not yet decided, by
///   trace ID. A trace is due ``TailSamplingConfiguration/decisionWait`` after its first
///   span arrived; ``decideDue(now:)`` decides the due traces and returns the spans of
///   those kept, ``decideAll(now:)`` decides everything (at shutdown). ``nextDeadline``
///   says when to call ``decideDue(now:)`` next.
/// - **Policies.** A trace is kept when any policy matches it, and dropped whole
///   otherwise. Policies are evaluated in order; the first that matches names the trace's
///   `policy` in `spindle_tail_sampling_traces_total`. Later policies are still evaluated,
///   for `spindle_tail_sampling_policy_matches_total`, but a rate limit spends its budget
///   only on traces no earlier policy kept ("a rate limit of the rest"). No policies: keep
///   every trace.
/// - **Late spans.** A decision is remembered (up to
///   ``TailSamplingConfiguration/decisionCacheSize`` traces, first in first out): spans
///   arriving after it follow it at once, returned by ``offer(_:now:)`` when kept. A span
///   whose trace's decision is forgotten starts a new buffered trace, decided on its own.
/// - **Bounded memory.** At most ``TailSamplingConfiguration/maxTraces`` traces,
///   ``TailSamplingConfiguration/maxBufferedSpans`` spans and
///   ``TailSamplingConfiguration/maxBufferedBytes`` bytes are buffered, and at most
///   ``TailSamplingConfiguration/maxSpansPerTrace`` spans of one trace. Reaching a bound
///   decides traces early, the oldest first (the trace itself, for the per-trace bound),
///   counted in `spindle_tail_sampling_evicted_early_total{reason}`; nothing is dropped
///   undecided. Buffering copies nothing: a buffered trace holds on to the batches its
///   spans came in, and each such batch counts whole against the byte bound.
/// - **Cost.** Offering a batch groups its spans by trace ID (a dictionary lookup per run
///   of spans of one trace); deciding evaluates the rules on the spans in place. Only the
///   spans of kept traces are copied, once, into the batch returned.
/// - **Time.** The sampler has no clock: every call takes the pipeline's `now` (time since
///   any fixed origin). Time that steps back is taken as the latest time seen.
/// - **Concurrency.** All state is behind one lock; assembling the returned batch and
///   recording metrics happen outside it. Collectors that tail-sample must be routed to
///   by trace ID so that one trace meets one sampler.
public final class TailSampler: Sendable {
    public let configuration: TailSamplingConfiguration
    private let metrics: TailSamplingMetrics
    private let state: Mutex<TailSamplingBuffer>

    /// A sampler for `configuration`, reporting to `metrics`.
    ///
    /// - Throws: ``TailSamplingConfigurationError`` naming the policy and the problem,
    ///   when the configuration cannot work.
    public init(configuration: TailSamplingConfiguration, metrics: any MetricsFactory = MetricsSystem.factory) throws(TailSamplingConfigurationError) {
        try configuration.validate()
        self.configuration = configuration
        self.metrics = TailSamplingMetrics(policyNames: configuration.policies.map(\.name), factory: metrics)
        state = Mutex(TailSamplingBuffer(configuration: configuration))
    }

    /// Takes in a batch at `now`: spans of traces already decided "keep" are returned to
    /// write now, spans of traces decided "drop" are dropped (counted), the rest are
    /// buffered. Also returns the spans of any trace kept because a bound made it be
    /// decided early.
    public func offer(_ batch: SpanBatch, now: Duration) -> SpanBatch {
        if batch.isEmpty { return SpanBatch() }
        return run { buffer, outcome in buffer.offer(batch, now: now, into: &outcome) }
    }

    /// Decides every trace whose wait has elapsed at `now`, oldest first; returns the
    /// spans of those kept, to write.
    public func decideDue(now: Duration) -> SpanBatch {
        run { buffer, outcome in buffer.decideDue(now: now, into: &outcome) }
    }

    /// Decides everything buffered at `now` (at shutdown); returns the spans kept.
    public func decideAll(now: Duration) -> SpanBatch {
        run { buffer, outcome in buffer.decideAll(now: now, into: &outcome) }
    }

    /// Traces buffered, waiting for their decision.
    public var bufferedTraceCount: Int { state.withLock { $0.traceCount } }

    /// Spans buffered, waiting for their trace's decision.
    public var bufferedSpanCount: Int { state.withLock { $0.spanCount } }

    /// The earliest time a buffered trace becomes due (for the pipeline's timer), nil
    /// when nothing is buffered.
    public var nextDeadline: Duration? { state.withLock { $0.nextDeadline } }

    /// A rough count of the bytes buffering takes: every offered batch still held by a
    /// buffered trace, whole, plus a fixed overhead per trace and piece and the span
    /// indices. What ``TailSamplingConfiguration/maxBufferedBytes`` bounds.
    var approximateBufferedBytes: Int { state.withLock { $0.approximateBytes } }

    /// Offered batches still held by buffered traces.
    var heldBatchCount: Int { state.withLock { $0.heldBatchCount } }

    /// Decisions remembered for late spans.
    var rememberedDecisionCount: Int { state.withLock { $0.rememberedDecisionCount } }

    private func run(_ event: (inout TailSamplingBuffer, inout TailSamplingOutcome) -> Void) -> SpanBatch {
        let outcome = state.withLock { buffer in
            var outcome = buffer.makeOutcome()
            event(&buffer, &outcome)
            metrics.recordBuffer(traces: buffer.traceCount, spans: buffer.spanCount, bytes: buffer.approximateBytes)
            return outcome
        }
        metrics.record(outcome)
        return TailSamplingBuffer.batch(of: outcome.kept)
    }
}
