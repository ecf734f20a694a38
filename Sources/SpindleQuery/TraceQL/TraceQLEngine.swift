import SpindleModel
public import SpindleStorage

/// Answers TraceQL searches and metrics queries over a ``TraceReader``.
///
/// **What a query sees.** Only spans that start in the request's time range, as
/// ``TraceReader/search(_:)`` and ``TraceReader/scan(timeRange:)`` select them: a trace
/// that straddles the range's edge is judged by its spans inside it, and trace-level
/// intrinsics (`trace:duration`, `trace:rootName`, `trace:rootService`) describe those
/// spans. Summaries in results still describe the whole stored trace.
///
/// **Search.** The planner derives a ``TraceQuery`` (see
/// ``TraceQLQuery/storageQuery(timeRange:limit:)``) whose results include every trace
/// the query can match; candidates come from ``TraceReader/search(_:)``, most recent
/// first, in growing batches, and each is fetched whole and evaluated until `limit`
/// traces matched or the candidates ran out.
///
/// **Limits.** Cancellation, ``QueryLimits/timeout`` and
/// ``QueryLimits/maxTracesInspected`` are checked between traces; exceeding them
/// throws. A search never returns fewer traces than exist as if that were all.
public struct TraceQLEngine: Sendable {
    public let reader: any TraceReader
    public let limits: QueryLimits
    let startStopwatch: @Sendable () -> Stopwatch

    public init(reader: any TraceReader, limits: QueryLimits = QueryLimits()) {
        self.init(reader: reader, limits: limits, clock: ContinuousClock())
    }

    /// An engine that measures ``QueryLimits/timeout`` on `clock`.
    public init<C: Clock>(reader: any TraceReader, limits: QueryLimits = QueryLimits(), clock: C) where C.Duration == Duration {
        self.reader = reader
        self.limits = limits
        startStopwatch = { Stopwatch.starting(on: clock) }
    }

    func budget() -> QueryBudget { QueryBudget(limits: limits, stopwatch: startStopwatch()) }

    /// Traces matching the query, most recent first, at most `limit` (none when `limit`
    /// is below 1 or the time range is empty); each with up to `spansPerSpanSet` spans
    /// per spanset. How queries evaluate is documented on the internal `Evaluator` and
    /// `Value` types.
    /// `minDuration`/`maxDuration` bound the trace's duration (inclusive, from its
    /// summary), as Tempo's search parameters do.
    public func search(
        _ query: TraceQLQuery, timeRange: TimeRange, limit: Int, spansPerSpanSet: Int = 3,
        minDuration: UInt64? = nil, maxDuration: UInt64? = nil
    ) async throws(QueryError) -> TraceQLSearchResult {
        try query.checkSearchable()
        let budget = budget()
        try budget.check()
        var result = TraceQLSearchResult(traces: [], inspectedTraces: 0, inspectedSpans: 0)
        guard limit >= 1, timeRange.end > timeRange.start else { return result }
        var storageQuery = query.storageQuery(timeRange: timeRange, limit: limit)
        var seen = Set<TraceID>()
        // Candidates are asked for in growing batches: most are expected to match when
        // the pushed conditions say most of the query.
        let first = max(limit, 16)
        var batchSize = first > Int.max / 2 ? Int.max : first * 2
        while true {
            storageQuery.limit = batchSize
            let candidates: [TraceSummary]
            do {
                candidates = try await reader.search(storageQuery)
            } catch {
                throw .storage(error)
            }
            for summary in candidates where seen.insert(summary.traceID).inserted {
                try budget.check()
                if let minDuration, summary.durationNanos < minDuration { continue }
                if let maxDuration, summary.durationNanos > maxDuration { continue }
                guard result.inspectedTraces < limits.maxTracesInspected else {
                    throw .tooExpensive(
                        "the search inspected \(result.inspectedTraces) traces (QueryLimits.maxTracesInspected) and found \(result.traces.count) of the \(limit) asked for; narrow the time range or add conditions storage can filter on (service, name, kind, status, duration, span or resource attributes)"
                    )
                }
                result.inspectedTraces += 1
                let fetched: SpanBatch?
                do {
                    fetched = try await reader.trace(id: summary.traceID, timeRange: timeRange)
                } catch {
                    throw .storage(error)
                }
                guard let fetched else { continue }
                let visible = Self.spans(of: fetched, startingIn: timeRange)
                result.inspectedSpans += visible.spanCount
                let view = TraceView(visible)
                let sets = Evaluator(view, regexes: query.regexes).run(query.root.pipeline)
                if sets.isEmpty { continue }
                result.traces.append(TraceQLMatch(summary: summary, spanSets: query.matchedSpanSets(sets, in: view, spansPerSpanSet: spansPerSpanSet)))
                if result.traces.count == limit { return result }
            }
            if candidates.count < batchSize { return result }
            batchSize = batchSize > Int.max / 4 ? Int.max : batchSize * 4
        }
    }

    /// The spans of `batch` that start in `range` (the batch itself when all do).
    static func spans(of batch: SpanBatch, startingIn range: TimeRange) -> SpanBatch {
        let spans = batch.tables.spans
        if spans.allSatisfy({ range.contains($0.startTimeUnixNano) }) { return batch }
        return batch.selecting(spansAt: spans.indices.filter { range.contains(spans[$0].startTimeUnixNano) })
    }
}
