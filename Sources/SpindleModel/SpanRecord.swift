/// One span with everything OTLP carries, as plain Swift values.
///
/// This is the convenient, owned form. Batches flowing through the collector use
/// ``SpanBatch``, which holds the same data in flat tables; ``SpanBatch/resourceSpans``
/// and ``SpanBatch/init(_:)`` convert between the two without loss.
///
/// Times are nanoseconds since the Unix epoch, as OTLP sends them.
public struct SpanRecord: Hashable, Sendable {
    public var traceID: TraceID
    public var spanID: SpanID
    /// The parent's span ID, or ``SpanID/zero`` for a root span (OTLP's empty `parent_span_id`).
    public var parentSpanID: SpanID
    /// The W3C `tracestate` header value, or "".
    public var traceState: String
    /// OTLP's `Span.flags`: bits 0–7 are the W3C trace flags, bits 8–9 say whether the
    /// parent is remote.
    public var flags: UInt32
    public var name: String
    public var kind: SpanKind
    public var startTimeUnixNano: UInt64
    public var endTimeUnixNano: UInt64
    public var attributes: [Attribute]
    public var droppedAttributesCount: UInt32
    public var events: [SpanEvent]
    public var droppedEventsCount: UInt32
    public var links: [SpanLink]
    public var droppedLinksCount: UInt32
    public var status: SpanStatus

    public init(
        traceID: TraceID,
        spanID: SpanID,
        parentSpanID: SpanID = .zero,
        traceState: String = "",
        flags: UInt32 = 0,
        name: String,
        kind: SpanKind = .internal,
        startTimeUnixNano: UInt64,
        endTimeUnixNano: UInt64,
        attributes: [Attribute] = [],
        droppedAttributesCount: UInt32 = 0,
        events: [SpanEvent] = [],
        droppedEventsCount: UInt32 = 0,
        links: [SpanLink] = [],
        droppedLinksCount: UInt32 = 0,
        status: SpanStatus = .unset
    ) {
        self.traceID = traceID
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.traceState = traceState
        self.flags = flags
        self.name = name
        self.kind = kind
        self.startTimeUnixNano = startTimeUnixNano
        self.endTimeUnixNano = endTimeUnixNano
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
        self.events = events
        self.droppedEventsCount = droppedEventsCount
        self.links = links
        self.droppedLinksCount = droppedLinksCount
        self.status = status
    }

    /// True for a span without a parent.
    public var isRoot: Bool { !parentSpanID.isValid }

    /// End minus start in nanoseconds, or 0 when the end is before the start.
    public var durationNanos: UInt64 {
        endTimeUnixNano >= startTimeUnixNano ? endTimeUnixNano - startTimeUnixNano : 0
    }
}

/// A timestamped annotation on a span: OTLP's `Span.Event`.
public struct SpanEvent: Hashable, Sendable {
    public var timeUnixNano: UInt64
    public var name: String
    public var attributes: [Attribute]
    public var droppedAttributesCount: UInt32

    public init(
        timeUnixNano: UInt64,
        name: String,
        attributes: [Attribute] = [],
        droppedAttributesCount: UInt32 = 0
    ) {
        self.timeUnixNano = timeUnixNano
        self.name = name
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
    }
}

/// A pointer from a span to another span, in this trace or another: OTLP's `Span.Link`.
public struct SpanLink: Hashable, Sendable {
    public var traceID: TraceID
    public var spanID: SpanID
    public var traceState: String
    public var attributes: [Attribute]
    public var droppedAttributesCount: UInt32
    public var flags: UInt32

    public init(
        traceID: TraceID,
        spanID: SpanID,
        traceState: String = "",
        attributes: [Attribute] = [],
        droppedAttributesCount: UInt32 = 0,
        flags: UInt32 = 0
    ) {
        self.traceID = traceID
        self.spanID = spanID
        self.traceState = traceState
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
        self.flags = flags
    }
}

/// The entity that produced spans: OTLP's `Resource`, with the `schema_url` of the
/// `ResourceSpans` that carried it.
public struct Resource: Hashable, Sendable {
    public var attributes: [Attribute]
    public var droppedAttributesCount: UInt32
    public var schemaURL: String

    public init(attributes: [Attribute] = [], droppedAttributesCount: UInt32 = 0, schemaURL: String = "") {
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
        self.schemaURL = schemaURL
    }

    /// The `service.name` attribute, when it is a string.
    public var serviceName: String? { attributes["service.name"]?.stringValue }
}

/// The library that produced spans: OTLP's `InstrumentationScope`, with the `schema_url`
/// of the `ScopeSpans` that carried it.
public struct InstrumentationScope: Hashable, Sendable {
    public var name: String
    public var version: String
    public var attributes: [Attribute]
    public var droppedAttributesCount: UInt32
    public var schemaURL: String

    public init(
        name: String = "",
        version: String = "",
        attributes: [Attribute] = [],
        droppedAttributesCount: UInt32 = 0,
        schemaURL: String = ""
    ) {
        self.name = name
        self.version = version
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
        self.schemaURL = schemaURL
    }
}

/// Spans of one instrumentation scope: OTLP's `ScopeSpans`.
public struct ScopeSpans: Hashable, Sendable {
    public var scope: InstrumentationScope
    public var spans: [SpanRecord]

    public init(scope: InstrumentationScope = InstrumentationScope(), spans: [SpanRecord] = []) {
        self.scope = scope
        self.spans = spans
    }
}

/// Spans of one resource, grouped by scope: OTLP's `ResourceSpans`.
public struct ResourceSpans: Hashable, Sendable {
    public var resource: Resource
    public var scopeSpans: [ScopeSpans]

    public init(resource: Resource = Resource(), scopeSpans: [ScopeSpans] = []) {
        self.resource = resource
        self.scopeSpans = scopeSpans
    }
}
