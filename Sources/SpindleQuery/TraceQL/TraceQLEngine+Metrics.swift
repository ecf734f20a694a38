import SpindleModel
public import SpindleStorage

extension TraceQLEngine {
    /// The series of a metrics query over `timeRange`, in steps of `step` nanoseconds
    /// (the last step may reach past the range's end); see ``MetricsAccumulator`` for
    /// what each function computes. Series are sorted by their labels.
    ///
    /// Span-local queries (a single filter reading only the span itself) judge the
    /// spans of ``TraceReader/scan(timeRange:)`` one by one. Others (structural
    /// operators, aggregates, `by()` stages, trace intrinsics) group the scanned spans
    /// by trace first; more than ``QueryLimits/maxTracesInspected`` traces then throws
    /// ``QueryError/tooExpensive(_:)``.
    public func metrics(_ query: TraceQLQuery, timeRange: TimeRange, step: UInt64) async throws(QueryError) -> [MetricSeries] {
        guard let stage = query.root.metrics else {
            throw .unsupported("metrics() needs a query ending in a metrics function such as rate(); use search() for \(query)")
        }
        if let part = query.root.unsupportedPart { throw .unsupported(part) }
        guard step >= 1 else { throw .unsupported("a metrics step of 0 ns; the step must be at least 1 ns") }
        let budget = budget()
        try budget.check()
        guard timeRange.end > timeRange.start else { return [] }
        let width = timeRange.end - timeRange.start
        let steps = width / step + (width % step == 0 ? 0 : 1)
        guard steps <= UInt64(max(0, limits.maxIntervals)) else {
            throw .tooExpensive("the time range spans \(steps) steps, more than \(limits.maxIntervals) (QueryLimits.maxIntervals); use a longer step")
        }
        var accumulator = MetricsAccumulator(stage, start: timeRange.start, step: step, intervals: Int(steps), maxSeries: limits.maxSeries)
        if query.root.isSpanLocal {
            try await accumulateSpanBySpan(query, timeRange, into: &accumulator, budget)
        } else {
            try await accumulateByTrace(query, timeRange, into: &accumulator, budget)
        }
        return accumulator.result()
    }

    private func accumulateSpanBySpan(_ query: TraceQLQuery, _ timeRange: TimeRange, into accumulator: inout MetricsAccumulator, _ budget: QueryBudget) async throws(QueryError) {
        do {
            for try await batch in reader.scan(timeRange: timeRange) {
                try budget.check()
                try Self.accumulate(query, TraceView(Self.spans(of: batch, startingIn: timeRange)), into: &accumulator)
            }
        } catch {
            throw QueryError.wrapping(error)
        }
    }

    private func accumulateByTrace(_ query: TraceQLQuery, _ timeRange: TimeRange, into accumulator: inout MetricsAccumulator, _ budget: QueryBudget) async throws(QueryError) {
        // Where each trace's spans are: (batch, span indices), in scan order.
        var batches: [SpanBatch] = []
        var parts: [TraceID: [(batch: Int, spans: [Int])]] = [:]
        do {
            for try await batch in reader.scan(timeRange: timeRange) {
                try budget.check()
                let spans = batch.tables.spans
                var local: [TraceID: [Int]] = [:]
                for index in spans.indices where timeRange.contains(spans[index].startTimeUnixNano) {
                    local[spans[index].traceID, default: []].append(index)
                }
                if local.isEmpty { continue }
                batches.append(batch)
                for (trace, indices) in local {
                    if parts[trace] == nil, parts.count >= limits.maxTracesInspected {
                        throw QueryError.tooExpensive(
                            "the query needs whole traces and the time range holds more than \(limits.maxTracesInspected) (QueryLimits.maxTracesInspected); narrow the time range, or use a query that reads single spans"
                        )
                    }
                    parts[trace, default: []].append((batches.count - 1, indices))
                }
            }
        } catch {
            throw QueryError.wrapping(error)
        }
        for trace in parts.keys.sorted() {
            try budget.check()
            let pieces = (parts[trace] ?? []).map { batches[$0.batch].selecting(spansAt: $0.spans) }
            try Self.accumulate(query, TraceView(SpanBatch(concatenating: pieces)), into: &accumulator)
        }
    }

    /// Adds the spans the query's pipeline returns for `view`, each once.
    private static func accumulate(_ query: TraceQLQuery, _ view: TraceView, into accumulator: inout MetricsAccumulator) throws(QueryError) {
        let evaluator = Evaluator(view, regexes: query.regexes)
        let sets = evaluator.run(query.root.pipeline)
        for span in Evaluator.union(sets.map(\.spans)) {
            try accumulator.add(span: span, of: evaluator)
        }
    }
}
