public import SpindleModel

/// Which series a query adds up: nil matches every value. Spans counted in the overflow
/// series (past ``SpanMetricsConfiguration/maxSeries``) are matched only by ``all``, so
/// totals stay true while per-service figures leave them out.
public struct SpanMetricsSelector: Sendable, Hashable {
    public var service: String?
    /// The span name.
    public var operation: String?
    public var kind: SpanKind?

    public init(service: String? = nil, operation: String? = nil, kind: SpanKind? = nil) {
        self.service = service
        self.operation = operation
        self.kind = kind
    }

    /// Every span.
    public static var all: SpanMetricsSelector { SpanMetricsSelector() }
}

/// One series: a service's spans of one name and kind.
public struct SpanMetricsSeriesKey: Sendable, Hashable, Comparable {
    /// The resource's `service.name`, or `unknown_service` when it has none (the
    /// OpenTelemetry SDKs' default).
    public var service: String
    /// The span name.
    public var operation: String
    public var kind: SpanKind

    public init(service: String, operation: String, kind: SpanKind) {
        self.service = service
        self.operation = operation
        self.kind = kind
    }

    public static func < (lhs: SpanMetricsSeriesKey, rhs: SpanMetricsSeriesKey) -> Bool {
        (lhs.service, lhs.operation, lhs.kind.rawValue) < (rhs.service, rhs.operation, rhs.kind.rawValue)
    }
}

/// Requests, errors and latencies of the selected series over a window of whole slots:
/// the slot holding the window's end and the ones before it, `ceil(length / resolution)`
/// slots in all (at most the retention).
public struct SpanMetricsWindow: Sendable, Hashable {
    /// Spans counted.
    public var requests: UInt64
    /// Spans whose status code is error.
    public var errors: UInt64
    /// The slots' total length, which ``ratePerSecond`` divides by: `length` rounded up
    /// to whole slots. The newest slot may still be filling.
    public var duration: Duration
    /// The upper bounds of the finite buckets.
    public var bucketBounds: [Duration]
    /// Spans per bucket (not cumulative); one more than ``bucketBounds``, the last being
    /// `+Inf`.
    public var bucketCounts: [UInt64]

    public init(requests: UInt64, errors: UInt64, duration: Duration, bucketBounds: [Duration], bucketCounts: [UInt64]) {
        self.requests = requests
        self.errors = errors
        self.duration = duration
        self.bucketBounds = bucketBounds
        self.bucketCounts = bucketCounts
    }

    /// Requests per second over ``duration``.
    public var ratePerSecond: Double {
        let seconds = duration / .seconds(1)
        return seconds > 0 ? Double(requests) / seconds : 0
    }

    /// Errors divided by requests; nil when there were no requests (no traffic is not an
    /// error rate of zero, nor of one).
    public var errorRate: Double? {
        requests > 0 ? Double(errors) / Double(requests) : nil
    }

    /// The `q` quantile (0...1) of the latencies, interpolated within its histogram bucket
    /// as Prometheus' `histogram_quantile` does (so it is as fine as the buckets are); a
    /// quantile in the `+Inf` bucket answers the highest finite bound. Nil when there
    /// were no requests or `q` is out of range.
    public func quantile(_ q: Double) -> Duration? {
        LatencyBuckets(bucketBounds).quantile(q, of: bucketCounts)
    }
}

/// One point of a chart series: the slots starting in `[time, time + step)`.
public struct SpanMetricsPoint: Sendable, Hashable {
    /// The start of the point's interval, since the Unix epoch.
    public var time: Duration
    public var requests: UInt64
    public var errors: UInt64
    /// Latency quantiles as ``SpanMetricsWindow/quantile(_:)``; nil without requests.
    public var p50: Duration?
    public var p95: Duration?
    public var p99: Duration?

    public init(time: Duration, requests: UInt64, errors: UInt64, p50: Duration?, p95: Duration?, p99: Duration?) {
        self.time = time
        self.requests = requests
        self.errors = errors
        self.p50 = p50
        self.p95 = p95
        self.p99 = p99
    }
}

/// How a service-graph edge was found: Tempo's `connection_type` label.
public enum ServiceGraphConnectionType: String, Sendable, Hashable, CaseIterable {
    /// A client span and the server span under it.
    case direct = ""
    /// A producer span and the consumer span under it.
    case messagingSystem = "messaging_system"
    /// A client span with `db.system` or `db.name` and no server span: the database is
    /// the server, named by `peer.service`, else `db.name`, else `db.system`.
    case database = "database"
    /// A client span with `peer.service` and no server span (the server is that peer),
    /// or a root server span (the client is `user`).
    case virtualNode = "virtual_node"
}

/// Calls from one service to another over a window.
public struct ServiceGraphEdge: Sendable, Hashable {
    public var client: String
    public var server: String
    public var connectionType: ServiceGraphConnectionType
    public var calls: UInt64
    /// Calls where the client or the server span has status error.
    public var errors: UInt64
    /// Quantiles of the server spans' durations (the client span's for virtual servers).
    public var p50: Duration?
    public var p95: Duration?
    public var p99: Duration?

    public init(client: String, server: String, connectionType: ServiceGraphConnectionType, calls: UInt64, errors: UInt64, p50: Duration?, p95: Duration?, p99: Duration?) {
        self.client = client
        self.server = server
        self.connectionType = connectionType
        self.calls = calls
        self.errors = errors
        self.p50 = p50
        self.p95 = p95
        self.p99 = p99
    }
}
