public import SpindleModel

// Entry points for storage engines built on this store: the native engine keeps its
// head (the spans not yet in blocks) in an `InMemoryTraceStore` and combines the head's
// answers with its blocks' through these.
extension InMemoryTraceStore {
    /// Stores a batch now, without suspending: ``write(_:)`` for callers holding a lock.
    package func insert(_ batch: SpanBatch) {
        if batch.isEmpty { return }
        let maxSpans = self.maxSpans
        state.withLock { $0.insert(batch, maxSpans: maxSpans) }
    }

    /// The stored spans, as batches in write order (each span once).
    package func storedBatches() -> [SpanBatch] {
        state.withLock { $0.snapshot() }.compactMap { Self.spans(of: $0, startingIn: .all) }
    }

    /// The earliest and latest start among stored spans; nil when empty.
    package func startRange() -> (min: UInt64, max: UInt64)? {
        let snapshot = state.withLock { $0.snapshot() }
        guard !snapshot.isEmpty else { return nil }
        return (snapshot.map(\.minStart).min() ?? 0, snapshot.map(\.maxStart).max() ?? 0)
    }

    /// Every trace with a span matching every filter of `query` (see ``search(_:)``),
    /// without ranking or limit.
    package func matchingTraces(_ query: TraceQuery) throws(StorageError) -> Set<TraceID> {
        let snapshot = state.withLock { $0.snapshot() }
        let matcher = SpanMatcher(query)
        var matched = Set<TraceID>()
        for stored in snapshot where stored.overlaps(query.timeRange) {
            try Self.checkCancellation("search")
            matcher.collect(stored, into: &matched)
        }
        return matched
    }

    /// The earliest start among the stored spans of a trace; nil when none is stored.
    package func startTime(of id: TraceID) -> UInt64? {
        state.withLock { $0.startTime(of: id) }
    }

    /// A search summary of `batch`, which holds all of one trace's spans, each once.
    package static func summary(of id: TraceID, batch: SpanBatch) -> TraceSummary {
        summary(of: id, parts: [TracePart(batch: batch, indices: Array(0..<batch.spanCount))])
    }

    /// The stored span IDs of a trace.
    package func spanIDs(of id: TraceID) -> Set<SpanID> {
        state.withLock { Set($0.traces[id]?.keys ?? [:].keys) }
    }
}

extension InMemoryTraceStore {
    /// ``trace(id:timeRange:)`` without a time range and without suspending.
    package func traceNow(_ id: TraceID) -> SpanBatch? {
        let parts = state.withLock { $0.locate(id) }
        if parts.isEmpty { return nil }
        return SpanBatch(concatenating: parts.map { $0.batch.selecting(spansAt: $0.indices) })
    }
}
