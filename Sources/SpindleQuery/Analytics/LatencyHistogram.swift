public import SpindleModel
public import SpindleStorage

/// How request durations are distributed, in log-spaced buckets, with an example trace
/// per bucket to jump to: the latency chart of a service or operation page.
public struct LatencyHistogram: Sendable, Hashable {
    public struct Bucket: Sendable, Hashable {
        /// Inclusive lower bound of the durations in the bucket, nanoseconds.
        public var lowerNanos: UInt64
        /// Exclusive upper bound (saturating at `UInt64.max` for the very last bucket).
        public var upperNanos: UInt64
        public var count: Int
        /// The trace of the bucket's longest request (ties: the smallest trace ID).
        public var exampleTraceID: TraceID?
        /// The trace of the bucket's longest request with status error, chosen the same way.
        public var exampleErrorTraceID: TraceID?

        public init(lowerNanos: UInt64, upperNanos: UInt64, count: Int, exampleTraceID: TraceID?, exampleErrorTraceID: TraceID?) {
            self.lowerNanos = lowerNanos
            self.upperNanos = upperNanos
            self.count = count
            self.exampleTraceID = exampleTraceID
            self.exampleErrorTraceID = exampleErrorTraceID
        }
    }

    /// From the lowest to the highest non-empty bucket, empty buckets between them
    /// included; empty when there are no requests.
    public var buckets: [Bucket]
    /// Requests counted (the sum of the buckets' counts).
    public var total: Int

    public init(buckets: [Bucket], total: Int) {
        self.buckets = buckets
        self.total = total
    }

    /// The histogram of request durations starting in `timeRange`.
    ///
    /// - **Which spans:** with a `service`, its requests as ``REDSeries`` counts them
    ///   (server and consumer spans, or entry spans for a service without any), so the
    ///   histogram's total equals the series' requests; without one, every span. An
    ///   `operation` keeps only spans with that name.
    /// - **Buckets:** four per power of two, split linearly: for a duration *d* ≥ 4 ns in
    ///   `[2^k, 2^(k+1))` the bucket is `[2^k + j·2^(k-2), 2^k + (j+1)·2^(k-2))`, so a
    ///   bucket is at most 25% wider than its lower bound and any duration read off it is
    ///   within 25% of the truth. Durations below 4 ns get one bucket per nanosecond.
    ///   For example 1 ms (1,000,000 ns, in `[2^19, 2^20)`) falls in `[917504, 1048576)`.
    /// - Throws ``AnalyticsError/tooExpensive(_:)`` past `limits.maxSpans` scanned spans,
    ///   ``AnalyticsError/storage(_:)`` when the scan fails or the task is cancelled.
    public static func compute(reader: any TraceReader, service: String?, operation: String?, timeRange: TimeRange, limits: AnalyticsLimits = AnalyticsLimits()) async throws(AnalyticsError) -> LatencyHistogram {
        var selection = RequestSpans(service: service, operation: operation, keepsNames: false)
        var scan = SpanScan(reader: reader, timeRange: timeRange, limits: limits, request: "latency histogram")
        while let batch = try await scan.next() {
            selection.add(batch, timeRange: timeRange)
        }
        var counts = [Int](repeating: 0, count: Self.bucketCount)
        var examples = [Example?](repeating: nil, count: Self.bucketCount)
        var errorExamples = [Example?](repeating: nil, count: Self.bucketCount)
        var total = 0
        for request in selection.requests() {
            let bucket = Self.bucketIndex(ofDuration: request.duration)
            counts[bucket] += 1
            total += 1
            let example = Example(duration: request.duration, traceID: request.traceID)
            if examples[bucket].map({ example.isBetter(than: $0) }) ?? true { examples[bucket] = example }
            if request.isError, errorExamples[bucket].map({ example.isBetter(than: $0) }) ?? true { errorExamples[bucket] = example }
        }
        guard let first = counts.firstIndex(where: { $0 > 0 }), let last = counts.lastIndex(where: { $0 > 0 }) else {
            return LatencyHistogram(buckets: [], total: 0)
        }
        let buckets = (first...last).map { index in
            let bounds = Self.bounds(ofBucket: index)
            return Bucket(
                lowerNanos: bounds.lower, upperNanos: bounds.upper, count: counts[index],
                exampleTraceID: examples[index]?.traceID, exampleErrorTraceID: errorExamples[index]?.traceID
            )
        }
        return LatencyHistogram(buckets: buckets, total: total)
    }

    private struct Example {
        var duration: UInt64
        var traceID: TraceID

        func isBetter(than other: Example) -> Bool {
            duration != other.duration ? duration > other.duration : traceID < other.traceID
        }
    }

    // MARK: Bucket layout

    /// Buckets 0–3 hold durations 0–3 ns; then four per power of two from 2^2 to 2^63.
    static let bucketCount = 4 + 62 * 4

    /// The bucket of a duration (see ``compute(reader:service:operation:timeRange:limits:)``).
    static func bucketIndex(ofDuration duration: UInt64) -> Int {
        if duration < 4 { return Int(duration) }
        let power = UInt64.bitWidth - 1 - duration.leadingZeroBitCount
        let quarter = Int((duration >> UInt64(power - 2)) & 3)
        return 4 + (power - 2) * 4 + quarter
    }

    /// The inclusive lower and exclusive upper bound of bucket `index` (in 0..<bucketCount).
    static func bounds(ofBucket index: Int) -> (lower: UInt64, upper: UInt64) {
        if index < 4 { return (UInt64(index), UInt64(index) + 1) }
        let power = (index - 4) / 4 + 2
        let quarter = UInt64((index - 4) % 4)
        let width = UInt64(1) << UInt64(power - 2)
        let lower = (UInt64(1) << UInt64(power)) + quarter * width
        let (upper, overflow) = lower.addingReportingOverflow(width)
        return (lower, overflow ? .max : upper)
    }
}
