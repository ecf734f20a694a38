import SpindleModel
public import SpindleStorage

/// Which services call which: the data behind Jaeger's `/api/dependencies` and a
/// service map.
public struct ServiceGraph: Sendable, Hashable {
    /// Calls from one service to another.
    public struct Edge: Sendable, Hashable {
        public var parent: String
        public var child: String
        /// Parent/child span pairs with these services.
        public var callCount: Int
        /// Pairs whose child span has status error.
        public var errorCount: Int
        /// Nearest-rank percentiles of the child spans' durations.
        public var durationP50Nanos: UInt64
        public var durationP95Nanos: UInt64
        public var durationP99Nanos: UInt64

        public init(parent: String, child: String, callCount: Int, errorCount: Int, durationP50Nanos: UInt64, durationP95Nanos: UInt64, durationP99Nanos: UInt64) {
            self.parent = parent
            self.child = child
            self.callCount = callCount
            self.errorCount = errorCount
            self.durationP50Nanos = durationP50Nanos
            self.durationP95Nanos = durationP95Nanos
            self.durationP99Nanos = durationP99Nanos
        }
    }

    /// A service with spans in the range.
    public struct Node: Sendable, Hashable {
        public var service: String
        public var spanCount: Int
        /// Spans with status error.
        public var errorCount: Int

        public init(service: String, spanCount: Int, errorCount: Int) {
            self.service = service
            self.spanCount = spanCount
            self.errorCount = errorCount
        }
    }

    /// Sorted by service.
    public var nodes: [Node]
    /// Sorted by parent, then child.
    public var edges: [Edge]

    public init(nodes: [Node], edges: [Edge]) {
        self.nodes = nodes
        self.edges = edges
    }

    /// The graph of spans starting in `timeRange`.
    ///
    /// - **Edges** follow Jaeger's dependency semantics: each span whose parent is a span
    ///   of the same trace, also starting in `timeRange`, with a different service adds
    ///   one call from the parent's service to the child's. Pairs within one service add
    ///   nothing; a span whose parent is not stored, or started before the range, adds
    ///   nothing.
    /// - **Nodes** are every service with a span in the range, whether or not it has edges.
    /// - Spans whose resource has no string `service.name` are left out of both.
    /// - Exact: durations are kept per edge and percentiles are nearest-rank.
    /// - Throws ``AnalyticsError/tooExpensive(_:)`` past `limits.maxSpans` scanned spans
    ///   or `limits.maxTraces` distinct traces, and ``AnalyticsError/storage(_:)`` when the
    ///   scan fails or the task is cancelled.
    public static func build(reader: any TraceReader, timeRange: TimeRange, limits: AnalyticsLimits = AnalyticsLimits()) async throws(AnalyticsError) -> ServiceGraph {
        var builder = ServiceGraphBuilder(maxTraces: limits.maxTraces)
        var scan = SpanScan(reader: reader, timeRange: timeRange, limits: limits, request: "service graph")
        while let batch = try await scan.next() {
            try builder.add(batch, timeRange: timeRange)
        }
        return builder.finish()
    }
}

/// Accumulates the spans of a scan for ``ServiceGraph/build(reader:timeRange:limits:)``.
///
/// Spans of one trace may arrive in different batches, so parents are matched only at the
/// end: every named span is kept as a small fixed-size record (no strings), the records
/// are sorted by (trace, span ID), and each child finds its parent by binary search.
struct ServiceGraphBuilder {
    private struct GraphSpan {
        var trace: Int32
        var span: UInt64
        var parent: UInt64
        var service: Int32
        var isError: Bool
        var duration: UInt64
    }

    private let maxTraces: Int
    private var traceNumbers: [TraceID: Int32] = [:]
    private var serviceNumbers: [String: Int32] = [:]
    private var serviceNames: [String] = []
    private var spans: [GraphSpan] = []

    init(maxTraces: Int) {
        // Trace numbers are 32-bit to keep the per-span records small.
        self.maxTraces = min(maxTraces, Int(Int32.max))
    }

    mutating func add(_ batch: SpanBatch, timeRange: TimeRange) throws(AnalyticsError) {
        let tables = batch.tables
        let services = tables.serviceNamesByResource().map { name in name.map { serviceNumber($0) } }
        spans.reserveCapacity(spans.count + tables.spans.count)
        for index in tables.spans.indices {
            let row = tables.spans[index]
            guard timeRange.contains(row.startTimeUnixNano), let service = services[tables.resourceIndex(ofSpan: index)] else { continue }
            let trace: Int32
            if let known = traceNumbers[row.traceID] {
                trace = known
            } else {
                if traceNumbers.count >= maxTraces {
                    throw .tooExpensive("the service graph grouped more than \(maxTraces) traces; narrow the time range")
                }
                trace = Int32(traceNumbers.count)
                traceNumbers[row.traceID] = trace
            }
            spans.append(GraphSpan(
                trace: trace, span: row.spanID.value, parent: row.parentSpanID.value,
                service: service, isError: row.statusCode == .error, duration: row.durationNanos
            ))
        }
    }

    consuming func finish() -> ServiceGraph {
        var nodeSpans = [Int](repeating: 0, count: serviceNames.count)
        var nodeErrors = [Int](repeating: 0, count: serviceNames.count)
        for span in spans {
            nodeSpans[Int(span.service)] += 1
            if span.isError { nodeErrors[Int(span.service)] += 1 }
        }
        spans.sort { ($0.trace, $0.span) < ($1.trace, $1.span) }
        struct EdgeKey: Hashable { var parent: Int32; var child: Int32 }
        var durations: [EdgeKey: [UInt64]] = [:]
        var errors: [EdgeKey: Int] = [:]
        for child in spans where child.parent != 0 {
            guard let parent = find(trace: child.trace, span: child.parent), parent.service != child.service else { continue }
            let key = EdgeKey(parent: parent.service, child: child.service)
            durations[key, default: []].append(child.duration)
            if child.isError { errors[key, default: 0] += 1 }
        }
        let nodes = serviceNames.indices
            .map { ServiceGraph.Node(service: serviceNames[$0], spanCount: nodeSpans[$0], errorCount: nodeErrors[$0]) }
            .sorted { $0.service < $1.service }
        let edges = durations.map { key, values in
            var values = values
            let percentiles = Percentiles.summary(of: &values)
            return ServiceGraph.Edge(
                parent: serviceNames[Int(key.parent)], child: serviceNames[Int(key.child)],
                callCount: values.count, errorCount: errors[key] ?? 0,
                durationP50Nanos: percentiles.p50, durationP95Nanos: percentiles.p95, durationP99Nanos: percentiles.p99
            )
        }
        return ServiceGraph(nodes: nodes, edges: edges.sorted { ($0.parent, $0.child) < ($1.parent, $1.child) })
    }

    /// The first span with this trace and span ID, by binary search in the sorted spans.
    private func find(trace: Int32, span: UInt64) -> GraphSpan? {
        var low = 0
        var high = spans.count
        while low < high {
            let middle = low + (high - low) / 2
            if (spans[middle].trace, spans[middle].span) < (trace, span) { low = middle + 1 } else { high = middle }
        }
        guard low < spans.count, spans[low].trace == trace, spans[low].span == span else { return nil }
        return spans[low]
    }

    private mutating func serviceNumber(_ name: String) -> Int32 {
        if let known = serviceNumbers[name] { return known }
        let number = Int32(serviceNames.count)
        serviceNumbers[name] = number
        serviceNames.append(name)
        return number
    }
}
