public import SpindleModel
public import SpindleStorage

/// Totals of one operation (span name and kind) of a service over a time range: a row
/// of a service page's operations table.
public struct OperationStats: Sendable, Hashable {
    /// The span name.
    public var operation: String
    public var kind: SpanKind
    public var requests: Int
    /// Requests with status error.
    public var errors: Int
    /// Nearest-rank percentiles of the requests' durations.
    public var p50Nanos: UInt64
    public var p95Nanos: UInt64
    public var p99Nanos: UInt64

    public init(operation: String, kind: SpanKind, requests: Int, errors: Int, p50Nanos: UInt64, p95Nanos: UInt64, p99Nanos: UInt64) {
        self.operation = operation
        self.kind = kind
        self.requests = requests
        self.errors = errors
        self.p50Nanos = p50Nanos
        self.p95Nanos = p95Nanos
        self.p99Nanos = p99Nanos
    }
}

extension REDSeries {
    /// Per-operation totals of `service`'s requests over the whole of `timeRange`, one row
    /// per (span name, kind), sorted by name then kind.
    ///
    /// Requests are chosen exactly as ``compute(reader:service:operation:timeRange:step:limits:)``
    /// chooses them, so the rows add up to the service's series: for a service with
    /// server or consumer spans, only those operations appear. Percentiles are exact.
    /// Throws as `compute` does (an empty time range gives no rows rather than an error).
    public static func operations(reader: any TraceReader, service: String, timeRange: TimeRange, limits: AnalyticsLimits = AnalyticsLimits()) async throws(AnalyticsError) -> [OperationStats] {
        var selection = RequestSpans(service: service, operation: nil, keepsNames: true)
        var scan = SpanScan(reader: reader, timeRange: timeRange, limits: limits, request: "operations of \(service)")
        while let batch = try await scan.next() {
            selection.add(batch, timeRange: timeRange)
        }
        struct Key: Hashable { var operation: Int32; var kind: SpanKind }
        var durations: [Key: [UInt64]] = [:]
        var errors: [Key: Int] = [:]
        for request in selection.requests() {
            let key = Key(operation: request.operation, kind: request.kind)
            durations[key, default: []].append(request.duration)
            if request.isError { errors[key, default: 0] += 1 }
        }
        let names = selection.operationNames
        return durations.map { key, values in
            var values = values
            let percentiles = Percentiles.summary(of: &values)
            return OperationStats(
                operation: names[Int(key.operation)], kind: key.kind, requests: values.count, errors: errors[key] ?? 0,
                p50Nanos: percentiles.p50, p95Nanos: percentiles.p95, p99Nanos: percentiles.p99
            )
        }
        .sorted { ($0.operation, $0.kind.rawValue) < ($1.operation, $1.kind.rawValue) }
    }
}
