import SpindleModel
import SpindleStorage

/// What one call on a ``TailSamplingBuffer`` decided: the spans to write, and the counts
/// the metrics report.
struct TailSamplingOutcome: Sendable {
    /// Why traces were decided before their wait was over.
    enum EarlyReason: Int, CaseIterable, Sendable {
        /// A new trace would have exceeded ``TailSamplingConfiguration/maxTraces``.
        case maxTraces
        /// The buffer held more than ``TailSamplingConfiguration/maxBufferedSpans``.
        case maxBufferedSpans
        /// The buffer held more than ``TailSamplingConfiguration/maxBufferedBytes``.
        case maxBufferedBytes
        /// The trace reached ``TailSamplingConfiguration/maxSpansPerTrace``.
        case maxSpansPerTrace

        var label: String {
            switch self {
            case .maxTraces: "max_traces"
            case .maxBufferedSpans: "max_buffered_spans"
            case .maxBufferedBytes: "max_buffered_bytes"
            case .maxSpansPerTrace: "max_spans_per_trace"
            }
        }
    }

    /// Spans to write now: the pieces of kept traces, and of spans that followed a "keep"
    /// decision on arrival.
    var kept: [TailSamplingPiece] = []
    /// Traces kept, by the index of the first policy that matched.
    var sampledByPolicy: [Int]
    /// Traces kept because no policy is configured.
    var sampledWithoutPolicies = 0
    /// Traces no policy matched.
    var notSampled = 0
    /// Matches by policy index (every policy that matched, not only the first).
    var policyMatches: [Int]
    /// Spans that arrived after their trace was decided, by that decision.
    var lateSpansSampled = 0
    var lateSpansNotSampled = 0
    /// Every span decided (buffered ones when their trace is decided, late ones at once).
    var spansSampled = 0
    var spansNotSampled = 0
    /// Traces decided early, by ``EarlyReason/rawValue``.
    var decidedEarly = [Int](repeating: 0, count: EarlyReason.allCases.count)

    init(policyCount: Int) {
        sampledByPolicy = [Int](repeating: 0, count: policyCount)
        policyMatches = [Int](repeating: 0, count: policyCount)
    }

    var decidedTraces: Int { sampledByPolicy.reduce(0, +) + sampledWithoutPolicies + notSampled }
}

/// The tail sampler's state machine: buffered traces in arrival order, the batches they
/// hold on to, the remembered decisions, and the rules. Pure: no clock, lock or I/O of
/// its own; each event method takes the pipeline's time and reports what it decided in a
/// ``TailSamplingOutcome``.
///
/// Traces are decided in arrival order (their first span's), which is also deadline
/// order since every trace waits the same time. `now` is taken as the latest time seen,
/// so a clock that steps back cannot reorder deadlines.
///
/// Memory: a buffered trace holds indices into the batches its spans came in (see
/// ``TailSamplingPiece``); each such batch counts whole in ``approximateBytes`` until its
/// last buffered trace is decided. A batch is offered at or after the first span of every
/// trace it holds, so it is released at most one decision wait after it was offered.
struct TailSamplingBuffer {
    private struct Source {
        let bytes: Int
        /// Buffered traces holding a piece of it.
        var traces: Int
    }

    let configuration: TailSamplingConfiguration
    private var rules: TailSamplingRules
    private var traces: [TraceID: TailSamplingTrace] = [:]
    /// Trace IDs in arrival order from `arrivalsHead`; an entry whose sequence differs from
    /// its buffered trace's (decided early, or buffered anew since) is stale and skipped.
    private var arrivals: [(traceID: TraceID, sequence: UInt64)] = []
    private var arrivalsHead = 0
    private var nextSequence: UInt64 = 0
    /// Offered batches that buffered traces hold pieces of, by their number.
    private var sources: [UInt64: Source] = [:]
    private var nextSource: UInt64 = 0
    private var cache: TailSamplingDecisionCache
    private var latestNow: Duration?
    private(set) var spanCount = 0
    private(set) var approximateBytes = 0

    /// `configuration` must have passed ``TailSamplingConfiguration/validate()``.
    init(configuration: TailSamplingConfiguration) {
        self.configuration = configuration
        rules = TailSamplingRules(configuration.policies)
        cache = TailSamplingDecisionCache(capacity: configuration.decisionCacheSize)
    }

    var traceCount: Int { traces.count }

    var rememberedDecisionCount: Int { cache.count }

    /// Offered batches still held by buffered traces.
    var heldBatchCount: Int { sources.count }

    /// The deadline of the oldest buffered trace.
    var nextDeadline: Duration? {
        guard arrivalsHead < arrivals.count else { return nil }
        return traces[arrivals[arrivalsHead].traceID]?.deadline
    }

    func makeOutcome() -> TailSamplingOutcome { TailSamplingOutcome(policyCount: rules.names.count) }

    // MARK: Events

    /// Buffers the spans of undecided traces; spans of decided traces follow their
    /// decision (kept ones go to `outcome.kept`). Decides early whatever the bounds
    /// require, oldest first.
    mutating func offer(_ batch: SpanBatch, now: Duration, into outcome: inout TailSamplingOutcome) {
        guard !batch.isEmpty else { return }
        let now = advance(to: now)
        let source = nextSource
        nextSource += 1
        var lateKept: [Int] = []
        for group in Self.groupByTrace(batch.tables.spans) {
            let traceID = group.traceID
            if traces[traceID] == nil {
                if let kept = cache.decision(for: traceID) {
                    followDecision(kept, spansAt: group.indices, into: &outcome, lateKept: &lateKept)
                    continue
                }
                while traces.count >= configuration.maxTraces, decideOldest(now: now, reason: .maxTraces, into: &outcome) {}
                let trace = TailSamplingTrace(deadline: now + configuration.decisionWait, sequence: nextSequence)
                traces[traceID] = trace
                approximateBytes += trace.ownBytes
                arrivals.append((traceID, nextSequence))
                nextSequence += 1
            }
            let room = configuration.maxSpansPerTrace - (traces[traceID]?.spanCount ?? 0)
            let buffered = group.indices.count <= room ? group.indices : Array(group.indices.prefix(room))
            hold(source, of: batch)
            let bytesBefore = traces[traceID]?.ownBytes ?? 0
            traces[traceID]?.append(TailSamplingPiece(source: source, batch: batch, indices: buffered))
            spanCount += buffered.count
            approximateBytes += (traces[traceID]?.ownBytes ?? 0) - bytesBefore
            if (traces[traceID]?.spanCount ?? 0) >= configuration.maxSpansPerTrace {
                let kept = decide(traceID, now: now, reason: .maxSpansPerTrace, into: &outcome)
                if buffered.count < group.indices.count {
                    followDecision(kept, spansAt: group.indices[buffered.count...], into: &outcome, lateKept: &lateKept)
                }
            }
        }
        while spanCount > configuration.maxBufferedSpans, decideOldest(now: now, reason: .maxBufferedSpans, into: &outcome) {}
        while approximateBytes > configuration.maxBufferedBytes, decideOldest(now: now, reason: .maxBufferedBytes, into: &outcome) {}
        if !lateKept.isEmpty {
            lateKept.sort()
            outcome.kept.append(TailSamplingPiece(source: source, batch: batch, indices: lateKept))
        }
    }

    /// Decides every trace whose deadline is at or before `now`, oldest first.
    mutating func decideDue(now: Duration, into outcome: inout TailSamplingOutcome) {
        let now = advance(to: now)
        while arrivalsHead < arrivals.count {
            let traceID = arrivals[arrivalsHead].traceID
            guard let deadline = traces[traceID]?.deadline, deadline <= now else { return }
            decide(traceID, now: now, reason: nil, into: &outcome)
        }
    }

    /// Decides every buffered trace now, oldest first.
    mutating func decideAll(now: Duration, into outcome: inout TailSamplingOutcome) {
        let now = advance(to: now)
        while decideOldest(now: now, reason: nil, into: &outcome) {}
    }

    // MARK: Deciding

    private mutating func advance(to now: Duration) -> Duration {
        let latest = max(latestNow ?? now, now)
        latestNow = latest
        return latest
    }

    /// Counts one more buffered trace holding a piece of `batch`.
    private mutating func hold(_ source: UInt64, of batch: SpanBatch) {
        if sources[source] != nil {
            sources[source]?.traces += 1
            return
        }
        let bytes = TailSamplingTrace.approximateBytes(of: batch)
        sources[source] = Source(bytes: bytes, traces: 1)
        approximateBytes += bytes
    }

    /// Counts one fewer buffered trace holding a piece of the batch; releases it after the last.
    private mutating func release(_ source: UInt64) {
        guard let held = sources[source] else { return }
        if held.traces > 1 {
            sources[source]?.traces -= 1
        } else {
            sources[source] = nil
            approximateBytes -= held.bytes
        }
    }

    /// Decides the oldest buffered trace; false when there is none.
    private mutating func decideOldest(now: Duration, reason: TailSamplingOutcome.EarlyReason?, into outcome: inout TailSamplingOutcome) -> Bool {
        guard arrivalsHead < arrivals.count else { return false }
        decide(arrivals[arrivalsHead].traceID, now: now, reason: reason, into: &outcome)
        return true
    }

    /// Evaluates the policies on a buffered trace, removes it, remembers the decision and
    /// reports it; returns whether it is kept.
    @discardableResult
    private mutating func decide(_ traceID: TraceID, now: Duration, reason: TailSamplingOutcome.EarlyReason?, into outcome: inout TailSamplingOutcome) -> Bool {
        guard let trace = traces.removeValue(forKey: traceID) else { return false }
        spanCount -= trace.spanCount
        approximateBytes -= trace.ownBytes
        for piece in trace.pieces { release(piece.source) }
        dropStaleArrivals()
        let first = rules.firstMatch(trace, traceID: traceID, now: now, matches: &outcome.policyMatches)
        let kept = rules.isEmpty || first != nil
        cache.record(traceID, kept: kept)
        if let reason { outcome.decidedEarly[reason.rawValue] += 1 }
        if kept {
            if let first { outcome.sampledByPolicy[first] += 1 } else { outcome.sampledWithoutPolicies += 1 }
            outcome.spansSampled += trace.spanCount
            outcome.kept.append(contentsOf: trace.pieces)
        } else {
            outcome.notSampled += 1
            outcome.spansNotSampled += trace.spanCount
        }
        return kept
    }

    /// Spans of a decided trace: kept ones are collected to write, dropped ones counted.
    private func followDecision(_ kept: Bool, spansAt indices: some Collection<Int>, into outcome: inout TailSamplingOutcome, lateKept: inout [Int]) {
        if kept {
            lateKept.append(contentsOf: indices)
            outcome.lateSpansSampled += indices.count
            outcome.spansSampled += indices.count
        } else {
            outcome.lateSpansNotSampled += indices.count
            outcome.spansNotSampled += indices.count
        }
    }

    /// Keeps the front of ``arrivals`` on a buffered trace, and the array itself within a
    /// small multiple of the buffered trace count.
    private mutating func dropStaleArrivals() {
        while arrivalsHead < arrivals.count {
            let entry = arrivals[arrivalsHead]
            if traces[entry.traceID]?.sequence == entry.sequence { break }
            arrivalsHead += 1
        }
        if arrivalsHead == arrivals.count {
            arrivals.removeAll(keepingCapacity: arrivals.count <= 4 * configuration.maxTraces)
            arrivalsHead = 0
        } else if arrivalsHead >= 1024, arrivalsHead * 2 >= arrivals.count {
            arrivals.removeFirst(arrivalsHead)
            arrivalsHead = 0
        } else if arrivals.count - arrivalsHead > 2 * traces.count + 1024 {
            // Stale entries inside the queue (traces decided at their span limit).
            arrivals = arrivals[arrivalsHead...].filter { traces[$0.traceID]?.sequence == $0.sequence }
            arrivalsHead = 0
        }
    }

    // MARK: Writing

    /// The spans of `pieces` as one batch to write: the pieces of each offered batch
    /// selected together (so spans that shared a resource still do), then copied into one
    /// compact batch. A single offered batch's selection is returned as it is.
    static func batch(of pieces: [TailSamplingPiece]) -> SpanBatch {
        guard !pieces.isEmpty else { return SpanBatch() }
        var order: [UInt64] = []
        var bySource: [UInt64: (batch: SpanBatch, indices: [Int])] = [:]
        for piece in pieces {
            if bySource[piece.source]?.indices.append(contentsOf: piece.indices) == nil {
                order.append(piece.source)
                bySource[piece.source] = (piece.batch, piece.indices)
            }
        }
        let selections = order.compactMap { source -> SpanBatch? in
            guard var entry = bySource[source] else { return nil }
            // Each span is in one piece at most, so sorting leaves the indices strictly ascending.
            entry.indices.sort()
            return entry.indices.count == entry.batch.spanCount ? entry.batch : entry.batch.selecting(spansAt: entry.indices)
        }
        return SpanBatch(concatenating: selections)
    }

    // MARK: Helpers

    /// Nanoseconds in `duration`, clamped to `Int64`'s range.
    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, sumOverflow) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        return sumOverflow ? (whole < 0 ? .min : .max) : sum
    }

    /// The span indices of each trace in `spans`, in order of first appearance.
    ///
    /// Hot path: spans of one trace usually come together, so a run of the same trace ID
    /// costs one comparison per span instead of a dictionary lookup.
    static func groupByTrace(_ spans: [SpanRow]) -> [(traceID: TraceID, indices: [Int])] {
        var groups: [(traceID: TraceID, indices: [Int])] = []
        var groupOf: [TraceID: Int] = [:]
        var current = -1
        for index in spans.indices {
            let traceID = spans[index].traceID
            if current >= 0, groups[current].traceID == traceID {
                groups[current].indices.append(index)
                continue
            }
            if let existing = groupOf[traceID] {
                current = existing
                groups[current].indices.append(index)
            } else {
                current = groups.count
                groupOf[traceID] = current
                groups.append((traceID, [index]))
            }
        }
        return groups
    }
}
