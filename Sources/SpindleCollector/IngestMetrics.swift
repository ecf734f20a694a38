import Metrics

/// The pipeline's metrics, created once from the injected factory (so each server
/// instance reports to its own registry) and then only incremented.
///
/// | metric | type | dimensions |
/// | --- | --- | --- |
/// | `spindle_received_spans_total` | counter | protocol |
/// | `spindle_received_bytes_total` | counter | protocol |
/// | `spindle_accepted_spans_total` | counter | protocol |
/// | `spindle_rejected_spans_total` | counter | protocol, reason (`zero_trace_id`, `zero_span_id`, `end_before_start`, `values_nest_too_deep`, `request_too_large`, `trace_too_large`) |
/// | `spindle_refused_requests_total` | counter | protocol, reason (`overloaded`, `unavailable`, `internal_error`) |
/// | `spindle_invalid_requests_total` | counter | protocol (bodies that did not decode, or of an unsupported type) |
/// | `spindle_ingest_bytes_in_flight` | gauge | — |
/// | `spindle_ingest_duration_seconds` | timer | protocol (from the call to `ingest` until it returns or throws) |
/// | `spindle_redactions_total` | counter | rule, place (kept by `RedactionMetrics`) |
/// | `spindle_limited_total` | counter | limit (`attributes_dropped`, `events_dropped`, `links_dropped`, `values_truncated`, `traces_marked`; kept by `SpanLimiter`) |
struct IngestMetrics: Sendable {
    enum RefusalReason: String, CaseIterable, Sendable {
        case overloaded
        case unavailable
        case internalError = "internal_error"
    }

    struct PerProtocol: Sendable {
        let receivedSpans: Counter
        let receivedBytes: Counter
        let acceptedSpans: Counter
        /// Indexed by ``SpanRejectionReason/rawValue``.
        let rejectedSpans: [Counter]
        let refusedOverloaded: Counter
        let refusedUnavailable: Counter
        let refusedInternalError: Counter
        let invalidRequests: Counter
        let duration: Timer

        init(_ ingestProtocol: IngestProtocol, factory: any MetricsFactory) {
            let dimensions = [("protocol", ingestProtocol.rawValue)]
            func counter(_ label: String, _ extra: [(String, String)] = []) -> Counter {
                Counter(label: label, dimensions: dimensions + extra, factory: factory)
            }
            receivedSpans = counter("spindle_received_spans_total")
            receivedBytes = counter("spindle_received_bytes_total")
            acceptedSpans = counter("spindle_accepted_spans_total")
            rejectedSpans = SpanRejectionReason.allCases.map { counter("spindle_rejected_spans_total", [("reason", $0.metricLabel)]) }
            refusedOverloaded = counter("spindle_refused_requests_total", [("reason", RefusalReason.overloaded.rawValue)])
            refusedUnavailable = counter("spindle_refused_requests_total", [("reason", RefusalReason.unavailable.rawValue)])
            refusedInternalError = counter("spindle_refused_requests_total", [("reason", RefusalReason.internalError.rawValue)])
            invalidRequests = counter("spindle_invalid_requests_total")
            duration = Timer(label: "spindle_ingest_duration_seconds", dimensions: dimensions, factory: factory)
        }

        func refused(_ reason: RefusalReason) {
            switch reason {
            case .overloaded: refusedOverloaded.increment()
            case .unavailable: refusedUnavailable.increment()
            case .internalError: refusedInternalError.increment()
            }
        }
    }

    let otlpGRPC: PerProtocol
    let otlpHTTP: PerProtocol
    let zipkin: PerProtocol
    let bytesInFlight: Gauge

    init(factory: any MetricsFactory) {
        otlpGRPC = PerProtocol(.otlpGRPC, factory: factory)
        otlpHTTP = PerProtocol(.otlpHTTP, factory: factory)
        zipkin = PerProtocol(.zipkin, factory: factory)
        bytesInFlight = Gauge(label: "spindle_ingest_bytes_in_flight", factory: factory)
        bytesInFlight.record(0)
    }

    subscript(_ ingestProtocol: IngestProtocol) -> PerProtocol {
        switch ingestProtocol {
        case .otlpGRPC: otlpGRPC
        case .otlpHTTP: otlpHTTP
        case .zipkin: zipkin
        }
    }
}
