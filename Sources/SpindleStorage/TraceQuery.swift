public import SpindleModel

/// What ``TraceReader/search(_:)`` looks for: traces with at least one span that
/// matches every filter set here (all filters apply to the same span, Jaeger's
/// semantics), started within ``timeRange``.
public struct TraceQuery: Hashable, Sendable {
    /// Spans must start in this range.
    public var timeRange: TimeRange
    /// The span's resource `service.name`.
    public var service: String?
    /// The span's name.
    public var operation: String?
    public var kind: SpanKind?
    public var status: StatusCode?
    /// Inclusive bounds on the span's duration in nanoseconds.
    public var minDuration: UInt64?
    public var maxDuration: UInt64?
    /// Attribute conditions, all of which must hold.
    public var attributes: [AttributeFilter]
    /// The most traces to return; at least 1.
    public var limit: Int

    public init(
        timeRange: TimeRange = .all,
        service: String? = nil,
        operation: String? = nil,
        kind: SpanKind? = nil,
        status: StatusCode? = nil,
        minDuration: UInt64? = nil,
        maxDuration: UInt64? = nil,
        attributes: [AttributeFilter] = [],
        limit: Int = 20
    ) {
        self.timeRange = timeRange
        self.service = service
        self.operation = operation
        self.kind = kind
        self.status = status
        self.minDuration = minDuration
        self.maxDuration = maxDuration
        self.attributes = attributes
        self.limit = limit
    }
}

/// One condition on an attribute of a span or of its resource.
public struct AttributeFilter: Hashable, Sendable {
    public enum Condition: Hashable, Sendable {
        /// The attribute exists and equals the value (ints and doubles compare
        /// numerically with each other; strings compare exactly).
        case equals(AttributeValue)
        /// The attribute is a number within the inclusive bounds (either may be nil).
        case range(min: Double?, max: Double?)
        /// The attribute exists, whatever its value.
        case exists
    }

    public var scope: AttributeScope
    public var key: String
    public var condition: Condition

    public init(scope: AttributeScope, key: String, _ condition: Condition) {
        self.scope = scope
        self.key = key
        self.condition = condition
    }
}

/// One trace in search results: what a trace list shows.
public struct TraceSummary: Hashable, Sendable {
    public var traceID: TraceID
    /// The root span's service and name; when the root has not arrived, those of the
    /// earliest span.
    public var rootService: String
    public var rootOperation: String
    /// Earliest start and latest end among the trace's spans, Unix nanoseconds.
    public var startTimeUnixNano: UInt64
    public var endTimeUnixNano: UInt64
    public var spanCount: Int
    /// Spans with status error.
    public var errorCount: Int
    /// Services involved, sorted.
    public var services: [String]

    public init(
        traceID: TraceID, rootService: String, rootOperation: String,
        startTimeUnixNano: UInt64, endTimeUnixNano: UInt64,
        spanCount: Int, errorCount: Int, services: [String]
    ) {
        self.traceID = traceID
        self.rootService = rootService
        self.rootOperation = rootOperation
        self.startTimeUnixNano = startTimeUnixNano
        self.endTimeUnixNano = endTimeUnixNano
        self.spanCount = spanCount
        self.errorCount = errorCount
        self.services = services
    }

    public var durationNanos: UInt64 {
        endTimeUnixNano >= startTimeUnixNano ? endTimeUnixNano - startTimeUnixNano : 0
    }
}
