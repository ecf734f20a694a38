import SpindleModel
import SpindleStorage

/// Picks the spans that count as a service's requests, for ``REDSeries`` and
/// ``LatencyHistogram``.
///
/// The rule, decided per service over the whole time range:
/// - If the service has at least one span of kind server or consumer starting in the
///   range, its requests are its server and consumer spans (Jaeger's Monitor tab
///   measures server spans; consumer spans are the requests of message-driven services).
/// - Otherwise (a batch job, a client-only or unspecified-kind service) its requests are
///   its entry spans: spans without a parent, or whose parent is not one of the
///   service's own spans starting in the range (a parent in another service, not
///   stored, or started before the range).
///
/// An `operation` narrows the requests to spans with that name; it does not change which
/// rule applies. Without a service, every span (with the name, if given) is a request.
struct RequestSpans {
    struct Request {
        var traceID: TraceID
        /// Index into ``operationNames``, or 0 when names are not kept.
        var operation: Int32
        var kind: SpanKind
        var start: UInt64
        var duration: UInt64
        var isError: Bool
    }

    /// A span of the service kept in case the service turns out to have no server or
    /// consumer spans, with what it takes to tell whether it is an entry span.
    private struct Candidate {
        var request: Request
        var spanID: SpanID
        var parentSpanID: SpanID
    }

    let service: String?
    let operation: String?
    /// Whether to keep span names (for per-operation tables); off, every request has
    /// operation 0 and no name is read.
    let keepsNames: Bool
    private(set) var operationNames: [String] = []
    private var operationNumbers: [String: Int32] = [:]
    private var serverRequests: [Request] = []
    private var hasServerSpans = false
    private var candidates: [Candidate] = []
    private var serviceSpans: Set<SpanKey> = []

    init(service: String?, operation: String?, keepsNames: Bool) {
        self.service = service
        self.operation = operation
        self.keepsNames = keepsNames
    }

    mutating func add(_ batch: SpanBatch, timeRange: TimeRange) {
        let tables = batch.tables
        let ofService: [Bool] = tables.serviceNamesByResource().map { name in service.map { name == $0 } ?? true }
        for index in tables.spans.indices {
            let row = tables.spans[index]
            guard timeRange.contains(row.startTimeUnixNano), ofService[tables.resourceIndex(ofSpan: index)] else { continue }
            let isServer = row.kind == .server || row.kind == .consumer || service == nil
            if isServer && !hasServerSpans {
                hasServerSpans = true
                // The entry-span rule no longer applies: drop what was kept for it.
                candidates = []
                serviceSpans = []
            }
            if !hasServerSpans { serviceSpans.insert(SpanKey(trace: row.traceID, span: row.spanID)) }
            guard isServer || !hasServerSpans else { continue }
            if let operation, !tables.equals(row.name, operation) { continue }
            let request = Request(
                traceID: row.traceID, operation: keepsNames ? operationNumber(tables.string(row.name)) : 0,
                kind: row.kind, start: row.startTimeUnixNano, duration: row.durationNanos, isError: row.statusCode == .error
            )
            if hasServerSpans {
                serverRequests.append(request)
            } else {
                candidates.append(Candidate(request: request, spanID: row.spanID, parentSpanID: row.parentSpanID))
            }
        }
    }

    /// The requests, by the rule above, in no particular order.
    func requests() -> [Request] {
        if hasServerSpans { return serverRequests }
        let serviceSpans = self.serviceSpans
        return candidates.compactMap { candidate in
            let hasParentInService = candidate.parentSpanID.isValid && candidate.parentSpanID != candidate.spanID
                && serviceSpans.contains(SpanKey(trace: candidate.request.traceID, span: candidate.parentSpanID))
            return hasParentInService ? nil : candidate.request
        }
    }

    private mutating func operationNumber(_ name: String) -> Int32 {
        if let known = operationNumbers[name] { return known }
        let number = Int32(operationNames.count)
        operationNumbers[name] = number
        operationNames.append(name)
        return number
    }
}
