import SpindleModel
public import SpindleStorage

/// Rate, errors and duration of a service's requests, one point per step: the series
/// behind a service page's charts.
public struct REDSeries: Sendable, Hashable {
    /// One step of the series.
    public struct Point: Sendable, Hashable {
        /// The start of the step, Unix nanoseconds.
        public var timestampUnixNano: UInt64
        public var requests: Int
        /// Requests with status error.
        public var errors: Int
        /// Requests per second of the step: `requests` divided by the step length (also for
        /// a last step that the time range cuts short, as Prometheus and Tempo do).
        public var ratePerSecond: Double
        /// `errors / requests`, 0 when there are no requests.
        public var errorRate: Double
        /// Nearest-rank percentiles of the requests' durations; 0 when there are none.
        public var p50Nanos: UInt64
        public var p95Nanos: UInt64
        public var p99Nanos: UInt64

        public init(timestampUnixNano: UInt64, requests: Int, errors: Int, ratePerSecond: Double, errorRate: Double, p50Nanos: UInt64, p95Nanos: UInt64, p99Nanos: UInt64) {
            self.timestampUnixNano = timestampUnixNano
            self.requests = requests
            self.errors = errors
            self.ratePerSecond = ratePerSecond
            self.errorRate = errorRate
            self.p50Nanos = p50Nanos
            self.p95Nanos = p95Nanos
            self.p99Nanos = p99Nanos
        }
    }

    public var service: String
    /// The span name the series is narrowed to; nil for the whole service.
    public var operation: String?
    /// One point per step from the start of the range, empty steps included (with zeros).
    public var points: [Point]

    public init(service: String, operation: String?, points: [Point]) {
        self.service = service
        self.operation = operation
        self.points = points
    }

    /// The most points one series may have (Prometheus's limit on a range query).
    public static let maxPoints = 11_000

    /// The series of `service` (and, when given, of its spans named `operation`) over
    /// `timeRange`, in steps of `step` nanoseconds.
    ///
    /// - **Requests** are the service's server and consumer spans starting in the range;
    ///   a service with none in the range is measured by its entry spans instead (spans
    ///   without a parent or whose parent is not one of its own spans). The rule is
    ///   chosen for the whole service, so every operation of it is measured the same way.
    /// - Each request falls in the step where it starts; step *i* covers
    ///   `start + i·step ..< start + (i+1)·step`, the last one cut at the range's end.
    /// - Percentiles are exact (nearest-rank over every request of the step).
    /// - Throws ``AnalyticsError/invalidArgument(_:)`` for a zero step, an empty range or
    ///   more than ``maxPoints`` steps; ``AnalyticsError/tooExpensive(_:)`` past
    ///   `limits.maxSpans` scanned spans; ``AnalyticsError/storage(_:)`` when the scan
    ///   fails or the task is cancelled.
    public static func compute(reader: any TraceReader, service: String, operation: String?, timeRange: TimeRange, step: UInt64, limits: AnalyticsLimits = AnalyticsLimits()) async throws(AnalyticsError) -> REDSeries {
        let stepCount = try Self.stepCount(timeRange: timeRange, step: step)
        var selection = RequestSpans(service: service, operation: operation, keepsNames: false)
        var scan = SpanScan(reader: reader, timeRange: timeRange, limits: limits, request: "RED series of \(service)")
        while let batch = try await scan.next() {
            selection.add(batch, timeRange: timeRange)
        }
        var durations = [[UInt64]](repeating: [], count: stepCount)
        var errors = [Int](repeating: 0, count: stepCount)
        for request in selection.requests() {
            let bucket = Int((request.start - timeRange.start) / step)
            durations[bucket].append(request.duration)
            if request.isError { errors[bucket] += 1 }
        }
        let stepSeconds = Double(step) / 1e9
        let points = (0..<stepCount).map { bucket in
            let requests = durations[bucket].count
            let percentiles = Percentiles.summary(of: &durations[bucket])
            return Point(
                timestampUnixNano: timeRange.start + UInt64(bucket) * step,
                requests: requests, errors: errors[bucket],
                ratePerSecond: Double(requests) / stepSeconds,
                errorRate: requests == 0 ? 0 : Double(errors[bucket]) / Double(requests),
                p50Nanos: percentiles.p50, p95Nanos: percentiles.p95, p99Nanos: percentiles.p99
            )
        }
        return REDSeries(service: service, operation: operation, points: points)
    }

    /// The number of steps of `step` nanoseconds that cover `timeRange`, checked.
    static func stepCount(timeRange: TimeRange, step: UInt64) throws(AnalyticsError) -> Int {
        guard step > 0 else {
            throw .invalidArgument("step must be at least 1 nanosecond, got 0")
        }
        guard timeRange.end > timeRange.start else {
            throw .invalidArgument("time range \(timeRange.start)..<\(timeRange.end) is empty; the end must be after the start")
        }
        let width = timeRange.end - timeRange.start
        let count = width / step + (width % step == 0 ? 0 : 1)
        guard count <= UInt64(maxPoints) else {
            throw .invalidArgument("a step of \(step) ns gives \(count) points over the time range, more than \(maxPoints); use a larger step or a shorter range")
        }
        return Int(count)
    }
}
