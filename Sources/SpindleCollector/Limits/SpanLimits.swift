/// The collector's bounds on what one span, one trace and one request may hold
/// (`docs/limits.md`). Each is nil for no bound.
///
/// The defaults are generous: they stop a runaway client (a span with a million
/// attributes, a loop that puts a whole response body in an attribute, a trace that never
/// ends) without touching what ordinary instrumentation sends. The OpenTelemetry SDKs cap
/// attributes, events and links at 128 per span by default, so a span over 1,000 has
/// come from something that went wrong.
public struct SpanLimits: Sendable, Hashable {
    /// Attributes kept per span, per event and per link; the rest are dropped (the first
    /// ones are kept) and added to the row's dropped-attributes count.
    public var maxAttributesPerSpan: Int?
    /// Events kept per span; the rest are dropped and added to `droppedEventsCount`.
    public var maxEventsPerSpan: Int?
    /// Links kept per span; the rest are dropped and added to `droppedLinksCount`.
    public var maxLinksPerSpan: Int?
    /// String and bytes values (attribute values at any depth, in spans, events, links,
    /// scopes and resources) longer than this many bytes are cut to it; strings are cut
    /// at a character boundary.
    public var maxAttributeValueBytes: Int?
    /// Spans stored per trace. Later spans of the trace are rejected and counted, and the
    /// trace is marked once with a ``SpanLimiter/markerSpanName`` span.
    public var maxSpansPerTrace: Int?
    /// Spans accepted from one request; the rest of the request is rejected (an OTLP
    /// partial success naming the limit).
    public var maxSpansPerRequest: Int?
    /// How many recent traces the per-trace count remembers. A trace forgotten (the
    /// oldest go first) starts counting again from zero: the bound is exact for traces
    /// whose spans arrive while fewer than this many other traces started.
    public var tracesTracked: Int

    public init(
        maxAttributesPerSpan: Int? = 1_000,
        maxEventsPerSpan: Int? = 1_000,
        maxLinksPerSpan: Int? = 1_000,
        maxAttributeValueBytes: Int? = 32 << 10,
        maxSpansPerTrace: Int? = 100_000,
        maxSpansPerRequest: Int? = 100_000,
        tracesTracked: Int = 100_000
    ) {
        self.maxAttributesPerSpan = maxAttributesPerSpan
        self.maxEventsPerSpan = maxEventsPerSpan
        self.maxLinksPerSpan = maxLinksPerSpan
        self.maxAttributeValueBytes = maxAttributeValueBytes
        self.maxSpansPerTrace = maxSpansPerTrace
        self.maxSpansPerRequest = maxSpansPerRequest
        self.tracesTracked = tracesTracked
    }

    /// No bound at all.
    public static let unlimited = SpanLimits(
        maxAttributesPerSpan: nil, maxEventsPerSpan: nil, maxLinksPerSpan: nil,
        maxAttributeValueBytes: nil, maxSpansPerTrace: nil, maxSpansPerRequest: nil
    )

    /// Names the first limit that cannot work (zero or negative), as a configuration error.
    public func validate() throws(SpanLimitsError) {
        let named: [(String, Int?)] = [
            ("max_attributes_per_span", maxAttributesPerSpan),
            ("max_events_per_span", maxEventsPerSpan),
            ("max_links_per_span", maxLinksPerSpan),
            ("max_attribute_value_bytes", maxAttributeValueBytes),
            ("max_spans_per_trace", maxSpansPerTrace),
            ("max_spans_per_request", maxSpansPerRequest),
        ]
        for (name, value) in named {
            if let value, value < 1 {
                throw SpanLimitsError("limits: \(name) must be at least 1, not \(value) (none for no limit)")
            }
        }
        if tracesTracked < 1 {
            throw SpanLimitsError("limits: traces_tracked must be at least 1, not \(tracesTracked)")
        }
    }
}

/// A ``SpanLimits`` value that cannot work; the message names the limit.
public struct SpanLimitsError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
