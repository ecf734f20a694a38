public import SpindleModel

extension SpanBatch {
    /// One batch holding the resource, scope and span groups of `parts`, in order, each
    /// span under its own resource and scope.
    ///
    /// A single part is returned as it is (sharing its storage). Otherwise the result is
    /// compact: it copies only the rows and arena bytes that the parts' resources, scopes
    /// and spans refer to, so concatenating small selections of large batches (see
    /// ``SpanBatch/selecting(spansAt:)``) costs the size of the selections, not of the
    /// batches they came from. Storage backends use it to assemble a trace whose spans
    /// arrived in several batches.
    public init(concatenating parts: [SpanBatch]) {
        if parts.count == 1 {
            self = parts[0]
            return
        }
        var copier = TableCopier()
        for part in parts { copier.append(part.tables) }
        self.init(tables: copier.tables)
    }
}

/// Copies the groups of source tables into one set of tables, row by row, taking only
/// the attribute, event, link, nested-value and arena data that those groups reference.
struct TableCopier {
    private(set) var tables = SpanTables()

    mutating func append(_ source: SpanTables) {
        for resourceIndex in source.resources.indices {
            let sourceResource = source.resources[resourceIndex]
            var resource = sourceResource
            resource.attributes = copyAttributes(sourceResource.attributes, of: source.resourceAttributes, from: source, into: \.resourceAttributes)
            resource.schemaURL = copyBytes(sourceResource.schemaURL, from: source)
            resource.scopes = TableRange(start: UInt32(tables.scopes.count), count: sourceResource.scopes.count)
            let newResourceIndex = UInt32(tables.resources.count)
            tables.resources.append(resource)
            for scopeIndex in sourceResource.scopes.indices {
                let sourceScope = source.scopes[scopeIndex]
                var scope = sourceScope
                scope.resourceIndex = newResourceIndex
                scope.name = copyBytes(sourceScope.name, from: source)
                scope.version = copyBytes(sourceScope.version, from: source)
                scope.attributes = copyAttributes(sourceScope.attributes, of: source.scopeAttributes, from: source, into: \.scopeAttributes)
                scope.schemaURL = copyBytes(sourceScope.schemaURL, from: source)
                scope.spans = TableRange(start: UInt32(tables.spans.count), count: sourceScope.spans.count)
                let newScopeIndex = UInt32(tables.scopes.count)
                tables.scopes.append(scope)
                for spanIndex in sourceScope.spans.indices {
                    appendSpan(source.spans[spanIndex], scopeIndex: newScopeIndex, from: source)
                }
            }
        }
    }

    private mutating func appendSpan(_ sourceSpan: SpanRow, scopeIndex: UInt32, from source: SpanTables) {
        var span = sourceSpan
        span.scopeIndex = scopeIndex
        span.traceState = copyBytes(sourceSpan.traceState, from: source)
        span.name = copyBytes(sourceSpan.name, from: source)
        span.statusMessage = copyBytes(sourceSpan.statusMessage, from: source)
        span.attributes = copyAttributes(sourceSpan.attributes, of: source.spanAttributes, from: source, into: \.spanAttributes)
        // Event and link rows stay contiguous: their attributes go to other tables.
        span.events = TableRange(start: UInt32(tables.events.count), count: sourceSpan.events.count)
        for eventIndex in sourceSpan.events.indices {
            var event = source.events[eventIndex]
            event.name = copyBytes(event.name, from: source)
            event.attributes = copyAttributes(event.attributes, of: source.eventAttributes, from: source, into: \.eventAttributes)
            tables.events.append(event)
        }
        span.links = TableRange(start: UInt32(tables.links.count), count: sourceSpan.links.count)
        for linkIndex in sourceSpan.links.indices {
            var link = source.links[linkIndex]
            link.traceState = copyBytes(link.traceState, from: source)
            link.attributes = copyAttributes(link.attributes, of: source.linkAttributes, from: source, into: \.linkAttributes)
            tables.links.append(link)
        }
        tables.spans.append(span)
    }

    private mutating func copyBytes(_ ref: ByteRef, from source: SpanTables) -> ByteRef {
        if ref.count == 0 { return .empty }
        let offset = UInt32(tables.arena.count)
        tables.arena.append(contentsOf: source.arena[ref.range])
        return ByteRef(offset: offset, count: ref.count)
    }

    private mutating func copyAttributes(
        _ range: TableRange,
        of sourceTable: [AttributeSlot],
        from source: SpanTables,
        into table: WritableKeyPath<SpanTables, [AttributeSlot]>
    ) -> TableRange {
        if range.count == 0 { return .empty }
        // Values are copied first: nested children go to the nested tables (possibly
        // `table` itself, for key-value lists), so this list's own rows stay contiguous.
        let slots = range.indices.map { index in
            AttributeSlot(key: copyBytes(sourceTable[index].key, from: source), value: copyValue(sourceTable[index].value, from: source))
        }
        let start = UInt32(tables[keyPath: table].count)
        tables[keyPath: table].append(contentsOf: slots)
        return TableRange(start: start, count: UInt32(slots.count))
    }

    private mutating func copyValue(_ slot: ValueSlot, from source: SpanTables) -> ValueSlot {
        switch slot.kind {
        case .empty, .bool, .int, .double:
            return slot
        case .string:
            return .string(copyBytes(slot.byteRef, from: source))
        case .bytes:
            return .bytes(copyBytes(slot.byteRef, from: source))
        case .array:
            let elements = slot.tableRange.indices.map { copyValue(source.nestedValues[$0], from: source) }
            let start = UInt32(tables.nestedValues.count)
            tables.nestedValues.append(contentsOf: elements)
            return .array(TableRange(start: start, count: UInt32(elements.count)))
        case .keyValueList:
            return .keyValueList(copyAttributes(slot.tableRange, of: source.nestedAttributes, from: source, into: \.nestedAttributes))
        }
    }
}
