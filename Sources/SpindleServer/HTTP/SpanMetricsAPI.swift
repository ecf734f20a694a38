import Hummingbird
import SpindleCollector
import SpindleModel
import SpindleWire

/// The span metrics and alert states under `/api/spindle/` (docs/api.md): what the UI's
/// charts and alert list read. Unlike `red` and `dependencies`, which aggregate stored
/// spans, these come from every span as it arrived, before tail sampling: the true rates.
///
/// - `GET /api/spindle/span-metrics/operations`: every series (service, operation, kind).
/// - `GET /api/spindle/span-metrics/window?service=&operation=&kind=&last=5m`: totals,
///   rates and latency quantiles over the last `last`.
/// - `GET /api/spindle/span-metrics/series?service=&operation=&kind=&start=&end=&step=`:
///   points for a chart.
/// - `GET /api/spindle/span-metrics/service-graph?last=15m`: service-graph edges.
/// - `GET /api/spindle/alerts`: every rule's alert state.
///
/// With span metrics off, each answers 404 saying so.
enum SpanMetricsAPI {
    static let prefix = "\(SpindleAPI.prefix)/span-metrics"
    static let alertsPath = "\(SpindleAPI.prefix)/alerts"
    static let fixedPaths = ["operations", "window", "series", "service-graph"].map { "\(prefix)/\($0)" } + [alertsPath]
    /// The most points one series request returns.
    static let maxPoints: UInt64 = 11_000

    static func register(on router: Router<ListenerRequestContext>, spanMetrics: SpanMetrics?, alerts: AlertEvaluator?) {
        router.get("\(prefix)/operations") { _, _ in
            respond { () throws(APIError) in operations(try enabled(spanMetrics)) }
        }
        router.get("\(prefix)/window") { request, _ in
            respond { () throws(APIError) in try window(QueryParameters(request), try enabled(spanMetrics)) }
        }
        router.get("\(prefix)/series") { request, _ in
            respond { () throws(APIError) in try series(QueryParameters(request), try enabled(spanMetrics)) }
        }
        router.get("\(prefix)/service-graph") { request, _ in
            respond { () throws(APIError) in try serviceGraph(QueryParameters(request), try enabled(spanMetrics)) }
        }
        router.get(RouterPath(alertsPath)) { _, _ in
            respond { () throws(APIError) in alertStates(try enabled(spanMetrics), alerts) }
        }
    }

    private static func enabled(_ spanMetrics: SpanMetrics?) throws(APIError) -> SpanMetrics {
        guard let spanMetrics else {
            throw .notFound("span metrics are off (span_metrics.enabled: false in the configuration file)")
        }
        return spanMetrics
    }

    private static func selector(_ parameters: QueryParameters) throws(APIError) -> SpanMetricsSelector {
        var kind: SpanKind?
        if let text = parameters["kind"] {
            guard let parsed = SpanKind(name: text) else {
                throw .badParameter("kind", "expected server, client, producer, consumer, internal or unspecified, got \(QueryParameters.quoted(text))")
            }
            kind = parsed
        }
        return SpanMetricsSelector(service: parameters["service"], operation: parameters["operation"], kind: kind)
    }

    /// `name` as a positive duration, or `defaultValue`.
    private static func positiveDuration(_ parameters: QueryParameters, _ name: String, default defaultValue: Duration) throws(APIError) -> Duration {
        guard let nanos = try parameters.duration(name) else { return defaultValue }
        guard nanos > 0, nanos <= UInt64(Int64.max) else { throw .badParameter(name, "must be positive") }
        return .nanoseconds(Int64(nanos))
    }

    private static func operations(_ metrics: SpanMetrics) -> Response {
        json(JSONWriter.object { writer in
            writer.member("operations", array: metrics.operations()) { writer, key in
                writer.object { writer in
                    writer.member("service", key.service)
                    writer.member("operation", key.operation)
                    writer.member("kind", key.kind.name)
                }
            }
        })
    }

    private static func window(_ parameters: QueryParameters, _ metrics: SpanMetrics) throws(APIError) -> Response {
        let selector = try selector(parameters)
        let last = try positiveDuration(parameters, "last", default: .seconds(300))
        let window = metrics.window(selector, last: last)
        return json(JSONWriter.object { writer in
            writer.member("lastNanos", UInt64(clamping: last.clampedNanoseconds))
            writer.member("requests", window.requests)
            writer.member("errors", window.errors)
            writer.member("ratePerSecond", window.ratePerSecond)
            writer.key("errorRate")
            if let rate = window.errorRate { writer.double(rate) } else { writer.null() }
            quantiles(window.quantile(0.5), window.quantile(0.95), window.quantile(0.99), into: &writer)
        })
    }

    private static func series(_ parameters: QueryParameters, _ metrics: SpanMetrics) throws(APIError) -> Response {
        let selector = try selector(parameters)
        let end = try parameters.flexibleTime("end") ?? UInt64(clamping: SpindleServer.unixTime().clampedNanoseconds)
        let start = try parameters.flexibleTime("start") ?? end &- min(end, 3_600_000_000_000)
        guard start < end else { throw .badParameter("start", "must be before end") }
        let step = try positiveDuration(parameters, "step", default: metrics.configuration.resolution)
        let stepNanos = UInt64(clamping: step.clampedNanoseconds)
        guard (end - start) / stepNanos <= maxPoints else {
            throw .badParameter("step", "\((end - start) / stepNanos) points is more than the maximum of \(maxPoints); use a longer step")
        }
        let points = metrics.series(selector, from: .nanoseconds(Int64(clamping: start)), to: .nanoseconds(Int64(clamping: end)), step: step)
        return json(JSONWriter.object { writer in
            writer.member("stepNanos", stepNanos)
            writer.member("points", array: points) { writer, point in
                writer.object { writer in
                    writer.member("timestampUnixNano", String(UInt64(clamping: point.time.clampedNanoseconds)))
                    writer.member("requests", point.requests)
                    writer.member("errors", point.errors)
                    quantiles(point.p50, point.p95, point.p99, into: &writer)
                }
            }
        })
    }

    private static func serviceGraph(_ parameters: QueryParameters, _ metrics: SpanMetrics) throws(APIError) -> Response {
        let last = try positiveDuration(parameters, "last", default: .seconds(900))
        return json(JSONWriter.object { writer in
            writer.member("edges", array: metrics.serviceGraph(last: last)) { writer, edge in
                writer.object { writer in
                    writer.member("client", edge.client)
                    writer.member("server", edge.server)
                    writer.member("connectionType", edge.connectionType.rawValue)
                    writer.member("calls", edge.calls)
                    writer.member("errors", edge.errors)
                    quantiles(edge.p50, edge.p95, edge.p99, into: &writer)
                }
            }
        })
    }

    private static func alertStates(_ metrics: SpanMetrics, _ alerts: AlertEvaluator?) -> Response {
        let rules = Dictionary((alerts?.rules ?? []).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        return json(JSONWriter.object { writer in
            writer.member("alerts", array: alerts?.statuses() ?? []) { writer, status in
                writer.object { writer in
                    writer.member("rule", status.ruleName)
                    writer.member("state", status.state.rawValue)
                    writer.member("sinceUnixNano", String(UInt64(clamping: status.since.clampedNanoseconds)))
                    writer.key("value")
                    if let value = status.value { writer.double(value) } else { writer.null() }
                    writer.member("lastEvaluatedUnixNano", status.lastEvaluated.map { String(UInt64(clamping: $0.clampedNanoseconds)) })
                    writer.member("message", status.message)
                    if let rule = rules[status.ruleName] {
                        writer.member("service", rule.service)
                        writer.member("operation", rule.operation)
                        writer.member("windowNanos", UInt64(clamping: rule.window.clampedNanoseconds))
                        writer.member("forNanos", UInt64(clamping: rule.forDuration.clampedNanoseconds))
                    }
                }
            }
        })
    }

    private static func quantiles(_ p50: Duration?, _ p95: Duration?, _ p99: Duration?, into writer: inout JSONWriter) {
        for (name, value) in [("p50Nanos", p50), ("p95Nanos", p95), ("p99Nanos", p99)] {
            writer.key(name)
            if let value { writer.uint(UInt64(clamping: value.clampedNanoseconds)) } else { writer.null() }
        }
    }

    private static func respond(_ body: () throws(APIError) -> Response) -> Response {
        do {
            return try body()
        } catch {
            return json(SpindleJSON.error(error), status: error.status)
        }
    }

    private static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response.bytes(status: status, bytes, contentType: "application/json")
    }
}
