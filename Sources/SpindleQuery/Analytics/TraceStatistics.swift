public import SpindleModel

/// Where one trace's time went, per service and operation: the trace view's statistics
/// table.
public struct TraceStatistics: Sendable, Hashable {
    public struct Row: Sendable, Hashable {
        public var service: String
        /// The span name.
        public var operation: String
        public var count: Int
        /// The sum of the spans' durations.
        public var totalNanos: UInt64
        /// The sum of the spans' self times: each span's duration minus the union of its
        /// direct children's intervals, clipped to the span (overlapping children count
        /// once; time a child runs past its parent's end is not subtracted).
        public var selfNanos: UInt64
        /// Spans with status error.
        public var errorCount: Int

        public init(service: String, operation: String, count: Int, totalNanos: UInt64, selfNanos: UInt64, errorCount: Int) {
            self.service = service
            self.operation = operation
            self.count = count
            self.totalNanos = totalNanos
            self.selfNanos = selfNanos
            self.errorCount = errorCount
        }
    }

    /// Sorted by self time descending, then service, then operation.
    public var rows: [Row]

    public init(rows: [Row]) {
        self.rows = rows
    }

    /// The statistics of `trace` (one trace's spans). Every span counts, wherever it hangs;
    /// a span's children are the spans of the batch naming it as parent. Spans without a
    /// string `service.name` are under service "". Sums saturate instead of overflowing.
    public static func compute(trace: SpanBatch) -> TraceStatistics {
        let tree = TraceTree(trace)
        struct Key: Hashable { var service: String; var operation: String }
        var rows: [Key: Row] = [:]
        for span in 0..<tree.count {
            let key = Key(service: tree.services[span], operation: tree.name(span))
            let duration = tree.end(span) - tree.start(span)
            let selfTime = duration - coveredByChildren(of: span, in: tree)
            var row = rows[key] ?? Row(service: key.service, operation: key.operation, count: 0, totalNanos: 0, selfNanos: 0, errorCount: 0)
            row.count += 1
            row.totalNanos = row.totalNanos.addingSaturating(duration)
            row.selfNanos = row.selfNanos.addingSaturating(selfTime)
            if tree.tables.spans[span].statusCode == .error { row.errorCount += 1 }
            rows[key] = row
        }
        return TraceStatistics(rows: rows.values.sorted { lhs, rhs in
            if lhs.selfNanos != rhs.selfNanos { return lhs.selfNanos > rhs.selfNanos }
            return (lhs.service, lhs.operation) < (rhs.service, rhs.operation)
        })
    }

    /// The length of the union of the children's intervals within the span's interval.
    private static func coveredByChildren(of span: Int, in tree: TraceTree) -> UInt64 {
        let start = tree.start(span)
        let end = tree.end(span)
        let intervals = tree.children[span]
            .map { (max(tree.start($0), start), min(tree.end($0), end)) }
            .filter { $0.0 < $0.1 }
            .sorted { $0.0 < $1.0 }
        var covered: UInt64 = 0
        var reach = start
        for (childStart, childEnd) in intervals where childEnd > reach {
            covered += childEnd - max(childStart, reach)
            reach = childEnd
        }
        return covered
    }
}

extension UInt64 {
    func addingSaturating(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
