import SpindleModel

extension InMemoryTraceStore {
    /// Where a stored span lives: the sequence number of its batch and its row there.
    struct SpanLocation: Hashable {
        var sequence: Int
        var index: UInt32
    }

    /// A written batch and which of its spans are stored.
    struct StoredBatch {
        let batch: SpanBatch
        /// Rows stored from this batch, ascending: every row but duplicates.
        let live: [UInt32]
        /// How many of `live`, from the front, have been evicted.
        var evicted: Int
        /// Earliest and latest start among `live`, so range queries can skip the batch.
        let minStart: UInt64
        let maxStart: UInt64

        var remaining: ArraySlice<UInt32> { live[evicted...] }
    }

    /// The batch list a read works on without the lock.
    struct SnapshotBatch: Sendable {
        let batch: SpanBatch
        let live: ArraySlice<UInt32>
        let minStart: UInt64
        let maxStart: UInt64

        /// False only when no stored span of the batch can start in `range`.
        func overlaps(_ range: TimeRange) -> Bool {
            minStart < range.end && maxStart >= range.start
        }
    }

    /// The spans of one trace within one batch.
    struct TracePart: Sendable {
        let batch: SpanBatch
        /// Rows, ascending.
        let indices: [Int]

        func hasSpan(startingIn range: TimeRange) -> Bool {
            let spans = batch.tables.spans
            return indices.contains { range.contains(spans[$0].startTimeUnixNano) }
        }
    }

    struct State {
        /// Batches in write order; `batches[i]` has sequence `baseSequence + i`, and
        /// those before `head` have been evicted (nil).
        var batches: [StoredBatch?] = []
        var baseSequence = 0
        var head = 0
        /// Per trace, the location of each stored span, keyed by span ID: the index
        /// for ``trace(id:timeRange:)`` and the idempotency check in one.
        var traces: [TraceID: [SpanID: SpanLocation]] = [:]
        var spanCount = 0

        mutating func insert(_ batch: SpanBatch, maxSpans: Int) {
            let sequence = baseSequence + batches.count
            let tables = batch.tables
            var live: [UInt32] = []
            live.reserveCapacity(tables.spans.count)
            var minStart = UInt64.max
            var maxStart = UInt64.min
            // Hot path: one dictionary probe per span, no span values built, rows read
            // in place.
            tables.spans.withUnsafeBufferPointer { spans in
                for index in spans.indices {
                    let location = SpanLocation(sequence: sequence, index: UInt32(index))
                    let isNew = Self.insert(location, spanID: spans[index].spanID, into: &traces[spans[index].traceID, default: [:]])
                    guard isNew else { continue }
                    live.append(UInt32(index))
                    let start = spans[index].startTimeUnixNano
                    minStart = min(minStart, start)
                    maxStart = max(maxStart, start)
                }
            }
            guard !live.isEmpty else { return }
            batches.append(StoredBatch(batch: batch, live: live, evicted: 0, minStart: minStart, maxStart: maxStart))
            spanCount += live.count
            evict(toAtMost: maxSpans)
        }

        private static func insert(_ location: SpanLocation, spanID: SpanID, into spans: inout [SpanID: SpanLocation]) -> Bool {
            if spans[spanID] != nil { return false }
            spans[spanID] = location
            return true
        }

        /// Evicts the oldest-written spans until at most `maxSpans` remain.
        mutating func evict(toAtMost maxSpans: Int) {
            while spanCount > maxSpans, head < batches.count {
                guard var stored = batches[head] else {
                    head += 1
                    continue
                }
                let remaining = stored.remaining
                let count = min(spanCount - maxSpans, remaining.count)
                let sequence = baseSequence + head
                let spans = stored.batch.tables.spans
                for index in remaining.prefix(count) {
                    let row = spans[Int(index)]
                    let location = SpanLocation(sequence: sequence, index: index)
                    guard traces[row.traceID]?[row.spanID] == location else { continue }
                    traces[row.traceID]?[row.spanID] = nil
                    if traces[row.traceID]?.isEmpty == true { traces[row.traceID] = nil }
                }
                spanCount -= count
                if count == remaining.count {
                    batches[head] = nil
                    head += 1
                } else {
                    stored.evicted += count
                    batches[head] = stored
                }
            }
            // Drop evicted slots in bulk so the list does not grow without bound.
            if head >= 64, head * 2 >= batches.count {
                batches.removeFirst(head)
                baseSequence += head
                head = 0
            }
        }

        /// The stored batches, oldest first: references a read can work on after
        /// releasing the lock.
        func snapshot() -> [SnapshotBatch] {
            var result: [SnapshotBatch] = []
            result.reserveCapacity(batches.count - head)
            for stored in batches[head...] {
                guard let stored else { continue }
                result.append(SnapshotBatch(batch: stored.batch, live: stored.remaining, minStart: stored.minStart, maxStart: stored.maxStart))
            }
            return result
        }

        /// The earliest start among the stored spans of a trace; nil when none.
        func startTime(of id: TraceID) -> UInt64? {
            guard let spans = traces[id] else { return nil }
            var start: UInt64?
            for location in spans.values {
                guard let stored = batches[location.sequence - baseSequence] else { continue }
                let spanStart = stored.batch.tables.spans[Int(location.index)].startTimeUnixNano
                start = min(start ?? spanStart, spanStart)
            }
            return start
        }

        /// The stored spans of a trace, grouped by batch in write order; empty when none.
        func locate(_ id: TraceID) -> [TracePart] {
            guard let spans = traces[id] else { return [] }
            let locations = spans.values.sorted { ($0.sequence, $0.index) < ($1.sequence, $1.index) }
            var parts: [TracePart] = []
            var start = 0
            while start < locations.count {
                let sequence = locations[start].sequence
                var end = start
                while end < locations.count, locations[end].sequence == sequence { end += 1 }
                if let stored = batches[sequence - baseSequence] {
                    parts.append(TracePart(batch: stored.batch, indices: locations[start..<end].map { Int($0.index) }))
                }
                start = end
            }
            return parts
        }
    }
}
