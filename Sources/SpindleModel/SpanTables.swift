/// The flat tables behind a ``SpanBatch``.
///
/// Invariants (kept by every producer in Spindle, checked by ``validate()``):
/// - every ``ByteRef`` lies inside ``arena``; every string ``ByteRef`` is valid UTF-8;
/// - every ``TableRange`` lies inside the table its field names;
/// - the scopes of a resource, and the spans of a scope, are contiguous and in order:
///   resource *r*'s scopes and scope *s*'s spans start where the previous ones ended;
/// - `spans[i].scopeIndex` is the scope whose range holds *i*, and
///   `scopes[s].resourceIndex` the resource whose range holds *s*.
public struct SpanTables: Sendable {
    /// The bytes of every string and bytes value.
    public var arena: [UInt8]
    public var resources: [ResourceRow]
    public var scopes: [ScopeRow]
    public var spans: [SpanRow]
    public var events: [EventRow]
    public var links: [LinkRow]
    public var resourceAttributes: [AttributeSlot]
    public var scopeAttributes: [AttributeSlot]
    public var spanAttributes: [AttributeSlot]
    public var eventAttributes: [AttributeSlot]
    public var linkAttributes: [AttributeSlot]
    /// Elements of array values, at any depth.
    public var nestedValues: [ValueSlot]
    /// Entries of key-value-list values, at any depth.
    public var nestedAttributes: [AttributeSlot]

    public init(arena: [UInt8] = []) {
        self.arena = arena
        resources = []
        scopes = []
        spans = []
        events = []
        links = []
        resourceAttributes = []
        scopeAttributes = []
        spanAttributes = []
        eventAttributes = []
        linkAttributes = []
        nestedValues = []
        nestedAttributes = []
    }

    // MARK: Reading values

    /// The string at `ref` (the arena holds valid UTF-8 there).
    @inlinable
    public func string(_ ref: ByteRef) -> String {
        if ref.count == 0 { return "" }
        return arena.withUnsafeBufferPointer { buffer in
            String(decoding: UnsafeBufferPointer(rebasing: buffer[ref.range]), as: UTF8.self)
        }
    }

    /// The bytes at `ref`.
    @inlinable
    public func bytes(_ ref: ByteRef) -> [UInt8] { Array(arena[ref.range]) }

    /// Calls `body` with the arena bytes at `ref`, without copying.
    @inlinable
    public func withBytes<R>(_ ref: ByteRef, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try arena.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[ref.range])) }
    }

    /// True when the arena bytes at `ref` equal `string`'s UTF-8, without creating a String.
    public func equals(_ ref: ByteRef, _ string: String) -> Bool {
        var string = string
        return string.withUTF8 { utf8 in
            guard utf8.count == Int(ref.count) else { return false }
            return withBytes(ref) { $0.elementsEqual(UnsafeRawBufferPointer(utf8)) }
        }
    }

    /// The plain value of a slot, nested values included.
    public func value(_ slot: ValueSlot) -> AttributeValue {
        switch slot.kind {
        case .empty: .empty
        case .string: .string(string(slot.byteRef))
        case .bool: .bool(slot.boolValue)
        case .int: .int(slot.intValue)
        case .double: .double(slot.doubleValue)
        case .bytes: .bytes(bytes(slot.byteRef))
        case .array: .array(slot.tableRange.indices.map { value(nestedValues[$0]) })
        case .keyValueList: .keyValueList(attributes(slot.tableRange, in: nestedAttributes))
        }
    }

    /// The plain attributes at `range` of `table`.
    public func attributes(_ range: TableRange, in table: [AttributeSlot]) -> [Attribute] {
        range.indices.map { Attribute(string(table[$0].key), value(table[$0].value)) }
    }

    // MARK: Plain records

    public func resource(at index: Int) -> Resource {
        let row = resources[index]
        return Resource(
            attributes: attributes(row.attributes, in: resourceAttributes),
            droppedAttributesCount: row.droppedAttributesCount,
            schemaURL: string(row.schemaURL)
        )
    }

    public func scope(at index: Int) -> InstrumentationScope {
        let row = scopes[index]
        return InstrumentationScope(
            name: string(row.name),
            version: string(row.version),
            attributes: attributes(row.attributes, in: scopeAttributes),
            droppedAttributesCount: row.droppedAttributesCount,
            schemaURL: string(row.schemaURL)
        )
    }

    public func spanRecord(at index: Int) -> SpanRecord {
        let row = spans[index]
        return SpanRecord(
            traceID: row.traceID,
            spanID: row.spanID,
            parentSpanID: row.parentSpanID,
            traceState: string(row.traceState),
            flags: row.flags,
            name: string(row.name),
            kind: row.kind,
            startTimeUnixNano: row.startTimeUnixNano,
            endTimeUnixNano: row.endTimeUnixNano,
            attributes: attributes(row.attributes, in: spanAttributes),
            droppedAttributesCount: row.droppedAttributesCount,
            events: row.events.indices.map { eventIndex in
                let event = events[eventIndex]
                return SpanEvent(
                    timeUnixNano: event.timeUnixNano,
                    name: string(event.name),
                    attributes: attributes(event.attributes, in: eventAttributes),
                    droppedAttributesCount: event.droppedAttributesCount
                )
            },
            droppedEventsCount: row.droppedEventsCount,
            links: row.links.indices.map { linkIndex in
                let link = links[linkIndex]
                return SpanLink(
                    traceID: link.traceID,
                    spanID: link.spanID,
                    traceState: string(link.traceState),
                    attributes: attributes(link.attributes, in: linkAttributes),
                    droppedAttributesCount: link.droppedAttributesCount,
                    flags: link.flags
                )
            },
            droppedLinksCount: row.droppedLinksCount,
            status: SpanStatus(code: row.statusCode, message: string(row.statusMessage))
        )
    }
}
