import SpindleModel

extension InMemoryTraceStore {
    /// Traces with at least one span that starts in `query.timeRange` and matches every
    /// filter of `query` (all filters on that same span), most recent first.
    ///
    /// - The summaries describe the whole stored trace, not only matching spans.
    /// - Order: trace start descending; equal starts by trace ID ascending.
    /// - Root: the span without a parent (the earliest such span if there are several);
    ///   when none is stored, the earliest span; ties go to the span written first.
    ///   A root whose resource has no string `service.name` gives `rootService` "".
    /// - Attribute filters look at the first attribute with the key. A `.range` matches
    ///   ints and doubles only (never NaN); `.equals` compares as ``AttributeFilter``
    ///   documents, values of other kinds (bytes, arrays, lists, empty) by value.
    /// - Throws `.invalidArgument` for a limit below 1 or a NaN range bound, and
    ///   `.unavailable` when cancelled.
    public func search(_ query: TraceQuery) async throws(StorageError) -> [TraceSummary] {
        try Self.validate(query)
        let matched = try matchingTraces(query)
        if matched.isEmpty { return [] }
        // Rank by trace start, which needs every span of each matching trace wherever it
        // was written, then build summaries only for the traces returned. One lock, so
        // that an eviction cannot remove a chosen trace between ranking and reading.
        let limit = query.limit
        let traces = state.withLock { state in
            let ranked = matched.compactMap { id in state.startTime(of: id).map { (id: id, start: $0) } }
            let chosen = ranked.sorted { ($0.start, $1.id) > ($1.start, $0.id) }.prefix(limit)
            return chosen.map { (id: $0.id, parts: state.locate($0.id)) }
        }
        var summaries: [TraceSummary] = []
        summaries.reserveCapacity(traces.count)
        for trace in traces {
            try Self.checkCancellation("search")
            summaries.append(Self.summary(of: trace.id, parts: trace.parts))
        }
        return summaries
    }

    static func summary(of id: TraceID, parts: [TracePart]) -> TraceSummary {
        var start = UInt64.max
        var end = UInt64.min
        var spanCount = 0
        var errorCount = 0
        var services = Set<String>()
        // The best root candidate so far: (is a root, start, where to read its names).
        var root: (isRoot: Bool, start: UInt64, tables: SpanTables, index: Int)?
        for part in parts {
            let tables = part.batch.tables
            var serviceOfResource: [Int: String?] = [:]
            for index in part.indices {
                let row = tables.spans[index]
                start = min(start, row.startTimeUnixNano)
                end = max(end, row.endTimeUnixNano)
                spanCount += 1
                if row.statusCode == .error { errorCount += 1 }
                let resource = resourceIndex(of: row, in: tables)
                let service: String?
                if let known = serviceOfResource[resource] {
                    service = known
                } else {
                    service = serviceName(ofResource: resource, in: tables)
                    serviceOfResource[resource] = service
                }
                if let service { services.insert(service) }
                let isRoot = !row.parentSpanID.isValid
                if let best = root, (best.isRoot && !isRoot) || (best.isRoot == isRoot && best.start <= row.startTimeUnixNano) {
                    continue
                }
                root = (isRoot, row.startTimeUnixNano, tables, index)
            }
        }
        var rootService = ""
        var rootOperation = ""
        if let root {
            let row = root.tables.spans[root.index]
            rootService = serviceName(ofResource: resourceIndex(of: row, in: root.tables), in: root.tables) ?? ""
            rootOperation = root.tables.string(row.name)
        }
        return TraceSummary(
            traceID: id, rootService: rootService, rootOperation: rootOperation,
            startTimeUnixNano: start, endTimeUnixNano: end,
            spanCount: spanCount, errorCount: errorCount, services: services.sorted()
        )
    }
}

/// Evaluates a ``TraceQuery``'s span filters on a batch's tables.
struct SpanMatcher {
    let query: TraceQuery
    let spanFilters: [AttributeFilter]
    let resourceFilters: [AttributeFilter]

    init(_ query: TraceQuery) {
        self.query = query
        spanFilters = query.attributes.filter { $0.scope == .span }
        resourceFilters = query.attributes.filter { $0.scope == .resource }
    }

    /// Adds the traces of matching spans of `stored` to `matched`.
    func collect(_ stored: InMemoryTraceStore.SnapshotBatch, into matched: inout Set<TraceID>) {
        let tables = stored.batch.tables
        // Service and resource filters depend on the resource only: decided once per
        // resource row, on first use.
        var resourceVerdicts = [Bool?](repeating: nil, count: tables.resources.count)
        for index in stored.live {
            let row = tables.spans[Int(index)]
            guard query.timeRange.contains(row.startTimeUnixNano), !matched.contains(row.traceID) else { continue }
            if let operation = query.operation, !tables.equals(row.name, operation) { continue }
            if let kind = query.kind, row.kind != kind { continue }
            if let status = query.status, row.statusCode != status { continue }
            let duration = row.endTimeUnixNano >= row.startTimeUnixNano ? row.endTimeUnixNano - row.startTimeUnixNano : 0
            if let minDuration = query.minDuration, duration < minDuration { continue }
            if let maxDuration = query.maxDuration, duration > maxDuration { continue }
            if !spanFilters.allSatisfy({ $0.matches(row.attributes, of: tables.spanAttributes, in: tables) }) { continue }
            let resource = InMemoryTraceStore.resourceIndex(of: row, in: tables)
            let resourceMatches: Bool
            if let verdict = resourceVerdicts[resource] {
                resourceMatches = verdict
            } else {
                resourceMatches = matches(resource: resource, in: tables)
                resourceVerdicts[resource] = resourceMatches
            }
            if resourceMatches { matched.insert(row.traceID) }
        }
    }

    private func matches(resource index: Int, in tables: SpanTables) -> Bool {
        if let service = query.service, !InMemoryTraceStore.resource(index, hasService: service, in: tables) { return false }
        let attributes = tables.resources[index].attributes
        return resourceFilters.allSatisfy { $0.matches(attributes, of: tables.resourceAttributes, in: tables) }
    }
}
