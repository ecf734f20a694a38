public import SpindleModel
public import SpindleStorage

extension ClickHouseTraceStore {
    /// Every stored span starting in `timeRange` (each once), in batches of at most about
    /// `Paging.scanChunk` (20,000) spans, oldest time window first.
    ///
    /// The range is cut into windows from span counts per hour (finer where an hour holds
    /// more), and each window is one query, read only when the consumer asks for the next
    /// batch: memory holds one batch at a time. A single nanosecond holding more than a
    /// chunk (spans without a start time all start at 0) is read in slices by a hash of
    /// the span's IDs, so that copies of a span fall in the same slice. A read fails the stream with `.unavailable`
    /// when the task is cancelled during it; note that a consumer cancelled while *waiting*
    /// for the next batch sees the stream end, as Swift's `AsyncThrowingStream` ends on
    /// cancellation.
    public func scan(timeRange: TimeRange) -> AsyncThrowingStream<SpanBatch, any Error> {
        let scanner = Scanner(store: self, range: timeRange)
        return AsyncThrowingStream(unfolding: { () async throws -> SpanBatch? in
            try await scanner.next()
        })
    }

    /// The state of one scan: windows still to read.
    actor Scanner {
        let store: ClickHouseTraceStore
        let range: TimeRange
        /// Windows not yet split or read, newest last; nil until the first call. A window
        /// with bucket 0 is read, in `slice.index` of `slice.count` hash slices if set.
        var pending: [Pending]?

        struct Pending {
            var window: TimeRange
            var bucket: UInt64
            var slice: (index: UInt64, count: UInt64)? = nil
        }

        init(store: ClickHouseTraceStore, range: TimeRange) {
            self.store = store
            self.range = range
        }

        func next() async throws(StorageError) -> SpanBatch? {
            if pending == nil { pending = range.end > range.start ? [Pending(window: range, bucket: 3_600_000_000_000)] : [] }
            while let entry = pending?.popLast() {
                let (window, bucket) = (entry.window, entry.bucket)
                // Bucket 0: a window to read.
                if bucket == 0 {
                    if let batch = try await store.spansStarting(in: window, slice: entry.slice) { return batch }
                    continue
                }
                // Otherwise count spans per bucket and cut windows of runs of buckets up to
                // the chunk size; a bucket above it is counted again in finer buckets
                // (down to single nanoseconds, which are read in hash slices).
                var chunks: [Pending] = []
                var run: (start: UInt64, end: UInt64, count: UInt64)?
                for (index, count) in try await store.spanCounts(in: window, bucket: bucket) {
                    let start = max(window.start, index &* bucket)
                    let (product, overflow) = (index &+ 1).multipliedReportingOverflow(by: bucket)
                    let end = overflow ? window.end : min(window.end, product)
                    if let current = run, current.count + count <= store.paging.scanChunk {
                        run = (current.start, end, current.count + count)
                        continue
                    }
                    if let current = run { chunks.append(Pending(window: TimeRange(start: current.start, end: current.end), bucket: 0)) }
                    run = nil
                    if count > store.paging.scanChunk, bucket > 1 {
                        chunks.append(Pending(window: TimeRange(start: start, end: end), bucket: max(1, bucket / 1000)))
                    } else if count > store.paging.scanChunk {
                        let slices = (count + store.paging.scanChunk - 1) / store.paging.scanChunk
                        for index in 0..<slices {
                            chunks.append(Pending(window: TimeRange(start: start, end: end), bucket: 0, slice: (index, slices)))
                        }
                    } else {
                        run = (start, end, count)
                    }
                }
                if let current = run { chunks.append(Pending(window: TimeRange(start: current.start, end: current.end), bucket: 0)) }
                // Onto the stack reversed, so that the oldest window comes off first.
                pending?.append(contentsOf: chunks.reversed())
            }
            return nil
        }
    }

    /// Span rows (copies included) per `bucket` nanoseconds starting in `window`.
    func spanCounts(in window: TimeRange, bucket: UInt64) async throws(StorageError) -> [(UInt64, UInt64)] {
        let answer = try await query("""
            SELECT intDiv(start_unix_nano, \(bucket)) AS bucket, count() FROM \(spansTable)
            WHERE \(Self.whereClause([Self.startCondition(window)])) GROUP BY bucket ORDER BY bucket FORMAT RowBinary
            """)
        var reader = RowBinaryReader(answer, what: "span counts")
        var out: [(UInt64, UInt64)] = []
        while !reader.isAtEnd { out.append((try reader.uint64("bucket"), try reader.uint64("count"))) }
        return out
    }

    /// The spans starting in `window` (in one hash slice of them when `slice` is set), each
    /// once, or nil when there are none.
    func spansStarting(in window: TimeRange, slice: (index: UInt64, count: UInt64)? = nil) async throws(StorageError) -> SpanBatch? {
        let sliceCondition = slice.map { "cityHash64(trace_id, span_id) % \($0.count) = \($0.index)" }
        let answer = try await query("""
            SELECT \(Self.spanColumns) FROM \(spansTable)
            WHERE \(Self.whereClause([Self.startCondition(window), sliceCondition]))
            LIMIT 1 BY trace_id, span_id FORMAT RowBinary
            """)
        let rows = try ClickHouseSpanRowReader.rows(answer, what: "the spans of a scan")
        try Self.checkCancellation()
        return rows.isEmpty ? nil : ClickHouseSpanRowReader.batch(rows)
    }
}
