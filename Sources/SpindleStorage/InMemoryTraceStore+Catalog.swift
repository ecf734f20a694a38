import SpindleModel

// Services, operations and attribute autocomplete: one pass over the stored spans that
// start in the range, reading names straight from the tables.

extension InMemoryTraceStore {
    /// Distinct string `service.name`s of the resources of spans starting in
    /// `timeRange`, sorted; resources without one are left out.
    public func services(timeRange: TimeRange?) async throws(StorageError) -> [String] {
        var names = Set<String>()
        try forEachBatch(in: timeRange, "services") { tables, resources in
            for resource in resources {
                if let name = Self.serviceName(ofResource: resource, in: tables) { names.insert(name) }
            }
        }
        return names.sorted()
    }

    /// The distinct (name, kind) pairs of spans starting in `timeRange` whose resource's
    /// `service.name` is `service`, sorted by name then kind.
    public func operations(service: String, timeRange: TimeRange?) async throws(StorageError) -> [Operation] {
        let range = timeRange ?? .all
        var operations = Set<Operation>()
        for stored in state.withLock({ $0.snapshot() }) where stored.overlaps(range) {
            try Self.checkCancellation("operations")
            let tables = stored.batch.tables
            var resourceVerdicts = [Bool?](repeating: nil, count: tables.resources.count)
            for index in stored.live {
                let row = tables.spans[Int(index)]
                guard range.contains(row.startTimeUnixNano) else { continue }
                let resource = Self.resourceIndex(of: row, in: tables)
                let isService = resourceVerdicts[resource] ?? Self.resource(resource, hasService: service, in: tables)
                resourceVerdicts[resource] = isService
                if isService { operations.insert(Operation(name: tables.string(row.name), kind: row.kind)) }
            }
        }
        return operations.sorted()
    }

    /// Distinct keys of the span attributes of spans starting in `timeRange`, or of the
    /// resource attributes of their resources, sorted.
    public func attributeNames(scope: AttributeScope, timeRange: TimeRange?) async throws(StorageError) -> [String] {
        var names = Set<String>()
        try forEachAttributeList(scope: scope, in: timeRange, "attribute names") { tables, table, range in
            for index in range.indices { names.insert(tables.string(table[index].key)) }
        }
        return names.sorted()
    }

    /// Distinct scalar values of attribute `key` (see ``text(of:in:)`` for how each is
    /// rendered; bytes, arrays, lists and empty values are not offered), sorted as text,
    /// the first `limit`. A `limit` of 0 or less gives no values.
    public func attributeValues(scope: AttributeScope, key: String, timeRange: TimeRange?, limit: Int) async throws(StorageError) -> [String] {
        if limit <= 0 { return [] }
        var values = Set<String>()
        try forEachAttributeList(scope: scope, in: timeRange, "attribute values") { tables, table, range in
            if let slot = Self.firstValue(named: key, in: range, of: table, tables: tables), let text = Self.text(of: slot, in: tables) {
                values.insert(text)
            }
        }
        return Array(values.sorted().prefix(limit))
    }

    /// Calls `body` with each batch that has stored spans starting in `timeRange` and
    /// the resources (row indices) of those spans.
    private func forEachBatch(
        in timeRange: TimeRange?, _ operation: String,
        _ body: (SpanTables, [Int]) -> Void
    ) throws(StorageError) {
        let range = timeRange ?? .all
        for stored in state.withLock({ $0.snapshot() }) where stored.overlaps(range) {
            try Self.checkCancellation(operation)
            let tables = stored.batch.tables
            var seen = [Bool](repeating: false, count: tables.resources.count)
            var resources: [Int] = []
            for index in stored.live {
                let row = tables.spans[Int(index)]
                guard range.contains(row.startTimeUnixNano) else { continue }
                let resource = Self.resourceIndex(of: row, in: tables)
                if !seen[resource] {
                    seen[resource] = true
                    resources.append(resource)
                    if resources.count == tables.resources.count { break }
                }
            }
            if !resources.isEmpty { body(tables, resources) }
        }
    }

    /// Calls `body` with each attribute list in `scope` that belongs to a stored span
    /// starting in `timeRange` (span scope) or to the resource of one (resource scope,
    /// once per resource row).
    private func forEachAttributeList(
        scope: AttributeScope, in timeRange: TimeRange?, _ operation: String,
        _ body: (SpanTables, [AttributeSlot], TableRange) -> Void
    ) throws(StorageError) {
        switch scope {
        case .resource:
            try forEachBatch(in: timeRange, operation) { tables, resources in
                for resource in resources { body(tables, tables.resourceAttributes, tables.resources[resource].attributes) }
            }
        case .span:
            let range = timeRange ?? .all
            for stored in state.withLock({ $0.snapshot() }) where stored.overlaps(range) {
                try Self.checkCancellation(operation)
                let tables = stored.batch.tables
                for index in stored.live {
                    let row = tables.spans[Int(index)]
                    guard range.contains(row.startTimeUnixNano) else { continue }
                    body(tables, tables.spanAttributes, row.attributes)
                }
            }
        }
    }
}
