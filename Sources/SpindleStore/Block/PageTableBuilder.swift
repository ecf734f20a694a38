import SpindleModel

/// The ``SpanTables`` a page decodes into, written straight from the page's streams: no
/// `String`, `Attribute` or `SpanRecord` is built on the way (a full scan's hot path).
///
/// What it yields equals what building each row as a ``SpanRecord`` and appending it
/// with ``SpanBatchBuilder`` yields: one resource with one scope per group of the page
/// that has decoded spans, in group table order, each holding its spans in page order.
/// Strings hold the bytes `String(decoding:as: UTF8.self)` gives for the page's string
/// (invalid UTF-8 replaced by U+FFFD), so every string ``ByteRef`` is valid UTF-8.
///
/// String indexes handed to it must have been checked against the page's string count
/// (``PageCodec/stringIndex(_:_:)``): the decoder checks every index it reads.
struct PageTableBuilder {
    private(set) var tables = SpanTables()
    let strings: PageStrings
    /// Per string of the page, its bytes in the arena once a decoded row used it
    /// (``unset`` before): each distinct string is copied once per page, however many
    /// rows name it. Empty until the first decoded trace, so a page that is only
    /// skimmed allocates nothing.
    private var stringRefs: [ByteRef] = []
    private static let unset = ByteRef(offset: .max, count: .max)
    /// The group table stream, and where each of its groups starts in it: a group's
    /// resource and scope are decoded only when one of its spans was.
    private let groupTable: ByteReader
    private let groupOffsets: [Int]
    /// Decoded spans in page order and the group of each; ``finish()`` lays them out by
    /// group, so a scope's spans are contiguous as ``SpanTables`` requires.
    private var pageSpans: [SpanRow] = []
    private var groupOfSpan: [Int] = []
    /// Scratch, reused: per row of the trace being decoded, the row of its parent in
    /// the trace, or -1.
    private var parentRows: [Int] = []
    /// Scratch stacks for the elements of arrays and key-value lists being read: an
    /// element may itself hold a list, whose rows go to the same nested table, so a
    /// list's own rows are gathered here and appended together, contiguous.
    private var pendingValues: [ValueSlot] = []
    private var pendingAttributes: [AttributeSlot] = []

    init(strings: PageStrings, groupTable: ByteReader, groupOffsets: [Int]) {
        self.strings = strings
        self.groupTable = groupTable
        self.groupOffsets = groupOffsets
    }

    // MARK: Strings and values

    /// Copies `bytes` into the arena. Throws when the arena would pass the 4 GiB a
    /// ``ByteRef`` addresses (a page of more than a gigabyte of distinct strings).
    private mutating func append<Bytes: Collection<UInt8>>(_ bytes: Bytes, at reader: ByteReader) throws(FormatError) -> ByteRef {
        let count = bytes.count
        if count == 0 { return .empty }
        let offset = tables.arena.count
        guard offset <= Int(UInt32.max) - count else { throw reader.error("the page's strings and bytes pass the 4 GiB a batch holds") }
        tables.arena.append(contentsOf: bytes)
        return ByteRef(offset: UInt32(truncatingIfNeeded: offset), count: UInt32(truncatingIfNeeded: count))
    }

    /// The arena bytes of string `id` (checked by the caller), copied on first use.
    mutating func string(_ id: UInt32, at reader: ByteReader) throws(FormatError) -> ByteRef {
        let index = Int(id)
        if stringRefs.isEmpty { stringRefs = [ByteRef](repeating: Self.unset, count: strings.count) }
        let cached = stringRefs[index]
        if cached != Self.unset { return cached }
        let raw = strings.bytes[strings.ranges[index]]
        let ref: ByteRef
        if raw.allSatisfy({ $0 < 0x80 }) {
            ref = try append(raw, at: reader)
        } else {
            // Not ASCII: the bytes a String gives back, as the decoder always kept them
            // (invalid sequences become U+FFFD).
            ref = try append(String(decoding: raw, as: UTF8.self).utf8, at: reader)
        }
        stringRefs[index] = ref
        return ref
    }

    /// Reads a string index from `reader`, checked, and the string's arena bytes.
    mutating func string(_ reader: inout ByteReader) throws(FormatError) -> ByteRef {
        let id = try PageCodec.stringIndex(&reader, strings.count)
        return try string(id, at: reader)
    }

    /// Reads a tagged value as ``PageCodec/value(_:dictionary:depth:)`` does (same checks,
    /// same order, same errors); nested elements go to the nested tables.
    mutating func value(_ reader: inout ByteReader, depth: Int) throws(FormatError) -> ValueSlot {
        guard depth < PageCodec.maxDepth else { throw reader.error("attribute values nested deeper than \(PageCodec.maxDepth)") }
        let tagOffset = reader.offset
        guard let tag = PageCodec.ValueTag(rawValue: try reader.u8()) else {
            throw FormatError(message: "unknown attribute value tag", offset: tagOffset)
        }
        switch tag {
        case .empty: return .empty
        case .string: return .string(try string(&reader))
        case .false: return .bool(false)
        case .true: return .bool(true)
        case .int: return .int(try reader.zigzag())
        // The bits as stored: NaN payloads and -0.0 kept exactly.
        case .double: return ValueSlot(kind: .double, payload: try reader.u64())
        case .bytes:
            let bytes = try reader.lengthPrefixed()
            return .bytes(try append(bytes, at: reader))
        case .array:
            let count = try reader.count(atMost: reader.remaining, "an array's length")
            let base = pendingValues.count
            for _ in 0..<count {
                let element = try value(&reader, depth: depth + 1)
                pendingValues.append(element)
            }
            let start = tables.nestedValues.count
            tables.nestedValues.append(contentsOf: pendingValues[base...])
            pendingValues.removeSubrange(base...)
            return .array(TableRange(start: UInt32(truncatingIfNeeded: start), count: UInt32(truncatingIfNeeded: count)))
        case .keyValueList:
            let count = try reader.count(atMost: reader.remaining, "a list's length")
            let base = pendingAttributes.count
            for _ in 0..<count {
                let key = try string(&reader)
                let entry = try value(&reader, depth: depth + 1)
                pendingAttributes.append(AttributeSlot(key: key, value: entry))
            }
            let start = tables.nestedAttributes.count
            tables.nestedAttributes.append(contentsOf: pendingAttributes[base...])
            pendingAttributes.removeSubrange(base...)
            return .keyValueList(TableRange(start: UInt32(truncatingIfNeeded: start), count: UInt32(truncatingIfNeeded: count)))
        }
    }

    /// Which table an attribute list goes to.
    enum AttributeTable {
        case resource, scope, span, event, link
    }

    private func rowCount(of table: AttributeTable) -> Int {
        switch table {
        case .resource: tables.resourceAttributes.count
        case .scope: tables.scopeAttributes.count
        case .span: tables.spanAttributes.count
        case .event: tables.eventAttributes.count
        case .link: tables.linkAttributes.count
        }
    }

    private mutating func append(_ slot: AttributeSlot, to table: AttributeTable) {
        switch table {
        case .resource: tables.resourceAttributes.append(slot)
        case .scope: tables.scopeAttributes.append(slot)
        case .span: tables.spanAttributes.append(slot)
        case .event: tables.eventAttributes.append(slot)
        case .link: tables.linkAttributes.append(slot)
        }
    }

    /// One attribute list of a row: its count from `attributeCounts`, keys and values
    /// from their streams (the reads and checks of the decoder's attribute lists). A
    /// list's values only add rows to the nested tables, so its own rows are contiguous.
    mutating func attributes(_ streams: inout RowStreams, to table: AttributeTable) throws(FormatError) -> TableRange {
        let count = try streams.attributeCounts.count(atMost: streams.attributeKeys.remaining, "an attribute count")
        let start = rowCount(of: table)
        for _ in 0..<count {
            let key = try string(&streams.attributeKeys)
            append(AttributeSlot(key: key, value: try value(&streams.attributeValues, depth: 0)), to: table)
        }
        return TableRange(start: UInt32(truncatingIfNeeded: start), count: UInt32(truncatingIfNeeded: count))
    }

    /// An attribute list of the group table: its count, then keys and values in turn.
    private mutating func inlineAttributes(_ reader: inout ByteReader, to table: AttributeTable) throws(FormatError) -> TableRange {
        let count = try reader.count(atMost: reader.remaining, "an attribute count")
        let start = rowCount(of: table)
        for _ in 0..<count {
            let key = try string(&reader)
            append(AttributeSlot(key: key, value: try value(&reader, depth: 0)), to: table)
        }
        return TableRange(start: UInt32(truncatingIfNeeded: start), count: UInt32(truncatingIfNeeded: count))
    }

    // MARK: Rows

    /// Decodes the `count` rows of a trace whose header was just read, checking each as
    /// ``RowStreams/skimRest()`` does, in the same order.
    mutating func decodeTrace(_ traceID: TraceID, count: Int, _ streams: inout RowStreams, previousTraceStart: inout UInt64) throws(FormatError) {
        let base = pageSpans.count
        parentRows.removeAll(keepingCapacity: true)
        var traceStart: UInt64 = 0
        for row in 0..<count {
            let head = try streams.head(row, of: count, traceStart: &traceStart, previousTraceStart: &previousTraceStart)
            var span = SpanRow(scopeIndex: 0)
            span.traceID = traceID
            span.spanID = head.spanID
            span.parentSpanID = head.parentID
            span.kind = SpanKind(rawValue: head.kind)
            span.startTimeUnixNano = head.start
            span.endTimeUnixNano = head.end
            span.statusCode = StatusCode(rawValue: head.status)
            span.name = try string(head.name, at: streams.names)
            span.statusMessage = try string(head.statusMessage, at: streams.status)
            span.traceState = try string(&streams.misc)
            span.flags = try streams.misc.u32Varint("span flags")
            span.droppedAttributesCount = try streams.misc.u32Varint("dropped attributes")
            span.droppedEventsCount = try streams.misc.u32Varint("dropped events")
            span.droppedLinksCount = try streams.misc.u32Varint("dropped links")
            span.attributes = try attributes(&streams, to: .span)
            let eventCount = try streams.events.count(atMost: streams.events.remaining, "an event count")
            let firstEvent = tables.events.count
            for _ in 0..<eventCount {
                var event = EventRow(timeUnixNano: head.start &+ UInt64(bitPattern: try streams.events.zigzag()))
                event.name = try string(&streams.events)
                event.droppedAttributesCount = try streams.events.u32Varint("dropped event attributes")
                event.attributes = try attributes(&streams, to: .event)
                tables.events.append(event)
            }
            span.events = TableRange(start: UInt32(truncatingIfNeeded: firstEvent), count: UInt32(truncatingIfNeeded: eventCount))
            let linkCount = try streams.links.count(atMost: streams.links.remaining, "a link count")
            let firstLink = tables.links.count
            for _ in 0..<linkCount {
                var link = LinkRow(traceID: try streams.links.traceID())
                link.spanID = try streams.links.spanID()
                link.traceState = try string(&streams.links)
                link.flags = try streams.links.u32Varint("link flags")
                link.droppedAttributesCount = try streams.links.u32Varint("dropped link attributes")
                link.attributes = try attributes(&streams, to: .link)
                tables.links.append(link)
            }
            span.links = TableRange(start: UInt32(truncatingIfNeeded: firstLink), count: UInt32(truncatingIfNeeded: linkCount))
            pageSpans.append(span)
            groupOfSpan.append(head.group)
            parentRows.append(head.parentRow ?? -1)
        }
        // A parent may be a later row (a child that started before its parent): known
        // only now that the whole trace is read.
        for row in 0..<count where parentRows[row] >= 0 {
            pageSpans[base + row].parentSpanID = pageSpans[base + parentRows[row]].spanID
        }
    }

    // MARK: Groups

    /// Decodes group `group`'s resource and scope from the group table (read and
    /// checked as ``PageCodec/skimGroupTable(_:_:)`` did when the decoder was made).
    private mutating func decodeGroup(_ group: Int, scopeIndex: Int, spans: TableRange) throws(FormatError) {
        var reader = ByteReader(groupTable.bytes, offset: groupOffsets[group], end: groupTable.end)
        var resource = ResourceRow(scopes: TableRange(start: UInt32(truncatingIfNeeded: scopeIndex), count: 1))
        resource.attributes = try inlineAttributes(&reader, to: .resource)
        resource.droppedAttributesCount = try reader.u32Varint("dropped resource attributes")
        resource.schemaURL = try string(&reader)
        var scope = ScopeRow(resourceIndex: UInt32(truncatingIfNeeded: scopeIndex), spans: spans)
        scope.name = try string(&reader)
        scope.version = try string(&reader)
        scope.attributes = try inlineAttributes(&reader, to: .scope)
        scope.droppedAttributesCount = try reader.u32Varint("dropped scope attributes")
        scope.schemaURL = try string(&reader)
        tables.resources.append(resource)
        tables.scopes.append(scope)
    }

    /// The batch of every trace decoded: per group with decoded spans, in group table
    /// order, one resource holding one scope holding its spans in page order.
    mutating func finish() throws(FormatError) -> SpanBatch {
        if pageSpans.isEmpty { return SpanBatch() }
        var spansOfGroup = [Int](repeating: 0, count: groupOffsets.count)
        for group in groupOfSpan { spansOfGroup[group] += 1 }
        // Where each group's spans start, and the scope they go under.
        var next = [Int](repeating: 0, count: groupOffsets.count)
        var scopeOfGroup = [Int](repeating: 0, count: groupOffsets.count)
        var start = 0
        for group in spansOfGroup.indices where spansOfGroup[group] > 0 {
            next[group] = start
            scopeOfGroup[group] = tables.scopes.count
            try decodeGroup(group, scopeIndex: tables.scopes.count, spans: TableRange(start: UInt32(truncatingIfNeeded: start), count: UInt32(truncatingIfNeeded: spansOfGroup[group])))
            start += spansOfGroup[group]
        }
        if tables.scopes.count == 1 {
            // One group (the common page): the spans are in place already.
            for index in pageSpans.indices { pageSpans[index].scopeIndex = 0 }
            tables.spans = pageSpans
        } else {
            var spans = [SpanRow](repeating: SpanRow(scopeIndex: 0), count: pageSpans.count)
            for (index, group) in groupOfSpan.enumerated() {
                var span = pageSpans[index]
                span.scopeIndex = UInt32(truncatingIfNeeded: scopeOfGroup[group])
                spans[next[group]] = span
                next[group] += 1
            }
            tables.spans = spans
        }
        pageSpans = []
        return SpanBatch(tables: tables)
    }
}
