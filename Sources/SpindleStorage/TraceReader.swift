public import SpindleModel

/// Answers questions about stored spans. Head (recent, in memory) and persisted data
/// answer through the same protocol, so callers cannot tell them apart.
///
/// Implementation requirements:
/// - **Read your writes.** A span is visible to every method as soon as the
///   ``TraceWriter/write(_:)`` that stored it has returned.
/// - **Whole traces.** ``trace(id:timeRange:)`` returns every stored span of the trace,
///   wherever and whenever its spans arrived (late and out-of-order spans included),
///   each span once even if it was written more than once.
/// - **Exact filters.** A backend may use indexes and skip data it can prove does not
///   match, but results are exactly what the query's documented semantics say: no
///   approximate answers. A filter a backend cannot evaluate throws
///   ``StorageError`` `.unsupported` naming the filter.
/// - **Ownership.** Returned batches and values belong to the caller.
/// - **Cancellation.** Long reads check for cancellation and then throw
///   ``StorageError`` `.unavailable`; they never return partial results as if complete.
public protocol TraceReader: Sendable {
    /// Every stored span of a trace, or nil when none is stored. `timeRange` is a hint:
    /// a backend may use it to look in fewer places, and returns only traces with at
    /// least one span starting in it; without it the lookup must still be fast.
    func trace(id: TraceID, timeRange: TimeRange?) async throws(StorageError) -> SpanBatch?

    /// Traces with at least one span matching every filter of `query`, most recent
    /// first (by trace start), at most `query.limit` of them.
    func search(_ query: TraceQuery) async throws(StorageError) -> [TraceSummary]

    /// Names of services (resource `service.name`) with spans starting in `timeRange`
    /// (all time when nil), sorted.
    func services(timeRange: TimeRange?) async throws(StorageError) -> [String]

    /// Operations (span name and kind) of a service with spans in `timeRange`, sorted by
    /// name then kind.
    func operations(service: String, timeRange: TimeRange?) async throws(StorageError) -> [Operation]

    /// Attribute keys seen in `scope` (span or resource attributes) in `timeRange`, sorted,
    /// for autocomplete.
    func attributeNames(scope: AttributeScope, timeRange: TimeRange?) async throws(StorageError) -> [String]

    /// Distinct values of one attribute key (as text), sorted, at most `limit`, for
    /// autocomplete.
    func attributeValues(scope: AttributeScope, key: String, timeRange: TimeRange?, limit: Int) async throws(StorageError) -> [String]

    /// Every stored span starting in `timeRange`, in batches, for aggregations. The
    /// stream ends when all have been delivered; the order of batches is unspecified.
    func scan(timeRange: TimeRange) -> AsyncThrowingStream<SpanBatch, any Error>
}

/// A half-open range of Unix nanoseconds, `start..<end`.
public struct TimeRange: Hashable, Sendable {
    public var start: UInt64
    public var end: UInt64

    public init(start: UInt64, end: UInt64) {
        self.start = start
        self.end = end
    }

    /// All of time.
    public static let all = TimeRange(start: 0, end: .max)

    public func contains(_ time: UInt64) -> Bool { time >= start && time < end }
}

/// Which attributes a filter or an autocomplete looks at.
public enum AttributeScope: String, Hashable, Sendable {
    case span
    case resource
}

/// A span name and kind within a service.
public struct Operation: Hashable, Sendable, Comparable {
    public var name: String
    public var kind: SpanKind

    public init(name: String, kind: SpanKind) {
        self.name = name
        self.kind = kind
    }

    public static func < (lhs: Operation, rhs: Operation) -> Bool {
        (lhs.name, lhs.kind.rawValue) < (rhs.name, rhs.kind.rawValue)
    }
}
