/// Builds a ``SpanBatch`` from plain values, one resource group at a time.
///
/// Decoders of text formats (OTLP/JSON, Zipkin) and the SDK use it; the OTLP/protobuf
/// decoder fills ``SpanTables`` directly so it can point into the request bytes.
public struct SpanBatchBuilder: Sendable {
    public private(set) var tables: SpanTables

    public init(reservingSpans spanCapacity: Int = 0) {
        tables = SpanTables()
        tables.spans.reserveCapacity(spanCapacity)
    }

    /// Appends a resource group with its scopes and spans.
    public mutating func append(_ group: ResourceSpans) {
        let resourceIndex = tables.resources.count
        let firstScope = UInt32(tables.scopes.count)
        let resource = ResourceRow(
            attributes: appendAttributes(group.resource.attributes, to: \.resourceAttributes),
            droppedAttributesCount: group.resource.droppedAttributesCount,
            schemaURL: appendString(group.resource.schemaURL),
            scopes: TableRange(start: firstScope, count: UInt32(group.scopeSpans.count))
        )
        tables.resources.append(resource)
        for scopeSpans in group.scopeSpans {
            let scopeIndex = UInt32(tables.scopes.count)
            let scope = scopeSpans.scope
            let row = ScopeRow(
                resourceIndex: UInt32(resourceIndex),
                name: appendString(scope.name),
                version: appendString(scope.version),
                attributes: appendAttributes(scope.attributes, to: \.scopeAttributes),
                droppedAttributesCount: scope.droppedAttributesCount,
                schemaURL: appendString(scope.schemaURL),
                spans: TableRange(start: UInt32(tables.spans.count), count: UInt32(scopeSpans.spans.count))
            )
            tables.scopes.append(row)
            for span in scopeSpans.spans { appendSpan(span, scopeIndex: scopeIndex) }
        }
    }

    /// Appends a single span under its own resource and scope groups, merging with the
    /// last group when the resource and scope are equal to it.
    public mutating func append(_ span: SpanRecord, resource: Resource, scope: InstrumentationScope) {
        if let lastScope = tables.scopes.indices.last,
           tables.scopes[lastScope].spans.indices.upperBound == tables.spans.count,
           tables.scope(at: lastScope) == scope,
           tables.resource(at: Int(tables.scopes[lastScope].resourceIndex)) == resource
        {
            appendSpan(span, scopeIndex: UInt32(lastScope))
            tables.scopes[lastScope].spans.count += 1
            return
        }
        append(ResourceSpans(resource: resource, scopeSpans: [ScopeSpans(scope: scope, spans: [span])]))
    }

    public func build() -> SpanBatch { SpanBatch(tables: tables) }

    private mutating func appendSpan(_ span: SpanRecord, scopeIndex: UInt32) {
        var row = SpanRow(scopeIndex: scopeIndex)
        row.traceID = span.traceID
        row.spanID = span.spanID
        row.parentSpanID = span.parentSpanID
        row.traceState = appendString(span.traceState)
        row.flags = span.flags
        row.name = appendString(span.name)
        row.kind = span.kind
        row.startTimeUnixNano = span.startTimeUnixNano
        row.endTimeUnixNano = span.endTimeUnixNano
        row.attributes = appendAttributes(span.attributes, to: \.spanAttributes)
        row.droppedAttributesCount = span.droppedAttributesCount
        let firstEvent = UInt32(tables.events.count)
        for event in span.events {
            let eventRow = EventRow(
                timeUnixNano: event.timeUnixNano,
                name: appendString(event.name),
                attributes: appendAttributes(event.attributes, to: \.eventAttributes),
                droppedAttributesCount: event.droppedAttributesCount
            )
            tables.events.append(eventRow)
        }
        row.events = TableRange(start: firstEvent, count: UInt32(span.events.count))
        row.droppedEventsCount = span.droppedEventsCount
        let firstLink = UInt32(tables.links.count)
        for link in span.links {
            let linkRow = LinkRow(
                traceID: link.traceID,
                spanID: link.spanID,
                traceState: appendString(link.traceState),
                attributes: appendAttributes(link.attributes, to: \.linkAttributes),
                droppedAttributesCount: link.droppedAttributesCount,
                flags: link.flags
            )
            tables.links.append(linkRow)
        }
        row.links = TableRange(start: firstLink, count: UInt32(span.links.count))
        row.droppedLinksCount = span.droppedLinksCount
        row.statusCode = span.status.code
        row.statusMessage = appendString(span.status.message)
        tables.spans.append(row)
    }

    /// Copies UTF-8 bytes into the arena.
    public mutating func appendString(_ string: String) -> ByteRef {
        var string = string
        return string.withUTF8 { appendBytes(UnsafeRawBufferPointer($0)) }
    }

    /// Copies bytes into the arena.
    public mutating func appendBytes(_ bytes: UnsafeRawBufferPointer) -> ByteRef {
        if bytes.isEmpty { return .empty }
        let offset = UInt32(tables.arena.count)
        tables.arena.append(contentsOf: bytes)
        return ByteRef(offset: offset, count: UInt32(bytes.count))
    }

    private mutating func appendAttributes(
        _ attributes: [Attribute],
        to table: WritableKeyPath<SpanTables, [AttributeSlot]>
    ) -> TableRange {
        // Values are built first: nested children go to the nested tables, so this
        // list's own rows stay contiguous.
        let slots = attributes.map { AttributeSlot(key: appendString($0.key), value: appendValue($0.value)) }
        let start = UInt32(tables[keyPath: table].count)
        tables[keyPath: table].append(contentsOf: slots)
        return TableRange(start: start, count: UInt32(slots.count))
    }

    private mutating func appendValue(_ value: AttributeValue) -> ValueSlot {
        switch value {
        case .empty: return .empty
        case .string(let string): return .string(appendString(string))
        case .bool(let bool): return .bool(bool)
        case .int(let int): return .int(int)
        case .double(let double): return .double(double)
        case .bytes(let bytes): return .bytes(bytes.withUnsafeBytes { appendBytes($0) })
        case .array(let elements):
            let slots = elements.map { appendValue($0) }
            let start = UInt32(tables.nestedValues.count)
            tables.nestedValues.append(contentsOf: slots)
            return .array(TableRange(start: start, count: UInt32(slots.count)))
        case .keyValueList(let entries):
            return .keyValueList(appendAttributes(entries, to: \.nestedAttributes))
        }
    }
}
