import SpindleModel
import SpindleStorage

/// Reads ClickHouse's RowBinary answers: little-endian integers, LEB128-length-prefixed
/// strings, raw `FixedString` bytes, LEB128 counts before array elements.
///
/// Total: every read is bounds-checked and throws ``StorageError`` `.corrupt` naming
/// what it was reading and the byte offset; a count or length larger than the bytes left
/// is refused before anything is allocated.
struct RowBinaryReader {
    let bytes: [UInt8]
    private(set) var offset = 0
    /// What the answer is, for error messages ("spans of trace …").
    let what: String

    init(_ bytes: [UInt8], what: String) {
        self.bytes = bytes
        self.what = what
    }

    var isAtEnd: Bool { offset >= bytes.count }

    func failure(_ field: String, _ problem: String) -> StorageError {
        StorageError(.corrupt, "ClickHouse answered \(what) that Spindle cannot read: \(field) at byte \(offset): \(problem)")
    }

    private mutating func take(_ count: Int, _ field: String) throws(StorageError) -> Range<Int> {
        guard count >= 0, bytes.count - offset >= count else {
            throw failure(field, "needs \(count) bytes, \(bytes.count - offset) left")
        }
        defer { offset += count }
        return offset..<(offset + count)
    }

    mutating func uint8(_ field: String) throws(StorageError) -> UInt8 {
        bytes[try take(1, field).lowerBound]
    }

    mutating func uint32(_ field: String) throws(StorageError) -> UInt32 {
        let range = try take(4, field)
        var value: UInt32 = 0
        for index in range.reversed() { value = value << 8 | UInt32(bytes[index]) }
        return value
    }

    mutating func int32(_ field: String) throws(StorageError) -> Int32 {
        Int32(bitPattern: try uint32(field))
    }

    mutating func uint64(_ field: String) throws(StorageError) -> UInt64 {
        let range = try take(8, field)
        var value: UInt64 = 0
        for index in range.reversed() { value = value << 8 | UInt64(bytes[index]) }
        return value
    }

    /// A LEB128 length or count, at most the bytes left times `perElement` allows.
    mutating func count(_ field: String, minimumElementSize: Int = 1) throws(StorageError) -> Int {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try uint8(field)
            guard shift < 64 else { throw failure(field, "a LEB128 number longer than 64 bits") }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { break }
            shift += 7
        }
        let left = UInt64(bytes.count - offset)
        guard value <= left / UInt64(max(1, minimumElementSize)) else {
            throw failure(field, "a count of \(value) with \(left) bytes left")
        }
        return Int(value)
    }

    /// A `String` column's bytes.
    mutating func stringBytes(_ field: String) throws(StorageError) -> ArraySlice<UInt8> {
        let length = try count(field)
        return bytes[try take(length, field)]
    }

    /// A `String` column as text (ClickHouse strings are bytes; Spindle writes UTF-8, and
    /// anything else is repaired with U+FFFD rather than trusted).
    mutating func string(_ field: String) throws(StorageError) -> String {
        String(decoding: try stringBytes(field), as: UTF8.self)
    }

    mutating func traceID(_ field: String) throws(StorageError) -> TraceID {
        let range = try take(16, field)
        return TraceID(bytes: bytes[range]) ?? .zero
    }

    mutating func spanID(_ field: String) throws(StorageError) -> SpanID {
        let range = try take(8, field)
        var value: UInt64 = 0
        for index in range { value = value << 8 | UInt64(bytes[index]) }
        return SpanID(value)
    }

    /// `Array(T)`.
    mutating func array<T>(_ field: String, minimumElementSize: Int = 1, _ element: (inout RowBinaryReader) throws(StorageError) -> T) throws(StorageError) -> [T] {
        let count = try count(field, minimumElementSize: minimumElementSize)
        var out: [T] = []
        out.reserveCapacity(count)
        for _ in 0..<count { out.append(try element(&self)) }
        return out
    }
}

/// Decodes `spans` rows, selected with ``ClickHouseSpanRows/columns`` in that order,
/// back into spans: the exact inverse of ``ClickHouseSpanRows/rowBinary(_:)``.
enum ClickHouseSpanRowReader {
    /// One decoded row.
    struct Row {
        var resource: Resource
        var scope: InstrumentationScope
        var span: SpanRecord
    }

    /// Every row of a RowBinary answer.
    static func rows(_ bytes: [UInt8], what: String) throws(StorageError) -> [Row] {
        var reader = RowBinaryReader(bytes, what: what)
        var rows: [Row] = []
        while !reader.isAtEnd {
            rows.append(try row(&reader))
        }
        return rows
    }

    /// Rows as one batch, each span under its own resource and scope (consecutive spans
    /// with equal resource and scope share the groups).
    static func batch(_ rows: [Row]) -> SpanBatch {
        var builder = SpanBatchBuilder(reservingSpans: rows.count)
        for row in rows { builder.append(row.span, resource: row.resource, scope: row.scope) }
        return builder.build()
    }

    static func row(_ reader: inout RowBinaryReader) throws(StorageError) -> Row {
        let traceID = try reader.traceID("trace_id")
        let spanID = try reader.spanID("span_id")
        let parentSpanID = try reader.spanID("parent_span_id")
        let traceState = try reader.string("trace_state")
        let flags = try reader.uint32("flags")
        let name = try reader.string("name")
        let kind = SpanKind(rawValue: try reader.int32("kind"))
        _ = try reader.stringBytes("service_name") // derived from the resource
        let start = try reader.uint64("start_unix_nano")
        let end = try reader.uint64("end_unix_nano")
        _ = try reader.uint64("duration_nano") // derived from start and end
        let statusCode = StatusCode(rawValue: try reader.int32("status_code"))
        let statusMessage = try reader.string("status_message")
        let attributes = try Self.attributes(&reader, "attribute")
        let droppedAttributes = try reader.uint32("dropped_attributes_count")

        let eventTimes = try reader.array("event_times", minimumElementSize: 8) { (r: inout RowBinaryReader) throws(StorageError) in try r.uint64("event_times") }
        let eventNames = try reader.array("event_names") { (r: inout RowBinaryReader) throws(StorageError) in try r.string("event_names") }
        let eventAttributes = try nestedAttributes(&reader, "event_attribute")
        let eventDropped = try reader.array("event_dropped_attributes_counts", minimumElementSize: 4) { (r: inout RowBinaryReader) throws(StorageError) in try r.uint32("event_dropped_attributes_counts") }
        let droppedEvents = try reader.uint32("dropped_events_count")
        let eventCount = eventTimes.count
        guard eventNames.count == eventCount, eventAttributes.count == eventCount, eventDropped.count == eventCount else {
            throw reader.failure("events", "the event arrays of span \(spanID) differ in length")
        }
        let events = (0..<eventCount).map {
            SpanEvent(timeUnixNano: eventTimes[$0], name: eventNames[$0], attributes: eventAttributes[$0], droppedAttributesCount: eventDropped[$0])
        }

        let linkTraces = try reader.array("link_trace_ids", minimumElementSize: 16) { (r: inout RowBinaryReader) throws(StorageError) in try r.traceID("link_trace_ids") }
        let linkSpans = try reader.array("link_span_ids", minimumElementSize: 8) { (r: inout RowBinaryReader) throws(StorageError) in try r.spanID("link_span_ids") }
        let linkStates = try reader.array("link_trace_states") { (r: inout RowBinaryReader) throws(StorageError) in try r.string("link_trace_states") }
        let linkFlags = try reader.array("link_flags", minimumElementSize: 4) { (r: inout RowBinaryReader) throws(StorageError) in try r.uint32("link_flags") }
        let linkAttributes = try nestedAttributes(&reader, "link_attribute")
        let linkDropped = try reader.array("link_dropped_attributes_counts", minimumElementSize: 4) { (r: inout RowBinaryReader) throws(StorageError) in try r.uint32("link_dropped_attributes_counts") }
        let droppedLinks = try reader.uint32("dropped_links_count")
        let linkCount = linkTraces.count
        guard linkSpans.count == linkCount, linkStates.count == linkCount, linkFlags.count == linkCount,
              linkAttributes.count == linkCount, linkDropped.count == linkCount
        else { throw reader.failure("links", "the link arrays of span \(spanID) differ in length") }
        let links = (0..<linkCount).map {
            SpanLink(
                traceID: linkTraces[$0], spanID: linkSpans[$0], traceState: linkStates[$0],
                attributes: linkAttributes[$0], droppedAttributesCount: linkDropped[$0], flags: linkFlags[$0]
            )
        }

        let resource = Resource(
            attributes: try Self.attributes(&reader, "resource_attribute"),
            droppedAttributesCount: try reader.uint32("resource_dropped_attributes_count"),
            schemaURL: try reader.string("resource_schema_url")
        )
        let scope = InstrumentationScope(
            name: try reader.string("scope_name"),
            version: try reader.string("scope_version"),
            attributes: try Self.attributes(&reader, "scope_attribute"),
            droppedAttributesCount: try reader.uint32("scope_dropped_attributes_count"),
            schemaURL: try reader.string("scope_schema_url")
        )
        let span = SpanRecord(
            traceID: traceID, spanID: spanID, parentSpanID: parentSpanID, traceState: traceState, flags: flags,
            name: name, kind: kind, startTimeUnixNano: start, endTimeUnixNano: end,
            attributes: attributes, droppedAttributesCount: droppedAttributes,
            events: events, droppedEventsCount: droppedEvents,
            links: links, droppedLinksCount: droppedLinks,
            status: SpanStatus(code: statusCode, message: statusMessage)
        )
        return Row(resource: resource, scope: scope, span: span)
    }

    /// The three parallel arrays `<prefix>_keys`, `_types`, `_values`.
    static func attributes(_ reader: inout RowBinaryReader, _ prefix: String) throws(StorageError) -> [Attribute] {
        let keys = try reader.array(prefix + "_keys") { (r: inout RowBinaryReader) throws(StorageError) in try r.string(prefix + "_keys") }
        let types = try reader.array(prefix + "_types") { (r: inout RowBinaryReader) throws(StorageError) in try r.uint8(prefix + "_types") }
        let texts = try reader.array(prefix + "_values") { (r: inout RowBinaryReader) throws(StorageError) in try r.string(prefix + "_values") }
        return try zipAttributes(keys, types, texts, prefix, reader)
    }

    /// `Array(Array(...))` keys, types and values: one attribute list per event or link.
    static func nestedAttributes(_ reader: inout RowBinaryReader, _ prefix: String) throws(StorageError) -> [[Attribute]] {
        let keys = try reader.array(prefix + "_keys") { (r: inout RowBinaryReader) throws(StorageError) in
            try r.array(prefix + "_keys") { (r: inout RowBinaryReader) throws(StorageError) in try r.string(prefix + "_keys") }
        }
        let types = try reader.array(prefix + "_types") { (r: inout RowBinaryReader) throws(StorageError) in
            try r.array(prefix + "_types") { (r: inout RowBinaryReader) throws(StorageError) in try r.uint8(prefix + "_types") }
        }
        let texts = try reader.array(prefix + "_values") { (r: inout RowBinaryReader) throws(StorageError) in
            try r.array(prefix + "_values") { (r: inout RowBinaryReader) throws(StorageError) in try r.string(prefix + "_values") }
        }
        guard keys.count == types.count, keys.count == texts.count else {
            throw reader.failure(prefix + "_keys", "the nested attribute arrays differ in length")
        }
        var out: [[Attribute]] = []
        out.reserveCapacity(keys.count)
        for index in keys.indices {
            out.append(try zipAttributes(keys[index], types[index], texts[index], prefix, reader))
        }
        return out
    }

    private static func zipAttributes(_ keys: [String], _ types: [UInt8], _ texts: [String], _ prefix: String, _ reader: RowBinaryReader) throws(StorageError) -> [Attribute] {
        guard keys.count == types.count, keys.count == texts.count else {
            throw reader.failure(prefix + "_keys", "\(keys.count) keys, \(types.count) types and \(texts.count) values")
        }
        var out: [Attribute] = []
        out.reserveCapacity(keys.count)
        for index in keys.indices {
            guard let value = ClickHouseValueText.value(type: types[index], text: texts[index]) else {
                throw reader.failure(prefix + "_values", "attribute '\(keys[index].prefix(100))' has type tag \(types[index]) and a text that does not read as one")
            }
            out.append(Attribute(keys[index], value))
        }
        return out
    }
}
