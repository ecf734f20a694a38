public import SpindleModel

extension TraceQLQuery {
    /// The spansets this (search) query produces for `trace`, a batch holding the spans
    /// of one trace; each lists at most `spansPerSpanSet` spans. Empty when the trace
    /// does not match.
    ///
    /// Throws ``QueryError/unsupported(_:)`` for a metrics query or a construct this
    /// engine does not evaluate.
    public func spanSets(in trace: SpanBatch, spansPerSpanSet: Int = 3) throws(QueryError) -> [MatchedSpanSet] {
        try checkSearchable()
        let view = TraceView(trace)
        return matchedSpanSets(Evaluator(view, regexes: regexes).run(root.pipeline), in: view, spansPerSpanSet: spansPerSpanSet)
    }

    /// Refuses what a search cannot answer.
    func checkSearchable() throws(QueryError) {
        if isMetrics {
            throw .unsupported("searching with a metrics query (\(root.metrics?.function.description ?? "")); use metrics() instead")
        }
        if let part = root.unsupportedPart { throw .unsupported(part) }
    }

    /// Results for spansets of `view`, with the `select()`ed fields on each span.
    func matchedSpanSets(_ sets: [SpanSet], in view: TraceView, spansPerSpanSet: Int) -> [MatchedSpanSet] {
        let selected = root.pipeline.selectedFields
        let evaluator = Evaluator(view, regexes: regexes)
        let tables = view.tables
        return sets.map { set in
            let shown = view.byStart(set.spans).prefix(max(0, spansPerSpanSet))
            let spans = shown.map { index in
                let row = tables.spans[index]
                let attributes = selected.compactMap { field in
                    evaluator.value(field, span: index, .none).map { Attribute(field.selectedName, $0.attributeValue) }
                }
                return MatchedSpan(
                    spanID: row.spanID, name: tables.string(row.name), service: view.service(ofSpan: index) ?? "",
                    startTimeUnixNano: row.startTimeUnixNano, durationNanos: view.durationNanos(ofSpan: index),
                    attributes: attributes
                )
            }
            return MatchedSpanSet(spans: spans, matched: set.spans.count, attributes: set.labels)
        }
    }
}

extension FieldExpression {
    /// The key a `select()`ed field is returned under: an attribute's bare name, as
    /// Tempo returns it (`http.method` for `span.http.method`), else the field as written.
    var selectedName: String {
        if case .field(.attribute(_, let key)) = self { return key }
        return description
    }
}
