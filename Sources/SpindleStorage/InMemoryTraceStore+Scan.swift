public import SpindleModel

extension InMemoryTraceStore {
    /// Every span stored when `scan` is called that starts in `timeRange`, one batch per
    /// written batch that has such spans, oldest first: the written batch itself when
    /// all its spans are stored and in range (empty resource and scope groups included),
    /// otherwise a selection of it that shares its arena.
    ///
    /// The batches are queued when `scan` is called (references, or selections that copy
    /// only span, scope and resource rows), so the stream always delivers all of them.
    /// Called from a cancelled task, the stream throws ``StorageError`` `.unavailable`
    /// instead. (A lazily produced `AsyncThrowingStream` would end *silently* when its
    /// consumer is cancelled, which would pass a partial scan off as complete.)
    public func scan(timeRange: TimeRange) -> AsyncThrowingStream<SpanBatch, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: SpanBatch.self)
        do {
            try Self.checkCancellation("scan")
        } catch {
            continuation.finish(throwing: error)
            return stream
        }
        for stored in state.withLock({ $0.snapshot() }) where stored.overlaps(timeRange) {
            if let batch = Self.spans(of: stored, startingIn: timeRange) { continuation.yield(batch) }
        }
        continuation.finish()
        return stream
    }

    /// The stored spans of `stored` that start in `timeRange`, or nil when there are none.
    static func spans(of stored: SnapshotBatch, startingIn timeRange: TimeRange) -> SpanBatch? {
        // The common case for aggregations over recent data: the whole batch is stored
        // and in range, so it is handed on as it was written, without a copy.
        if stored.live.count == stored.batch.spanCount, timeRange.contains(stored.minStart), timeRange.contains(stored.maxStart) {
            return stored.batch
        }
        let spans = stored.batch.tables.spans
        let selected = stored.live.lazy.map { Int($0) }.filter { timeRange.contains(spans[$0].startTimeUnixNano) }
        let batch = stored.batch.selecting(spansAt: selected)
        return batch.isEmpty ? nil : batch
    }
}
