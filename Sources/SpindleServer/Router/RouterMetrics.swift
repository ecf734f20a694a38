import Metrics

/// The router's metrics, created once from the injected factory. Every name starts with
/// `spindle_router_`, so they never clash with the collector's own (`spindle_*`) in one
/// Prometheus registry.
///
/// | metric | type | dimensions |
/// | --- | --- | --- |
/// | `spindle_router_forwarded_spans_total` | counter | collector (spans the collector accepted) |
/// | `spindle_router_rejected_spans_total` | counter | collector (spans the collector refused for good: its partial-success count, or a whole part answered 4xx) |
/// | `spindle_router_requests_total` | counter | collector, result (`delivered`, `rejected`, `failed`) |
/// | `spindle_router_retries_total` | counter | collector (parts sent on to the next collector because this one failed) |
/// | `spindle_router_undeliverable_spans_total` | counter | — (spans no collector took; their requests were answered "retry later") |
/// | `spindle_router_collector_up` | gauge | collector (1 up, 0 down) |
struct RouterMetrics: Sendable {
    struct PerCollector: Sendable {
        let forwardedSpans: Counter
        let rejectedSpans: Counter
        let delivered: Counter
        let rejected: Counter
        let failed: Counter
        let retries: Counter
        let up: Gauge

        init(collector: String, factory: any MetricsFactory) {
            let dimensions = [("collector", collector)]
            func requests(_ result: String) -> Counter {
                Counter(label: "spindle_router_requests_total", dimensions: dimensions + [("result", result)], factory: factory)
            }
            forwardedSpans = Counter(label: "spindle_router_forwarded_spans_total", dimensions: dimensions, factory: factory)
            rejectedSpans = Counter(label: "spindle_router_rejected_spans_total", dimensions: dimensions, factory: factory)
            delivered = requests("delivered")
            rejected = requests("rejected")
            failed = requests("failed")
            retries = Counter(label: "spindle_router_retries_total", dimensions: dimensions, factory: factory)
            up = Gauge(label: "spindle_router_collector_up", dimensions: dimensions, factory: factory)
            up.record(1)
        }
    }

    let collectors: [PerCollector]
    let undeliverableSpans: Counter

    init(collectors: [String], factory: any MetricsFactory) {
        self.collectors = collectors.map { PerCollector(collector: $0, factory: factory) }
        undeliverableSpans = Counter(label: "spindle_router_undeliverable_spans_total", factory: factory)
    }

    subscript(_ collector: Int) -> PerCollector { collectors[collector] }
}
