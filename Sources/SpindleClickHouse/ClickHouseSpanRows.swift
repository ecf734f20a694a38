import SpindleModel

/// The `spans` table's rows in ClickHouse's RowBinary format, built straight from a
/// batch's flat tables (`docs/format/clickhouse.md` gives the columns and value encoding).
enum ClickHouseSpanRows {
    /// The columns every insert names, in RowBinary order.
    static let columns = [
        "trace_id", "span_id", "parent_span_id", "trace_state", "flags", "name", "kind", "service_name",
        "start_unix_nano", "end_unix_nano", "duration_nano", "status_code", "status_message",
        "attribute_keys", "attribute_types", "attribute_values", "dropped_attributes_count",
        "event_times", "event_names", "event_attribute_keys", "event_attribute_types", "event_attribute_values",
        "event_dropped_attributes_counts", "dropped_events_count",
        "link_trace_ids", "link_span_ids", "link_trace_states", "link_flags",
        "link_attribute_keys", "link_attribute_types", "link_attribute_values", "link_dropped_attributes_counts",
        "dropped_links_count",
        "resource_attribute_keys", "resource_attribute_types", "resource_attribute_values",
        "resource_dropped_attributes_count", "resource_schema_url",
        "scope_name", "scope_version", "scope_attribute_keys", "scope_attribute_types", "scope_attribute_values",
        "scope_dropped_attributes_count", "scope_schema_url",
    ]

    /// Every span of `tables` as one RowBinary row each.
    ///
    /// Hot path: strings are copied from the arena into the output with no `String` in
    /// between; only double and nested (array, key-value list) attribute values are
    /// formatted through a scratch buffer.
    static func rowBinary(_ tables: SpanTables) -> [UInt8] {
        rowBinary(tables, spans: tables.spans.indices)
    }

    /// The spans at `indices` of `tables`, in that order, as one RowBinary row each.
    static func rowBinary(_ tables: SpanTables, spans indices: some Collection<Int>) -> [UInt8] {
        var writer = RowBinaryWriter(tables: tables)
        writer.output.reserveCapacity((indices.count == tables.spans.count ? tables.arena.count : 0) + indices.count * 256)
        // The service name of each resource, found once: the first `service.name`, when
        // it is a string (as the native and memory stores read it); "" otherwise.
        let serviceNames: [ByteRef] = tables.resources.map { resource in
            for index in resource.attributes.indices {
                let slot = tables.resourceAttributes[index]
                if tables.equals(slot.key, "service.name") { return slot.value.kind == .string ? slot.value.byteRef : .empty }
            }
            return .empty
        }
        for spanIndex in indices {
            let span = tables.spans[spanIndex]
            let scope = tables.scopes[Int(span.scopeIndex)]
            let resource = tables.resources[Int(scope.resourceIndex)]
            writer.traceID(span.traceID)
            writer.spanID(span.spanID)
            writer.spanID(span.parentSpanID)
            writer.string(span.traceState)
            writer.uint32(span.flags)
            writer.string(span.name)
            writer.int32(span.kind.rawValue)
            writer.string(serviceNames[Int(scope.resourceIndex)])
            writer.uint64(span.startTimeUnixNano)
            writer.uint64(span.endTimeUnixNano)
            writer.uint64(span.endTimeUnixNano >= span.startTimeUnixNano ? span.endTimeUnixNano - span.startTimeUnixNano : 0)
            writer.int32(span.statusCode.rawValue)
            writer.string(span.statusMessage)
            writer.attributes(span.attributes, in: tables.spanAttributes)
            writer.uint32(span.droppedAttributesCount)

            let events = span.events.indices
            writer.count(events.count)
            for index in events { writer.uint64(tables.events[index].timeUnixNano) }
            writer.count(events.count)
            for index in events { writer.string(tables.events[index].name) }
            writer.nestedAttributes(events.map { tables.events[$0].attributes }, in: tables.eventAttributes)
            writer.count(events.count)
            for index in events { writer.uint32(tables.events[index].droppedAttributesCount) }
            writer.uint32(span.droppedEventsCount)

            let links = span.links.indices
            writer.count(links.count)
            for index in links { writer.traceID(tables.links[index].traceID) }
            writer.count(links.count)
            for index in links { writer.spanID(tables.links[index].spanID) }
            writer.count(links.count)
            for index in links { writer.string(tables.links[index].traceState) }
            writer.count(links.count)
            for index in links { writer.uint32(tables.links[index].flags) }
            writer.nestedAttributes(links.map { tables.links[$0].attributes }, in: tables.linkAttributes)
            writer.count(links.count)
            for index in links { writer.uint32(tables.links[index].droppedAttributesCount) }
            writer.uint32(span.droppedLinksCount)

            writer.attributes(resource.attributes, in: tables.resourceAttributes)
            writer.uint32(resource.droppedAttributesCount)
            writer.string(resource.schemaURL)

            writer.string(scope.name)
            writer.string(scope.version)
            writer.attributes(scope.attributes, in: tables.scopeAttributes)
            writer.uint32(scope.droppedAttributesCount)
            writer.string(scope.schemaURL)
        }
        return writer.output
    }
}

/// Appends RowBinary values: little-endian integers, LEB128-length-prefixed strings,
/// raw bytes for `FixedString`, LEB128 counts before array elements.
struct RowBinaryWriter {
    let tables: SpanTables
    var output: [UInt8] = []
    /// Reused for values formatted as text (doubles, nested values).
    private var scratch: [UInt8] = []

    init(tables: SpanTables) { self.tables = tables }

    mutating func uint32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { output.append(contentsOf: $0) } }
    mutating func int32(_ value: Int32) { withUnsafeBytes(of: value.littleEndian) { output.append(contentsOf: $0) } }
    mutating func uint64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { output.append(contentsOf: $0) } }
    mutating func uint8(_ value: UInt8) { output.append(value) }

    /// A LEB128 length or count.
    mutating func count(_ value: Int) {
        var value = UInt64(value)
        while value >= 0x80 {
            output.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        output.append(UInt8(value))
    }

    /// `FixedString(16)`: the trace ID's 16 bytes, big-endian as on the wire.
    mutating func traceID(_ id: TraceID) {
        withUnsafeBytes(of: id.high.bigEndian) { output.append(contentsOf: $0) }
        withUnsafeBytes(of: id.low.bigEndian) { output.append(contentsOf: $0) }
    }

    /// `FixedString(8)`: the span ID's 8 bytes, big-endian.
    mutating func spanID(_ id: SpanID) { withUnsafeBytes(of: id.value.bigEndian) { output.append(contentsOf: $0) } }

    /// A `String` from the arena.
    mutating func string(_ ref: ByteRef) {
        count(Int(ref.count))
        output.append(contentsOf: tables.arena[ref.range])
    }

    /// A `String` from bytes.
    mutating func string(bytes: [UInt8]) {
        count(bytes.count)
        output.append(contentsOf: bytes)
    }

    /// The three parallel arrays of an attribute list: keys, type tags, value texts.
    mutating func attributes(_ range: TableRange, in table: [AttributeSlot]) {
        let indices = range.indices
        count(indices.count)
        for index in indices { string(table[index].key) }
        count(indices.count)
        for index in indices { uint8(table[index].value.kind.rawValue) }
        count(indices.count)
        for index in indices { valueText(table[index].value) }
    }

    /// `Array(Array(...))` keys, types and values of several attribute lists.
    mutating func nestedAttributes(_ ranges: [TableRange], in table: [AttributeSlot]) {
        count(ranges.count)
        for range in ranges {
            count(range.indices.count)
            for index in range.indices { string(table[index].key) }
        }
        count(ranges.count)
        for range in ranges {
            count(range.indices.count)
            for index in range.indices { uint8(table[index].value.kind.rawValue) }
        }
        count(ranges.count)
        for range in ranges {
            count(range.indices.count)
            for index in range.indices { valueText(table[index].value) }
        }
    }

    /// A value's text as a `String` (see ``ClickHouseValueText``).
    mutating func valueText(_ slot: ValueSlot) {
        switch slot.kind {
        case .string:
            string(slot.byteRef)
        case .empty:
            count(0)
        default:
            scratch.removeAll(keepingCapacity: true)
            ClickHouseValueText.append(slot, tables: tables, to: &scratch)
            string(bytes: scratch)
        }
    }
}
