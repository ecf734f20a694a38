import SpindleModel

/// The parent/child structure of the spans of one trace, by span index in a batch, for
/// the per-trace analytics (critical path, statistics, comparison).
///
/// Total on any batch: a span's parent is the first span of the batch with the parent's
/// trace and span ID; a span whose parent is not in the batch, or is the span itself, is
/// a root. Because each span has at most one parent index, walking down from the roots
/// never loops; spans on a parent cycle (possible only in hostile data) are reachable
/// from no root, and each analysis says how it treats them.
struct TraceTree {
    let tables: SpanTables
    /// The parent's index, or -1 for a root.
    let parents: [Int]
    /// Each span's children, in batch order.
    let children: [[Int]]
    /// Each span's resource `service.name`, "" when it has none.
    let services: [String]

    init(_ batch: SpanBatch) {
        let tables = batch.tables
        self.tables = tables
        var firstIndex: [SpanKey: Int] = [:]
        firstIndex.reserveCapacity(tables.spans.count)
        for index in tables.spans.indices {
            let row = tables.spans[index]
            let key = SpanKey(trace: row.traceID, span: row.spanID)
            if firstIndex[key] == nil { firstIndex[key] = index }
        }
        var parents = [Int](repeating: -1, count: tables.spans.count)
        var children = [[Int]](repeating: [], count: tables.spans.count)
        for index in tables.spans.indices {
            let row = tables.spans[index]
            guard row.parentSpanID.isValid, let parent = firstIndex[SpanKey(trace: row.traceID, span: row.parentSpanID)], parent != index else { continue }
            parents[index] = parent
            children[parent].append(index)
        }
        self.parents = parents
        self.children = children
        let names = tables.serviceNamesByResource()
        services = tables.spans.indices.map { names[tables.resourceIndex(ofSpan: $0)] ?? "" }
    }

    var count: Int { parents.count }

    func start(_ index: Int) -> UInt64 { tables.spans[index].startTimeUnixNano }

    /// The end, or the start when the end is before it.
    func end(_ index: Int) -> UInt64 { max(tables.spans[index].startTimeUnixNano, tables.spans[index].endTimeUnixNano) }

    func spanID(_ index: Int) -> SpanID { tables.spans[index].spanID }

    func name(_ index: Int) -> String { tables.string(tables.spans[index].name) }

    /// Orders spans by start, then span ID, then batch position: a total order that does
    /// not depend on how the batch happens to be ordered (except for exact duplicates).
    func startsBefore(_ lhs: Int, _ rhs: Int) -> Bool {
        (start(lhs), spanID(lhs).value, lhs) < (start(rhs), spanID(rhs).value, rhs)
    }

    /// Every span, parents before their children: the roots in start order and their
    /// descendants, breadth first; then any span left over (on a parent cycle) is taken as
    /// a root in start order, with whatever hangs below it.
    func topDownOrder() -> [Int] {
        var order: [Int] = []
        order.reserveCapacity(count)
        var visited = [Bool](repeating: false, count: count)
        func visit(from root: Int) {
            var next = order.count
            visited[root] = true
            order.append(root)
            while next < order.count {
                for child in children[order[next]] where !visited[child] {
                    visited[child] = true
                    order.append(child)
                }
                next += 1
            }
        }
        for root in (0..<count).filter({ parents[$0] < 0 }).sorted(by: startsBefore) { visit(from: root) }
        if order.count < count {
            for index in (0..<count).sorted(by: startsBefore) where !visited[index] { visit(from: index) }
        }
        return order
    }
}
