import SpindleModel

/// The spans a query sees of one trace (or, for span-local metrics, of one scanned
/// batch), with what evaluation needs computed on first use: the parent of each span,
/// children, the root and the trace's extent.
///
/// - A span's parent is the span (of this view) whose ID is its parent ID; a parent
///   ID naming no span of the view leaves it without a parent, but not a root: the root
///   is the earliest-starting span with no parent ID at all.
/// - Span IDs repeated within the view resolve to the first span with the ID.
/// - Parent chains that loop (corrupt data) are tolerated: every walk marks what it
///   has visited, so none runs forever.
final class TraceView {
    let batch: SpanBatch
    let tables: SpanTables
    let count: Int

    init(_ batch: SpanBatch) {
        self.batch = batch
        tables = batch.tables
        count = batch.spanCount
    }

    // MARK: Structure

    /// `parent[i]`: index of span i's parent in this view, or -1.
    private(set) lazy var parent: [Int] = {
        var byID: [SpanID: Int] = [:]
        byID.reserveCapacity(count)
        for index in 0..<count where byID[tables.spans[index].spanID] == nil {
            byID[tables.spans[index].spanID] = index
        }
        return (0..<count).map { index in
            let row = tables.spans[index]
            guard row.parentSpanID.isValid, let parent = byID[row.parentSpanID], parent != index else { return -1 }
            return parent
        }
    }()

    /// Children of span i: `childList[childStart[i]..<childStart[i + 1]]`.
    private(set) lazy var childStart: [Int] = {
        var start = [Int](repeating: 0, count: count + 1)
        for parent in parent where parent >= 0 { start[parent + 1] += 1 }
        for index in 0..<count { start[index + 1] += start[index] }
        return start
    }()

    private(set) lazy var childList: [Int] = {
        var next = Array(childStart.dropLast())
        var list = [Int](repeating: 0, count: childStart[count])
        for (child, parent) in parent.enumerated() where parent >= 0 {
            list[next[parent]] = child
            next[parent] += 1
        }
        return list
    }()

    func children(of index: Int) -> ArraySlice<Int> {
        childList[childStart[index]..<childStart[index + 1]]
    }

    /// The earliest-starting span without a parent ID (the first in the batch on ties).
    private(set) lazy var root: Int? = {
        var best: Int?
        for index in 0..<count where !tables.spans[index].parentSpanID.isValid {
            if let current = best, tables.spans[current].startTimeUnixNano <= tables.spans[index].startTimeUnixNano { continue }
            best = index
        }
        return best
    }()

    /// Latest end minus earliest start of the view's spans.
    private(set) lazy var traceDuration: Int64 = {
        guard count > 0 else { return 0 }
        var start = UInt64.max
        var end = UInt64.min
        for row in tables.spans {
            start = min(start, row.startTimeUnixNano)
            end = max(end, row.endTimeUnixNano)
        }
        return end > start ? Int64(clamping: end - start) : 0
    }()

    // MARK: Per-span facts

    func resourceIndex(ofSpan index: Int) -> Int {
        Int(tables.scopes[Int(tables.spans[index].scopeIndex)].resourceIndex)
    }

    private lazy var serviceCache = [String??](repeating: nil, count: tables.resources.count)

    /// The string `service.name` of the span's resource, or nil.
    func service(ofSpan index: Int) -> String? {
        let resource = resourceIndex(ofSpan: index)
        if let known = serviceCache[resource] { return known }
        let slot = firstSlot(named: "service.name", in: tables.resources[resource].attributes, of: tables.resourceAttributes)
        var name: String?
        if let slot, slot.kind == .string { name = tables.string(slot.byteRef) }
        serviceCache[resource] = .some(name)
        return name
    }

    func durationNanos(ofSpan index: Int) -> UInt64 {
        let row = tables.spans[index]
        return row.endTimeUnixNano >= row.startTimeUnixNano ? row.endTimeUnixNano - row.startTimeUnixNano : 0
    }

    /// The value of the first attribute named `key` among rows `range` of `table`.
    func firstSlot(named key: String, in range: TableRange, of table: [AttributeSlot]) -> ValueSlot? {
        for index in range.indices where tables.equals(table[index].key, key) {
            return table[index].value
        }
        return nil
    }

    /// Spans ordered by start time, then by position: the order results list them in.
    func byStart(_ spans: [Int]) -> [Int] {
        spans.sorted { lhs, rhs in
            let a = tables.spans[lhs].startTimeUnixNano
            let b = tables.spans[rhs].startTimeUnixNano
            return a != b ? a < b : lhs < rhs
        }
    }
}
