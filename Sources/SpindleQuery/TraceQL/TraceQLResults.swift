public import SpindleModel
public import SpindleStorage

/// What a TraceQL search found.
///
/// Complete or not at all: when a ``QueryLimits`` budget runs out before `limit`
/// traces are found and candidates remain, the search throws
/// ``QueryError/tooExpensive(_:)`` rather than returning fewer traces as if that were all.
public struct TraceQLSearchResult: Sendable {
    /// Matching traces, most recent first (by trace start), at most the search's limit.
    public var traces: [TraceQLMatch]
    /// Traces fetched from storage and evaluated.
    public var inspectedTraces: Int
    /// Spans of those traces that the query saw (those starting in the time range).
    public var inspectedSpans: Int

    public init(traces: [TraceQLMatch], inspectedTraces: Int, inspectedSpans: Int) {
        self.traces = traces
        self.inspectedTraces = inspectedTraces
        self.inspectedSpans = inspectedSpans
    }
}

/// One matching trace: its summary (the whole stored trace) and what matched.
public struct TraceQLMatch: Sendable {
    public var summary: TraceSummary
    public var spanSets: [MatchedSpanSet]

    public init(summary: TraceSummary, spanSets: [MatchedSpanSet]) {
        self.summary = summary
        self.spanSets = spanSets
    }
}

/// One spanset the query produced for a trace.
public struct MatchedSpanSet: Sendable, Hashable {
    /// The first spans by start time (then batch order), at most the requested number.
    public var spans: [MatchedSpan]
    /// How many spans the spanset holds in all.
    public var matched: Int
    /// The `by()` values that formed the spanset, keyed as Tempo does
    /// (`by(resource.service.name)`); a span without the field gives an `.empty` value.
    public var attributes: [Attribute]

    public init(spans: [MatchedSpan], matched: Int, attributes: [Attribute]) {
        self.spans = spans
        self.matched = matched
        self.attributes = attributes
    }
}

/// A span in a search result.
public struct MatchedSpan: Sendable, Hashable {
    public var spanID: SpanID
    public var name: String
    /// The resource's `service.name`, or "" without one.
    public var service: String
    public var startTimeUnixNano: UInt64
    public var durationNanos: UInt64
    /// The `select()`ed fields the span has, keyed by the field as the canonical query
    /// text writes it (`span.http.method`, `resource.service.name`, `status`); durations
    /// as integer nanoseconds, statuses and kinds by name.
    public var attributes: [Attribute]

    public init(spanID: SpanID, name: String, service: String, startTimeUnixNano: UInt64, durationNanos: UInt64, attributes: [Attribute]) {
        self.spanID = spanID
        self.name = name
        self.service = service
        self.startTimeUnixNano = startTimeUnixNano
        self.durationNanos = durationNanos
        self.attributes = attributes
    }
}

/// One time series of a metrics query.
public struct MetricSeries: Sendable, Hashable {
    /// The `by()` fields (keyed by the field's canonical text, such as
    /// `resource.service.name`; `.empty` when a span lacks it), then `p` (the quantile,
    /// a double) for `quantile_over_time`, or `__bucket` (the bucket's upper bound in
    /// seconds, or in the field's own unit when it is not a duration) for
    /// `histogram_over_time`.
    public var labels: [Attribute]
    /// Ascending by timestamp.
    public var samples: [MetricSample]

    public init(labels: [Attribute], samples: [MetricSample]) {
        self.labels = labels
        self.samples = samples
    }
}

/// One value of a series: `timestampUnixNano` is the start of its step.
public struct MetricSample: Sendable, Hashable {
    public var timestampUnixNano: UInt64
    public var value: Double

    public init(timestampUnixNano: UInt64, value: Double) {
        self.timestampUnixNano = timestampUnixNano
        self.value = value
    }
}

/// Budgets for one query.
public struct QueryLimits: Sendable {
    /// The most traces a search fetches and evaluates, or a metrics query that needs
    /// whole traces groups; past it the query throws ``QueryError/tooExpensive(_:)``.
    public var maxTracesInspected: Int
    /// The longest a query may run (measured on the engine's clock).
    public var timeout: Duration
    /// The most series a metrics query may produce (counting `by()` groups).
    public var maxSeries: Int
    /// The most steps a metrics query may span.
    public var maxIntervals: Int

    public init(maxTracesInspected: Int = 10_000, timeout: Duration = .seconds(30), maxSeries: Int = 10_000, maxIntervals: Int = 11_000) {
        self.maxTracesInspected = maxTracesInspected
        self.timeout = timeout
        self.maxSeries = maxSeries
        self.maxIntervals = maxIntervals
    }
}
