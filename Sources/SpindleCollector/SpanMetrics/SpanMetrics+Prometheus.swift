import SpindleModel

extension SpanMetrics {
    /// The totals since start in the Prometheus text exposition format (version 0.0.4),
    /// for `GET /metrics`; every family has its `# HELP` and `# TYPE` lines, series are
    /// sorted, and the text ends with a newline.
    ///
    /// Names and labels are those of Tempo's metrics-generator, so Grafana's dashboards,
    /// its service graph and its span-metrics queries work unchanged:
    /// - `traces_spanmetrics_calls_total{service, span_name, span_kind, status_code}` and the
    ///   histogram `traces_spanmetrics_latency_bucket/_sum/_count` (seconds, with `le`);
    ///   `span_kind` is `SPAN_KIND_SERVER` and so on, `status_code` `STATUS_CODE_UNSET`,
    ///   `STATUS_CODE_OK` or `STATUS_CODE_ERROR`, as Tempo writes them.
    /// - `traces_service_graph_request_total{client, server, connection_type}`,
    ///   `traces_service_graph_request_failed_total`, and the histograms
    ///   `traces_service_graph_request_server_seconds` and
    ///   `traces_service_graph_request_client_seconds`.
    /// - Spindle's own: `spindle_spanmetrics_series_overflow_total` (spans counted in the
    ///   overflow series), `spindle_spanmetrics_series` (series now),
    ///   `spindle_service_graph_overflow_total` (calls counted in the overflow edge),
    ///   `spindle_service_graph_expired_spans_total` (spans whose pair never came; Tempo's
    ///   `..._expired_edges`), `spindle_service_graph_dropped_spans_total` (spans left out
    ///   because too many were waiting) and `spindle_service_graph_pending_spans`.
    ///
    /// Label values are escaped as the format requires (`\\`, `\"`, `\n`), so no span name
    /// can break the output.
    public func prometheusText() -> String {
        let snapshot = withCurrentState { state in
            Snapshot(
                series: state.allSeries.map { entry in
                    (entry.key, entry.isOverflow, (0..<StatusGroup.count).map { entry.counters.total(group: $0) })
                },
                edges: state.edges.map { edge in
                    let key = (client: state.names[edge.key.client], server: state.names[edge.key.server], connectionType: edge.key.connectionType)
                    return (key, edge.isOverflow, edge.counters.failed, edge.counters.total(group: EdgeGroup.server), edge.counters.total(group: EdgeGroup.client))
                },
                overflowSpans: state.overflowSpans,
                overflowCalls: state.overflowCalls,
                expiredSpans: state.pairing.expiredSpans,
                droppedSpans: state.pairing.droppedSpans,
                pendingSpans: state.pairing.pendingCount
            )
        }
        return snapshot.render(bucketBounds: LatencyBuckets(configuration.histogramBuckets).boundsNanoseconds)
    }

    /// What ``prometheusText()`` renders: the totals, copied under the lock and rendered
    /// outside it, so a scrape holds up ingest only for the copy.
    private struct Snapshot {
        var series: [(key: SpanMetricsSeriesKey, isOverflow: Bool, totals: [CumulativeHistogram])]
        var edges: [(key: (client: String, server: String, connectionType: ServiceGraphConnectionType), isOverflow: Bool, failed: UInt64, server: CumulativeHistogram, client: CumulativeHistogram)]
        var overflowSpans: UInt64
        var overflowCalls: UInt64
        var expiredSpans: UInt64
        var droppedSpans: UInt64
        var pendingSpans: Int

        static let statusLabels = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"]

        func render(bucketBounds: [UInt64]) -> String {
            var out = PrometheusTextWriter(bucketBounds: bucketBounds)
            let overflow = SpanMetrics.overflowLabel
            let series = self.series.sorted { lhs, rhs in
                lhs.isOverflow != rhs.isOverflow ? rhs.isOverflow : lhs.key < rhs.key
            }
            let labelled = series.flatMap { entry in
                entry.totals.indices.compactMap { status -> ([(String, String)], CumulativeHistogram)? in
                    let histogram = entry.totals[status]
                    guard histogram.count > 0 else { return nil }
                    let labels = [
                        ("service", entry.isOverflow ? overflow : entry.key.service),
                        ("span_name", entry.isOverflow ? overflow : entry.key.operation),
                        ("span_kind", entry.isOverflow ? overflow : Self.kindLabel(entry.key.kind)),
                        ("status_code", entry.isOverflow ? overflow : Self.statusLabels[status]),
                    ]
                    return (labels, histogram)
                }
            }
            // The overflow series has one status label, so its statuses add up to one sample.
            let merged = Self.mergingDuplicateLabels(labelled)

            out.family("traces_spanmetrics_calls_total", type: "counter", help: "Spans received, before sampling, by service, span name, span kind and status.")
            for (labels, histogram) in merged { out.sample("traces_spanmetrics_calls_total", labels, histogram.count) }
            out.family("traces_spanmetrics_latency", type: "histogram", help: "Span durations in seconds, before sampling, by service, span name, span kind and status.")
            for (labels, histogram) in merged { out.histogram("traces_spanmetrics_latency", labels, histogram) }

            let edges = self.edges.sorted { lhs, rhs in
                if lhs.isOverflow != rhs.isOverflow { return rhs.isOverflow }
                return (lhs.key.client, lhs.key.server, lhs.key.connectionType.rawValue) < (rhs.key.client, rhs.key.server, rhs.key.connectionType.rawValue)
            }
            let edgeLabels = edges.map { edge in
                [("client", edge.key.client), ("server", edge.key.server), ("connection_type", edge.isOverflow ? overflow : edge.key.connectionType.rawValue)]
            }
            out.family("traces_service_graph_request_total", type: "counter", help: "Calls between services: paired client and server spans.")
            for (index, edge) in edges.enumerated() { out.sample("traces_service_graph_request_total", edgeLabels[index], edge.server.count) }
            out.family("traces_service_graph_request_failed_total", type: "counter", help: "Calls between services where the client or the server span has status error.")
            for (index, edge) in edges.enumerated() { out.sample("traces_service_graph_request_failed_total", edgeLabels[index], edge.failed) }
            out.family("traces_service_graph_request_server_seconds", type: "histogram", help: "Durations of calls between services as the server spans measured them, in seconds.")
            for (index, edge) in edges.enumerated() { out.histogram("traces_service_graph_request_server_seconds", edgeLabels[index], edge.server) }
            out.family("traces_service_graph_request_client_seconds", type: "histogram", help: "Durations of calls between services as the client spans measured them, in seconds.")
            for (index, edge) in edges.enumerated() { out.histogram("traces_service_graph_request_client_seconds", edgeLabels[index], edge.client) }

            out.family("spindle_spanmetrics_series", type: "gauge", help: "Span metrics series (service, span name, kind) kept, the overflow series included.")
            out.sample("spindle_spanmetrics_series", [], UInt64(series.count))
            out.family("spindle_spanmetrics_series_overflow_total", type: "counter", help: "Spans counted in the __overflow__ series because the series limit was reached.")
            out.sample("spindle_spanmetrics_series_overflow_total", [], overflowSpans)
            out.family("spindle_service_graph_overflow_total", type: "counter", help: "Calls counted in the __overflow__ edge because the edge limit was reached.")
            out.sample("spindle_service_graph_overflow_total", [], overflowCalls)
            out.family("spindle_service_graph_expired_spans_total", type: "counter", help: "Client or server spans whose pair did not arrive within the service graph wait.")
            out.sample("spindle_service_graph_expired_spans_total", [], expiredSpans)
            out.family("spindle_service_graph_dropped_spans_total", type: "counter", help: "Client or server spans left out of the service graph because too many spans were waiting for their pair.")
            out.sample("spindle_service_graph_dropped_spans_total", [], droppedSpans)
            out.family("spindle_service_graph_pending_spans", type: "gauge", help: "Client or server spans waiting for their pair.")
            out.sample("spindle_service_graph_pending_spans", [], UInt64(pendingSpans))
            return out.text
        }

        static func kindLabel(_ kind: SpanKind) -> String {
            switch kind {
            case .internal: "SPAN_KIND_INTERNAL"
            case .server: "SPAN_KIND_SERVER"
            case .client: "SPAN_KIND_CLIENT"
            case .producer: "SPAN_KIND_PRODUCER"
            case .consumer: "SPAN_KIND_CONSUMER"
            default: "SPAN_KIND_UNSPECIFIED"
            }
        }

        static func mergingDuplicateLabels(_ samples: [([(String, String)], CumulativeHistogram)]) -> [([(String, String)], CumulativeHistogram)] {
            var result: [([(String, String)], CumulativeHistogram)] = []
            for (labels, histogram) in samples {
                if let last = result.last, last.0.elementsEqual(labels, by: ==) {
                    var merged = last.1
                    for index in merged.bucketCounts.indices { merged.bucketCounts[index] &+= histogram.bucketCounts[index] }
                    merged.sumSeconds += histogram.sumSeconds
                    result[result.count - 1].1 = merged
                } else {
                    result.append((labels, histogram))
                }
            }
            return result
        }
    }
}

/// Writes the Prometheus text exposition format.
struct PrometheusTextWriter {
    private(set) var text = ""
    /// `le` values of the finite buckets, formatted once.
    private let bucketLabels: [String]

    init(bucketBounds: [UInt64]) {
        bucketLabels = bucketBounds.map { Self.format(Double($0) / 1e9) }
        text.reserveCapacity(4_096)
    }

    mutating func family(_ name: String, type: String, help: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: UInt64) {
        sample(name, labels, value: String(value))
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], value: String) {
        text += name
        if !labels.isEmpty {
            text += "{"
            for (index, (label, labelValue)) in labels.enumerated() {
                if index > 0 { text += "," }
                text += label
                text += "=\""
                Self.appendEscaped(labelValue, to: &text)
                text += "\""
            }
            text += "}"
        }
        text += " "
        text += value
        text += "\n"
    }

    /// `_bucket` samples (cumulative, with `le`), then `_sum` and `_count`.
    mutating func histogram(_ name: String, _ labels: [(String, String)], _ histogram: CumulativeHistogram) {
        var cumulative: UInt64 = 0
        for (index, count) in histogram.bucketCounts.enumerated() {
            cumulative &+= count
            let le = index < bucketLabels.count ? bucketLabels[index] : "+Inf"
            sample(name + "_bucket", labels + [("le", le)], cumulative)
        }
        sample(name + "_sum", labels, value: Self.format(histogram.sumSeconds))
        sample(name + "_count", labels, cumulative)
    }

    /// Label value escaping: backslash, double quote and line feed, as the format defines.
    static func appendEscaped(_ value: String, to text: inout String) {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") }) else {
            text += value
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": text += "\\\\"
            case "\"": text += "\\\""
            case "\n": text += "\\n"
            default: text.unicodeScalars.append(scalar)
            }
        }
    }

    /// A float as Prometheus reads it: `+Inf`, `-Inf`, `NaN`, else the shortest text that
    /// reads back as the same value.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        return value.description
    }
}
