public import SpindleModel

/// The chain of work a trace waited on from start to end: what to make faster to make
/// the whole request faster.
public struct CriticalPath: Sendable, Hashable {
    /// A stretch of time in which the trace waited on one span's own work.
    public struct Segment: Sendable, Hashable {
        public var spanID: SpanID
        public var startUnixNano: UInt64
        public var endUnixNano: UInt64

        public init(spanID: SpanID, startUnixNano: UInt64, endUnixNano: UInt64) {
            self.spanID = spanID
            self.startUnixNano = startUnixNano
            self.endUnixNano = endUnixNano
        }

        /// End minus start, or 0 for a segment built with its end before its start.
        public var durationNanos: UInt64 { endUnixNano >= startUnixNano ? endUnixNano - startUnixNano : 0 }
    }

    /// In time order, back to back, covering the root span from its start to its end.
    /// Adjacent stretches of the same span are one segment; none is empty.
    public var segments: [Segment]

    public init(segments: [Segment]) {
        self.segments = segments
    }

    /// Time on the critical path per span.
    public var totalBySpan: [SpanID: UInt64] {
        segments.reduce(into: [:]) { totals, segment in
            totals[segment.spanID] = (totals[segment.spanID] ?? 0).addingSaturating(segment.durationNanos)
        }
    }

    /// The critical path of `trace` (one trace's spans), by Jaeger's algorithm.
    ///
    /// Starting at the root with a cursor at its end, walk back in time: the child that
    /// finishes last among those ending at or before the cursor is on the path (its own
    /// critical path, found the same way, covers its duration); the time between its end
    /// and the cursor is the parent's own work; the cursor then moves to the child's
    /// start. When no child is left, the parent's own work fills the rest back to its
    /// start. Children that overlap the chosen child are skipped: the trace was not
    /// waiting on them.
    ///
    /// - **Root:** a span without a parent in the batch; with several (missing parents),
    ///   the earliest-starting one (ties: the smaller span ID). Spans outside its
    ///   subtree are ignored. An empty batch gives an empty path.
    /// - **Clipping:** a child is clipped to its parent's (clipped) interval, so a child
    ///   that outlives its parent counts only up to the parent's end; a child entirely
    ///   outside its parent is ignored. A span whose end is before its start has length 0.
    /// - **Ties and touching children:** Jaeger takes only children that end strictly
    ///   before the cursor, which drops a child that ends exactly where the next one
    ///   starts; here such back-to-back children are both on the path. Among children
    ///   ending at the same time, the earliest-starting one (then the smaller span ID) wins.
    /// - Iterative, O(n log n): deep chains and wide traces do not exhaust the stack.
    public static func compute(trace: SpanBatch) -> CriticalPath {
        let tree = TraceTree(trace)
        let roots = (0..<tree.count).filter { tree.parents[$0] < 0 }
        guard let root = roots.min(by: tree.startsBefore) else { return CriticalPath(segments: []) }
        // Segments are found walking back in time: collected latest first, reversed at the end.
        var backwards: [Segment] = []
        func record(_ span: Int, from start: UInt64, to end: UInt64) {
            guard end > start else { return }
            let spanID = tree.spanID(span)
            if let last = backwards.last, last.spanID == spanID, last.startUnixNano == end {
                backwards[backwards.count - 1].startUnixNano = start
            } else {
                backwards.append(Segment(spanID: spanID, startUnixNano: start, endUnixNano: end))
            }
        }
        var stack = [Frame(tree: tree, span: root, start: tree.start(root), end: tree.end(root))]
        while let top = stack.indices.last {
            let cursor = stack[top].cursor
            if let child = stack[top].nextChild() {
                record(stack[top].span, from: child.end, to: cursor)
                stack.append(Frame(tree: tree, span: child.span, start: child.start, end: child.end))
            } else {
                record(stack[top].span, from: stack[top].start, to: cursor)
                stack.removeLast()
            }
        }
        return CriticalPath(segments: backwards.reversed())
    }

    /// A span being walked: its clipped interval, its clipped children latest-ending
    /// first, and how far back the walk has come.
    private struct Frame {
        struct Child {
            var span: Int
            var start: UInt64
            var end: UInt64
        }

        let span: Int
        let start: UInt64
        let end: UInt64
        private(set) var cursor: UInt64
        private let children: [Child]
        private var position = 0

        init(tree: TraceTree, span: Int, start: UInt64, end: UInt64) {
            self.span = span
            self.start = start
            self.end = end
            cursor = end
            children = tree.children[span]
                .compactMap { child in
                    let childStart = tree.start(child)
                    let childEnd = tree.end(child)
                    guard childEnd >= start, childStart <= end else { return nil }
                    return Child(span: child, start: max(childStart, start), end: min(childEnd, end))
                }
                .sorted { lhs, rhs in
                    (rhs.end, lhs.start, tree.spanID(lhs.span).value, lhs.span) < (lhs.end, rhs.start, tree.spanID(rhs.span).value, rhs.span)
                }
        }

        /// The latest-ending child that ends at or before the cursor, moving the cursor to
        /// its start. The cursor only moves back, so a child passed over (ending after the
        /// cursor) can never be chosen later: each child is looked at once.
        mutating func nextChild() -> Child? {
            while position < children.count {
                let child = children[position]
                position += 1
                if child.end <= cursor {
                    cursor = child.start
                    return child
                }
            }
            return nil
        }
    }
}
