import Metrics
import SpindleModel
import SpindleStorage
import Synchronization

/// Applies ``SpanLimits`` to the pipeline's valid spans, in this order:
///
/// 1. **Per request.** Past ``SpanLimits/maxSpansPerRequest``, the rest of the request is
///    rejected (the first spans are kept).
/// 2. **Per trace.** Each trace's spans are counted as they are accepted; past
///    ``SpanLimits/maxSpansPerTrace`` they are rejected. The first time a trace goes over,
///    one marker span is added to it (named ``markerSpanName``, a child of the first
///    rejected span's parent, with `spindle.limit` and `spindle.limit.max_spans`
///    attributes) so whoever opens the trace sees it is incomplete. Its span ID is
///    derived from the trace ID, so a request retried after a failed write (whose
///    counts were taken back with ``undo(_:)``) writes the same marker again rather
///    than a second one.
/// 3. **Per span.** Attributes, events and links past their limits are dropped (the
///    first kept, the dropped counts raised, as the OpenTelemetry SDKs do); string and
///    bytes values past ``SpanLimits/maxAttributeValueBytes`` are cut. Nothing is copied:
///    the rows' ranges shrink and the cut values point at a prefix of their bytes.
///
/// A batch within every limit is returned as it is, having been read once.
/// Counted in `spindle_limited_total{limit}` (attributes, events and links dropped,
/// values cut, marker spans written); rejected spans are reported by the pipeline.
final class SpanLimiter: Sendable {
    /// The name of the span that marks a trace cut at ``SpanLimits/maxSpansPerTrace``.
    static let markerSpanName = "spindle.limit.spans_dropped"

    struct Outcome {
        var batch: SpanBatch
        /// Spans past ``SpanLimits/maxSpansPerRequest``.
        var rejectedByRequestLimit = 0
        /// Spans past ``SpanLimits/maxSpansPerTrace``.
        var rejectedByTraceLimit = 0
        /// The spans this batch added to the per-trace counts (nil when there is no
        /// per-trace limit), for ``undo(_:)`` when its write fails: the client retries
        /// it, and must not be counted twice.
        var counted: SpanBatch?
    }

    let limits: SpanLimits
    private let counts: Mutex<TraceSpanCounts>
    private let droppedAttributes: Counter
    private let droppedEvents: Counter
    private let droppedLinks: Counter
    private let truncatedValues: Counter
    private let markedTraces: Counter

    init(limits: SpanLimits, metrics: any MetricsFactory) {
        self.limits = limits
        counts = Mutex(TraceSpanCounts(capacity: limits.maxSpansPerTrace == nil ? 1 : max(1, limits.tracesTracked)))
        func counter(_ limit: String) -> Counter {
            Counter(label: "spindle_limited_total", dimensions: [("limit", limit)], factory: metrics)
        }
        droppedAttributes = counter("attributes_dropped")
        droppedEvents = counter("events_dropped")
        droppedLinks = counter("links_dropped")
        truncatedValues = counter("values_truncated")
        markedTraces = counter("traces_marked")
    }

    func apply(_ batch: SpanBatch) -> Outcome {
        var outcome = Outcome(batch: batch)
        if let maxSpans = limits.maxSpansPerRequest, batch.spanCount > maxSpans {
            outcome.batch = batch.selecting(spansAt: 0..<maxSpans)
            outcome.rejectedByRequestLimit = batch.spanCount - maxSpans
        }
        if let maxSpans = limits.maxSpansPerTrace {
            applyTraceLimit(maxSpans, to: &outcome)
        }
        if let shaped = shape(outcome.batch.tables) {
            outcome.batch = SpanBatch(tables: shaped)
        }
        return outcome
    }

    // MARK: Per trace

    private func applyTraceLimit(_ maxSpans: Int, to outcome: inout Outcome) {
        let batch = outcome.batch
        let spans = batch.tables.spans
        // The indices of spans over the limit, and of the first of each newly cut trace.
        let (over, firstOver): ([Int], [Int]) = counts.withLock { counts in
            var over: [Int] = []
            var firstOver: [Int] = []
            for index in spans.indices {
                let traceID = spans[index].traceID
                let count = counts.increment(traceID)
                if count > maxSpans {
                    over.append(index)
                    if count == maxSpans + 1 { firstOver.append(index) }
                }
            }
            return (over, firstOver)
        }
        outcome.counted = batch
        guard !over.isEmpty else { return }
        outcome.rejectedByTraceLimit = over.count
        var kept: [Int] = []
        kept.reserveCapacity(spans.count - over.count)
        var overPosition = 0
        for index in spans.indices {
            if overPosition < over.count, over[overPosition] == index {
                overPosition += 1
            } else {
                kept.append(index)
            }
        }
        var parts = [batch.selecting(spansAt: kept)]
        if !firstOver.isEmpty {
            parts.append(markers(for: firstOver, of: batch, maxSpans: maxSpans))
            markedTraces.increment(by: firstOver.count)
        }
        outcome.batch = SpanBatch(concatenating: parts)
    }

    /// Takes back what a batch added to the per-trace counts: its write failed, and the
    /// client will send it again.
    func undo(_ counted: SpanBatch?) {
        guard let counted, !counted.isEmpty else { return }
        counts.withLock { counts in
            for row in counted.tables.spans { counts.decrement(row.traceID, by: 1) }
        }
    }

    private func markers(for indices: [Int], of batch: SpanBatch, maxSpans: Int) -> SpanBatch {
        var builder = SpanBatchBuilder(reservingSpans: indices.count)
        let scope = InstrumentationScope(name: "spindle.collector")
        for index in indices {
            let row = batch.tables.spans[index]
            let marker = SpanRecord(
                traceID: row.traceID,
                spanID: Self.markerSpanID(for: row.traceID),
                parentSpanID: row.parentSpanID,
                name: Self.markerSpanName,
                kind: .internal,
                startTimeUnixNano: row.startTimeUnixNano,
                endTimeUnixNano: row.startTimeUnixNano,
                attributes: [
                    Attribute("spindle.limit", .string("max_spans_per_trace")),
                    Attribute("spindle.limit.max_spans", .int(Int64(maxSpans))),
                ]
            )
            builder.append(marker, resource: batch.resource(ofSpanAt: index), scope: scope)
        }
        return builder.build()
    }

    /// A span ID that only depends on the trace ID (a SplitMix64 mix of its two words),
    /// never zero.
    static func markerSpanID(for traceID: TraceID) -> SpanID {
        var z = traceID.high ^ (traceID.low &* 0x9E37_79B9_7F4A_7C15) ^ 0x5350_494E_444C_45
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return SpanID(z == 0 ? 1 : z)
    }

    // MARK: Per span

    /// The tables with every per-span limit applied, or nil when none was exceeded.
    private func shape(_ source: SpanTables) -> SpanTables? {
        var tables: SpanTables?
        var attributesDropped = 0
        var eventsDropped = 0
        var linksDropped = 0
        var valuesCut = 0

        func cap(_ range: TableRange, _ limit: Int?) -> (TableRange, dropped: Int)? {
            guard let limit, Int(range.count) > limit else { return nil }
            return (TableRange(start: range.start, count: UInt32(limit)), Int(range.count) - limit)
        }

        if limits.maxAttributesPerSpan != nil || limits.maxEventsPerSpan != nil || limits.maxLinksPerSpan != nil {
            for index in source.spans.indices {
                let row = source.spans[index]
                let attributes = cap(row.attributes, limits.maxAttributesPerSpan)
                let events = cap(row.events, limits.maxEventsPerSpan)
                let links = cap(row.links, limits.maxLinksPerSpan)
                if attributes != nil || events != nil || links != nil {
                    if tables == nil { tables = source }
                    if let (range, dropped) = attributes {
                        tables!.spans[index].attributes = range
                        tables!.spans[index].droppedAttributesCount = row.droppedAttributesCount.addingClamped(dropped)
                        attributesDropped += dropped
                    }
                    if let (range, dropped) = events {
                        tables!.spans[index].events = range
                        tables!.spans[index].droppedEventsCount = row.droppedEventsCount.addingClamped(dropped)
                        eventsDropped += dropped
                    }
                    if let (range, dropped) = links {
                        tables!.spans[index].links = range
                        tables!.spans[index].droppedLinksCount = row.droppedLinksCount.addingClamped(dropped)
                        linksDropped += dropped
                    }
                }
                // The attributes of the events and links the span keeps.
                guard let limit = limits.maxAttributesPerSpan else { continue }
                for event in (events?.0 ?? row.events).indices {
                    guard let (range, dropped) = cap(source.events[event].attributes, limit) else { continue }
                    if tables == nil { tables = source }
                    tables!.events[event].attributes = range
                    tables!.events[event].droppedAttributesCount = source.events[event].droppedAttributesCount.addingClamped(dropped)
                    attributesDropped += dropped
                }
                for link in (links?.0 ?? row.links).indices {
                    guard let (range, dropped) = cap(source.links[link].attributes, limit) else { continue }
                    if tables == nil { tables = source }
                    tables!.links[link].attributes = range
                    tables!.links[link].droppedAttributesCount = source.links[link].droppedAttributesCount.addingClamped(dropped)
                    attributesDropped += dropped
                }
            }
        }

        if let maxBytes = limits.maxAttributeValueBytes {
            source.arena.withUnsafeBytes { arena in
                func cut(_ slot: ValueSlot) -> ValueSlot? {
                    guard slot.kind == .string || slot.kind == .bytes else { return nil }
                    let ref = slot.byteRef
                    guard Int(ref.count) > maxBytes else { return nil }
                    var count = maxBytes
                    if slot.kind == .string {
                        // Back up to the first byte of a character (not 0b10xxxxxx).
                        while count > 0, arena[Int(ref.offset) + count] & 0xC0 == 0x80 { count -= 1 }
                    }
                    let prefix = ByteRef(offset: ref.offset, count: UInt32(count))
                    return slot.kind == .string ? .string(prefix) : .bytes(prefix)
                }
                func cutAll(_ slots: [AttributeSlot], _ write: (Int, ValueSlot) -> Void) {
                    for index in slots.indices {
                        if let value = cut(slots[index].value) {
                            write(index, value)
                            valuesCut += 1
                        }
                    }
                }
                cutAll(source.spanAttributes) { if tables == nil { tables = source }; tables!.spanAttributes[$0].value = $1 }
                cutAll(source.resourceAttributes) { if tables == nil { tables = source }; tables!.resourceAttributes[$0].value = $1 }
                cutAll(source.scopeAttributes) { if tables == nil { tables = source }; tables!.scopeAttributes[$0].value = $1 }
                cutAll(source.eventAttributes) { if tables == nil { tables = source }; tables!.eventAttributes[$0].value = $1 }
                cutAll(source.linkAttributes) { if tables == nil { tables = source }; tables!.linkAttributes[$0].value = $1 }
                cutAll(source.nestedAttributes) { if tables == nil { tables = source }; tables!.nestedAttributes[$0].value = $1 }
                for index in source.nestedValues.indices {
                    if let value = cut(source.nestedValues[index]) {
                        if tables == nil { tables = source }
                        tables!.nestedValues[index] = value
                        valuesCut += 1
                    }
                }
            }
        }

        if attributesDropped > 0 { droppedAttributes.increment(by: attributesDropped) }
        if eventsDropped > 0 { droppedEvents.increment(by: eventsDropped) }
        if linksDropped > 0 { droppedLinks.increment(by: linksDropped) }
        if valuesCut > 0 { truncatedValues.increment(by: valuesCut) }
        return tables
    }
}

/// Spans counted per trace for the most recent ``capacity`` traces; the oldest trace is
/// forgotten when a new one would exceed it.
struct TraceSpanCounts {
    private var counts: [TraceID: Int] = [:]
    /// Traces in the order they were first seen, as a ring.
    private var order: [TraceID] = []
    private var oldest = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    var trackedCount: Int { counts.count }

    /// Adds one span to `traceID`'s count and returns the new count.
    mutating func increment(_ traceID: TraceID) -> Int {
        // One hash for a trace already counted, the common case.
        if let index = counts.index(forKey: traceID) {
            counts.values[index] += 1
            return counts.values[index]
        }
        if order.count < capacity {
            order.append(traceID)
        } else {
            counts[order[oldest]] = nil
            order[oldest] = traceID
            oldest = (oldest + 1) % capacity
        }
        counts[traceID] = 1
        return 1
    }

    /// Takes `count` spans off `traceID`'s count, if it is still remembered.
    mutating func decrement(_ traceID: TraceID, by count: Int) {
        guard let current = counts[traceID] else { return }
        counts[traceID] = max(0, current - count)
    }
}

extension UInt32 {
    /// `self + count`, at most `UInt32.max`.
    func addingClamped(_ count: Int) -> UInt32 {
        UInt32(clamping: Int(self) + count)
    }
}
