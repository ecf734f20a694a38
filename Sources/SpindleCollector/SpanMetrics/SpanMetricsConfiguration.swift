/// How ``SpanMetrics`` counts: histogram buckets, the bound on series, and the time slots
/// its windows are made of.
///
/// Memory is bounded by these numbers alone. Each (service, span name, kind) series holds
/// a ring of `retention / resolution + 1` slots of `histogramBuckets.count + 2` 32-bit
/// counters (the buckets, `+Inf`, errors) and an 8-byte slot tag, plus its totals and
/// names (cut to 1 KiB each); each service-graph edge holds the same. With the defaults
/// (14 buckets, 10 s slots over 1 h: 361 slots of 72 B) a ring is 26 KB, so the worst
/// case, every series and edge in use, is `maxSeries` × 26 KB ≈ 52 MB for series plus
/// `maxEdges` × 26 KB ≈ 26 MB for edges; spans waiting for their service-graph pair add
/// at most `maxPendingEdges` × about 2 KB (their service and peer names) ≈ 20 MB. A ring
/// is allocated when its series or edge first sees a span, so a quiet collector holds far
/// less.
public struct SpanMetricsConfiguration: Sendable, Hashable {
    /// Upper bounds of the latency histogram buckets (Prometheus `le`), ascending; a
    /// `+Inf` bucket is always added. Default: Tempo's metrics-generator buckets, 2 ms
    /// doubling to 16.384 s (14 buckets).
    public var histogramBuckets: [Duration]
    /// The most (service, span name, kind) series kept; spans of any further series are
    /// counted in one overflow series whose label values are `__overflow__`. Default 2,000.
    public var maxSeries: Int
    /// The most (client, server, connection type) service-graph edges kept; further
    /// edges are counted in one overflow edge. Default 1,000.
    public var maxEdges: Int
    /// The size of one time slot: windows and chart points are made of whole slots.
    /// Default 10 s.
    public var resolution: Duration
    /// How far back windows and chart series reach. Default 1 h.
    public var retention: Duration
    /// How long a client (or producer) span waits for its server (or consumer) span, and
    /// the other way round, before it is counted as expired. Default 10 s, as Tempo.
    public var serviceGraphWait: Duration
    /// The most spans waiting for their pair; further spans that would wait are dropped
    /// from the service graph (and counted). Default 10,000, as Tempo.
    public var maxPendingEdges: Int

    /// Tempo's default latency buckets: 2 ms × 2ⁿ for n in 0..<14 (2 ms … 16.384 s).
    public static let defaultHistogramBuckets: [Duration] = (0..<14).map { .milliseconds(2 << $0) }

    public init(
        histogramBuckets: [Duration] = SpanMetricsConfiguration.defaultHistogramBuckets,
        maxSeries: Int = 2_000,
        maxEdges: Int = 1_000,
        resolution: Duration = .seconds(10),
        retention: Duration = .seconds(3_600),
        serviceGraphWait: Duration = .seconds(10),
        maxPendingEdges: Int = 10_000
    ) {
        self.histogramBuckets = histogramBuckets
        self.maxSeries = maxSeries
        self.maxEdges = maxEdges
        self.resolution = resolution
        self.retention = retention
        self.serviceGraphWait = serviceGraphWait
        self.maxPendingEdges = maxPendingEdges
    }

    /// The most histogram buckets accepted.
    public static let maxHistogramBuckets = 64
    /// The most slots one ring may have (`retention / resolution`), so that a tiny
    /// resolution cannot make every series huge.
    public static let maxSlots = 100_000

    /// Checks the values, naming the first that is wrong and what is allowed.
    ///
    /// ``SpanMetrics`` accepts any configuration (it clamps what is out of range, see
    /// ``normalized``); a configuration loader calls this first so users hear about mistakes.
    public func validate() throws(SpanMetricsConfigurationError) {
        if histogramBuckets.isEmpty || histogramBuckets.count > Self.maxHistogramBuckets {
            throw SpanMetricsConfigurationError("histogram_buckets: give 1 to \(Self.maxHistogramBuckets) bucket bounds, not \(histogramBuckets.count)")
        }
        for (index, bound) in histogramBuckets.enumerated() {
            if bound <= .zero {
                throw SpanMetricsConfigurationError("histogram_buckets: bound \(index + 1) is \(GoDurationText.format(bound)); bounds must be greater than zero")
            }
            if index > 0, bound <= histogramBuckets[index - 1] {
                throw SpanMetricsConfigurationError("histogram_buckets: bounds must be strictly ascending, but bound \(index + 1) (\(GoDurationText.format(bound))) is not greater than bound \(index) (\(GoDurationText.format(histogramBuckets[index - 1])))")
            }
        }
        if maxSeries < 1 { throw SpanMetricsConfigurationError("max_series: must be at least 1, not \(maxSeries)") }
        if maxEdges < 1 { throw SpanMetricsConfigurationError("max_edges: must be at least 1, not \(maxEdges)") }
        if maxPendingEdges < 0 { throw SpanMetricsConfigurationError("max_pending_edges: must not be negative, not \(maxPendingEdges)") }
        if resolution < .milliseconds(1) { throw SpanMetricsConfigurationError("resolution: must be at least 1ms, not \(GoDurationText.format(resolution))") }
        if resolution > .seconds(86_400) { throw SpanMetricsConfigurationError("resolution: must be at most 24h, not \(GoDurationText.format(resolution))") }
        if retention > .seconds(90 * 86_400) { throw SpanMetricsConfigurationError("retention: must be at most 90 days, not \(GoDurationText.format(retention))") }
        if retention < resolution { throw SpanMetricsConfigurationError("retention: must be at least the resolution (\(GoDurationText.format(resolution))), not \(GoDurationText.format(retention))") }
        if retention / resolution > Double(Self.maxSlots) {
            throw SpanMetricsConfigurationError("retention / resolution: at most \(Self.maxSlots) slots, not \(Int(retention / resolution)); raise the resolution or lower the retention")
        }
        if serviceGraphWait < .zero { throw SpanMetricsConfigurationError("service_graph_wait: must not be negative, not \(GoDurationText.format(serviceGraphWait))") }
    }

    /// The configuration ``SpanMetrics`` runs with: buckets sorted, deduplicated and
    /// positive (the default when none is left), at most ``maxHistogramBuckets``;
    /// counts at least 1 (pending edges at least 0); resolution at least 1 ms; retention
    /// at least one resolution and at most ``maxSlots`` of them; wait at least zero.
    public var normalized: SpanMetricsConfiguration {
        var result = self
        var buckets = Array(Set(histogramBuckets.filter { $0 > .zero })).sorted()
        if buckets.isEmpty { buckets = Self.defaultHistogramBuckets }
        result.histogramBuckets = Array(buckets.prefix(Self.maxHistogramBuckets))
        result.maxSeries = max(1, maxSeries)
        result.maxEdges = max(1, maxEdges)
        result.maxPendingEdges = max(0, maxPendingEdges)
        result.resolution = max(.milliseconds(1), resolution)
        result.retention = min(max(result.resolution, retention), result.resolution * Self.maxSlots)
        result.serviceGraphWait = max(.zero, serviceGraphWait)
        return result
    }
}

/// A span metrics setting that is out of range; the message names the setting and what
/// is allowed.
public struct SpanMetricsConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { "invalid span metrics configuration: \(message)" }
}
