/// The `SpindleQuery` module: what people and tools ask of stored traces.
///
/// - `TraceQL/`: Tempo's query language — a parser with positioned errors, an evaluator
///   that works one trace at a time, a planner that pushes what storage can index into a
///   ``TraceQuery``, and ``TraceQLEngine`` for search and metrics over a ``TraceReader``.
/// - `Regex/`: ``QueryRegex``, RE2 syntax matched in linear time, for `=~` and `!~`.
/// - `Analytics/`: the service graph, RED series, latency histograms, critical path,
///   per-trace statistics and trace comparison behind Spindle's API and UI.
public enum SpindleQueryModule {
    public static let summary = "TraceQL, search planning and aggregates over a TraceReader"
}
