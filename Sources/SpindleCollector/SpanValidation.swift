import SpindleModel

/// Why the pipeline drops a span. OTLP requires non-zero trace and span IDs
/// (https://opentelemetry.io/docs/specs/otel/trace/api/#spancontext), and a span cannot
/// end before it starts.
enum SpanRejectionReason: Int, CaseIterable, Sendable {
    case zeroTraceID
    case zeroSpanID
    case endBeforeStart
    case valuesNestTooDeep
    /// Past ``SpanLimits/maxSpansPerRequest`` (counted by ``SpanLimiter``, not here).
    case requestTooLarge
    /// Past ``SpanLimits/maxSpansPerTrace`` (counted by ``SpanLimiter``, not here).
    case traceTooLarge

    /// The `reason` dimension of `spindle_rejected_spans_total`.
    var metricLabel: String {
        switch self {
        case .zeroTraceID: "zero_trace_id"
        case .zeroSpanID: "zero_span_id"
        case .endBeforeStart: "end_before_start"
        case .valuesNestTooDeep: "values_nest_too_deep"
        case .requestTooLarge: "request_too_large"
        case .traceTooLarge: "trace_too_large"
        }
    }

    /// How `partial_success.error_message` describes spans rejected for this reason.
    func phrase(limits: SpanLimits) -> String {
        switch self {
        case .zeroTraceID: "with an all-zero trace_id"
        case .zeroSpanID: "with an all-zero or malformed span_id or parent_span_id"
        case .endBeforeStart: "ending before it starts"
        case .valuesNestTooDeep: "with attribute values nested more than \(SpanTables.maxStoredNesting) levels deep"
        case .requestTooLarge: "past the limit of \(limits.maxSpansPerRequest ?? 0) spans per request"
        case .traceTooLarge: "past the limit of \(limits.maxSpansPerTrace ?? 0) spans per trace"
        }
    }
}

/// The invalid spans of a batch, by reason.
///
/// A span with several problems counts once, under the first reason in
/// ``SpanRejectionReason``'s order, so the counts add up to ``rejected``. A decoder under
/// ``OTLPProtobuf/MalformedIDPolicy/decodeAsZero`` turns a malformed ID into the zero ID,
/// so such a span is rejected here as an all-zero one; a malformed `parent_span_id`
/// zeroes the span's own ID, so that span is rejected too instead of stored as a root.
struct SpanValidation: Sendable {
    /// Rejected spans per reason, indexed by ``SpanRejectionReason/rawValue``.
    private(set) var counts: [Int] = Array(repeating: 0, count: SpanRejectionReason.allCases.count)
    /// The indices of the valid spans, ascending; nil when every span is valid (the
    /// common case, which allocates nothing).
    private(set) var validIndices: [Int]?

    init(_ batch: SpanBatch) {
        let tables = batch.tables
        let spans = tables.spans
        let checkNesting = !(tables.nestedValues.isEmpty && tables.nestedAttributes.isEmpty)
        // The hot path reads the rows directly and allocates only once a span fails.
        for index in spans.indices {
            let row = spans[index]
            let reason: SpanRejectionReason?
            if !row.traceID.isValid {
                reason = .zeroTraceID
            } else if !row.spanID.isValid {
                reason = .zeroSpanID
            } else if row.endTimeUnixNano < row.startTimeUnixNano {
                reason = .endBeforeStart
            } else if checkNesting, tables.valueNesting(ofSpanAt: index) > SpanTables.maxStoredNesting {
                reason = .valuesNestTooDeep
            } else {
                reason = nil
            }
            if let reason {
                if validIndices == nil { validIndices = Array(0..<index) }
                counts[reason.rawValue] += 1
            } else {
                validIndices?.append(index)
            }
        }
    }

    var rejected: Int { counts.reduce(0, +) }

    func count(_ reason: SpanRejectionReason) -> Int { counts[reason.rawValue] }

    /// Adds spans rejected after validation (by the limits).
    mutating func add(_ count: Int, _ reason: SpanRejectionReason) {
        counts[reason.rawValue] += count
    }

    /// The batch without its invalid spans.
    func validSpans(of batch: SpanBatch) -> SpanBatch {
        guard let validIndices else { return batch }
        return batch.selecting(spansAt: validIndices)
    }

    /// `partial_success.error_message`: "" when nothing was rejected, otherwise e.g.
    /// "2 spans rejected: 1 with an all-zero trace_id, 1 ending before it starts".
    var message: String { message(limits: .unlimited) }

    /// ``message``, with the limits that rejected spans named.
    func message(limits: SpanLimits) -> String {
        let total = rejected
        guard total > 0 else { return "" }
        let parts = SpanRejectionReason.allCases.compactMap { reason -> String? in
            let count = counts[reason.rawValue]
            return count == 0 ? nil : "\(count) \(reason.phrase(limits: limits))"
        }
        return "\(total) \(total == 1 ? "span" : "spans") rejected: " + parts.joined(separator: ", ")
    }
}
