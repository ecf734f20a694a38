public import SpindleModel
import Synchronization

/// The reference implementation of ``TraceWriter`` and ``TraceReader``: spans kept in
/// process memory, for `spindle serve --storage memory` and for tests.
///
/// - **Writes** keep the written ``SpanBatch`` values as they are (immutable, sharing
///   their arena) plus a per-trace index of (batch, span index); no span is materialized
///   on write. A write takes one lock for the whole batch, never an actor hop.
/// - **Idempotent.** A span whose (trace ID, span ID) is already stored is skipped; the
///   first copy written is the one kept. A batch whose spans are all stored already is
///   not kept at all.
/// - **Bounded.** At most ``maxSpans`` spans are stored. When a write takes the count
///   over the bound, the oldest-written spans are evicted until it is back at the bound:
///   whole oldest batches first, then, if still over, the oldest spans of the next
///   batch (which keeps its newer spans). A batch larger than the bound keeps only its
///   last `maxSpans` spans. Eviction ignores trace boundaries, so an evicted trace can
///   be left partial; a span that was evicted is stored again if written again. The
///   bound counts spans, not bytes: a kept batch holds its whole arena even when some
///   of its spans were evicted or were duplicates.
/// - **Reads** take the lock only to copy out references (a snapshot of the batch list,
///   the locations of a trace) and, in a search, to rank the matching traces by start;
///   filtering and building results happen without it, so a long search does not hold
///   up the collector. A read sees every write that returned before it began.
/// - **Queries** are evaluated exactly as ``TraceReader`` and ``TraceQuery`` document,
///   directly on the batches' tables. Choices the protocol leaves open are listed on
///   each method.
public final class InMemoryTraceStore: TraceWriter, TraceReader {
    /// The most spans kept; older ones are evicted past it.
    public let maxSpans: Int

    let state: Mutex<State>

    /// A store that keeps at most `maxSpans` spans (at least 1).
    public init(maxSpans: Int) {
        precondition(maxSpans >= 1, "InMemoryTraceStore needs maxSpans >= 1, got \(maxSpans)")
        self.maxSpans = maxSpans
        state = Mutex(State())
    }

    /// The number of spans stored now (each stored span once).
    public var spanCount: Int {
        state.withLock { $0.spanCount }
    }

    /// The number of traces with at least one stored span.
    public var traceCount: Int {
        state.withLock { $0.traces.count }
    }

    // MARK: TraceWriter

    /// Stores the spans of `batch` not stored yet, then evicts the oldest spans past
    /// ``maxSpans``. Never throws: memory is the durability point.
    public func write(_ batch: SpanBatch) async throws(StorageError) {
        if batch.isEmpty { return }
        let maxSpans = self.maxSpans
        state.withLock { $0.insert(batch, maxSpans: maxSpans) }
    }

    // MARK: TraceReader — one trace

    /// Every stored span of the trace, in the order written, under their own resources
    /// and scopes (groups without spans are not returned). With `timeRange`, nil unless
    /// at least one stored span of the trace starts in it; the whole trace otherwise.
    public func trace(id: TraceID, timeRange: TimeRange?) async throws(StorageError) -> SpanBatch? {
        let parts = state.withLock { $0.locate(id) }
        if parts.isEmpty { return nil }
        if let timeRange, !parts.contains(where: { $0.hasSpan(startingIn: timeRange) }) { return nil }
        return SpanBatch(concatenating: parts.map { $0.batch.selecting(spansAt: $0.indices) })
    }

    static func checkCancellation(_ operation: String) throws(StorageError) {
        if Task.isCancelled {
            throw StorageError(.unavailable, "\(operation) was cancelled before it finished; no partial result is returned")
        }
    }
}
