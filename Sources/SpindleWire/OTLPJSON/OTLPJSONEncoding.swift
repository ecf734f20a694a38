import SpindleModel

/// Batches to OTLP JSON: keys in proto field order, defaults left out (see ``OTLPJSON``
/// for the fields always written).
///
/// Hot path: reads the batch's tables directly; strings are escaped from the arena's
/// bytes, IDs and integers written as digits, so no String or plain record is created
/// per span.
enum OTLPJSONEncoding {
    static func request(_ batch: SpanBatch) -> [UInt8] {
        let tables = batch.tables
        // An upper bound for text with few escapes, so that the buffer rarely grows:
        // the arena's strings, a span's fixed members, and the keys and braces around
        // each attribute, event and link.
        let attributes = tables.resourceAttributes.count + tables.scopeAttributes.count + tables.spanAttributes.count
            + tables.eventAttributes.count + tables.linkAttributes.count + tables.nestedAttributes.count
        let estimate = tables.arena.count + tables.spans.count * 320 + attributes * 48 + tables.nestedValues.count * 32
            + tables.events.count * 64 + tables.links.count * 160 + (tables.resources.count + tables.scopes.count) * 64 + 64
        var writer = JSONOutput(capacity: min(estimate, JSONOutput.largestInitialCapacity))
        tables.arena.withUnsafeBytes { arena in
            let source = TableSource(tables: tables, arena: arena)
            writer.beginObject()
            if !tables.resources.isEmpty {
                writer.key("resourceSpans")
                writer.beginArray()
                for index in tables.resources.indices { source.resourceSpans(index, into: &writer) }
                writer.endArray()
            }
            writer.endObject()
        }
        return writer.finish()
    }

    static func response(_ response: ExportTraceResponse) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        if response.isPartialSuccess {
            writer.key("partialSuccess")
            writer.beginObject()
            if response.rejectedSpans != 0 {
                writer.key("rejectedSpans")
                writer.string(String(response.rejectedSpans))
            }
            if !response.errorMessage.isEmpty {
                writer.key("errorMessage")
                writer.string(response.errorMessage)
            }
            writer.endObject()
        }
        writer.endObject()
        return writer.bytes
    }
}

/// A batch's tables and its arena's bytes, written as OTLP JSON.
private struct TableSource {
    let tables: SpanTables
    let arena: UnsafeRawBufferPointer

    /// The arena bytes at `ref`; empty if `ref` lies outside the arena (tables that break
    /// their invariants), so that the encoder never reads out of bounds.
    @inline(__always)
    func bytes(_ ref: ByteRef) -> UnsafeRawBufferPointer {
        let start = Int(ref.offset), end = Int(ref.offset) + Int(ref.count)
        guard end <= arena.count else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(rebasing: arena[start..<end])
    }

    func resourceSpans(_ index: Int, into writer: inout JSONOutput) {
        let row = tables.resources[index]
        writer.beginObject()
        if row.attributes.count != 0 || row.droppedAttributesCount != 0 {
            writer.key("resource")
            writer.beginObject()
            memberAttributes(row.attributes, in: tables.resourceAttributes, into: &writer)
            count("droppedAttributesCount", row.droppedAttributesCount, into: &writer)
            writer.endObject()
        }
        if row.scopes.count != 0 {
            writer.key("scopeSpans")
            writer.beginArray()
            for scopeIndex in row.scopes.indices { scopeSpans(scopeIndex, into: &writer) }
            writer.endArray()
        }
        string("schemaUrl", row.schemaURL, into: &writer)
        writer.endObject()
    }

    func scopeSpans(_ index: Int, into writer: inout JSONOutput) {
        let row = tables.scopes[index]
        writer.beginObject()
        if row.name.count != 0 || row.version.count != 0 || row.attributes.count != 0 || row.droppedAttributesCount != 0 {
            writer.key("scope")
            writer.beginObject()
            string("name", row.name, into: &writer)
            string("version", row.version, into: &writer)
            memberAttributes(row.attributes, in: tables.scopeAttributes, into: &writer)
            count("droppedAttributesCount", row.droppedAttributesCount, into: &writer)
            writer.endObject()
        }
        if row.spans.count != 0 {
            writer.key("spans")
            writer.beginArray()
            for spanIndex in row.spans.indices { span(spanIndex, into: &writer) }
            writer.endArray()
        }
        string("schemaUrl", row.schemaURL, into: &writer)
        writer.endObject()
    }

    /// A span: written as fixed text around its values, since its first members are
    /// always there.
    func span(_ index: Int, into writer: inout JSONOutput) {
        let row = tables.spans[index]
        writer.beginRaw()
        writer.raw(#"{"traceId":""#)
        writer.rawHex(row.traceID)
        writer.raw(#"","spanId":""#)
        writer.rawHex(row.spanID.value)
        writer.raw(#"""#)
        if row.traceState.count != 0 {
            writer.raw(#","traceState":"#)
            writer.rawString(utf8: bytes(row.traceState))
        }
        if row.parentSpanID != .zero {
            writer.raw(#","parentSpanId":""#)
            writer.rawHex(row.parentSpanID.value)
            writer.raw(#"""#)
        }
        writer.raw(#","name":"#)
        writer.rawString(utf8: bytes(row.name))
        writer.raw(#","kind":"#)
        writer.rawDecimal(Int64(row.kind.rawValue))
        writer.raw(#","startTimeUnixNano":""#)
        writer.rawDecimal(row.startTimeUnixNano)
        writer.raw(#"","endTimeUnixNano":""#)
        writer.rawDecimal(row.endTimeUnixNano)
        writer.raw(#"""#)
        attributes(row.attributes, in: tables.spanAttributes, into: &writer)
        rawCount(#","droppedAttributesCount":"#, row.droppedAttributesCount, into: &writer)
        if row.events.count != 0 {
            writer.raw(#","events":["#)
            for eventIndex in row.events.indices {
                if eventIndex != row.events.indices.lowerBound { writer.raw(",") }
                event(tables.events[eventIndex], into: &writer)
            }
            writer.raw("]")
        }
        rawCount(#","droppedEventsCount":"#, row.droppedEventsCount, into: &writer)
        if row.links.count != 0 {
            writer.raw(#","links":["#)
            for linkIndex in row.links.indices {
                if linkIndex != row.links.indices.lowerBound { writer.raw(",") }
                link(tables.links[linkIndex], into: &writer)
            }
            writer.raw("]")
        }
        rawCount(#","droppedLinksCount":"#, row.droppedLinksCount, into: &writer)
        if row.statusCode != .unset || row.statusMessage.count != 0 {
            writer.raw(#","status":{"#)
            if row.statusMessage.count != 0 {
                writer.raw(#""message":"#)
                writer.rawString(utf8: bytes(row.statusMessage))
                if row.statusCode != .unset { writer.raw(",") }
            }
            if row.statusCode != .unset {
                writer.raw(#""code":"#)
                writer.rawDecimal(Int64(row.statusCode.rawValue))
            }
            writer.raw("}")
        }
        rawCount(#","flags":"#, row.flags, into: &writer)
        writer.raw("}")
        writer.endRaw()
    }

    func event(_ row: EventRow, into writer: inout JSONOutput) {
        writer.raw(#"{"timeUnixNano":""#)
        writer.rawDecimal(row.timeUnixNano)
        writer.raw(#"","name":"#)
        writer.rawString(utf8: bytes(row.name))
        attributes(row.attributes, in: tables.eventAttributes, into: &writer)
        rawCount(#","droppedAttributesCount":"#, row.droppedAttributesCount, into: &writer)
        writer.raw("}")
    }

    func link(_ row: LinkRow, into writer: inout JSONOutput) {
        writer.raw(#"{"traceId":""#)
        writer.rawHex(row.traceID)
        writer.raw(#"","spanId":""#)
        writer.rawHex(row.spanID.value)
        writer.raw(#"""#)
        if row.traceState.count != 0 {
            writer.raw(#","traceState":"#)
            writer.rawString(utf8: bytes(row.traceState))
        }
        attributes(row.attributes, in: tables.linkAttributes, into: &writer)
        rawCount(#","droppedAttributesCount":"#, row.droppedAttributesCount, into: &writer)
        rawCount(#","flags":"#, row.flags, into: &writer)
        writer.raw("}")
    }

    // MARK: Attributes

    /// Writes the member `"attributes": [...]` unless the list is empty.
    func memberAttributes(_ range: TableRange, in table: [AttributeSlot], into writer: inout JSONOutput) {
        guard range.count != 0 else { return }
        writer.key("attributes")
        writer.beginRaw()
        keyValues(range, in: table, into: &writer)
        writer.endRaw()
    }

    /// Writes `,"attributes":[...]` after a record's earlier members, unless the list is empty.
    func attributes(_ range: TableRange, in table: [AttributeSlot], into writer: inout JSONOutput) {
        guard range.count != 0 else { return }
        writer.raw(#","attributes":"#)
        keyValues(range, in: table, into: &writer)
    }

    func keyValues(_ range: TableRange, in table: [AttributeSlot], into writer: inout JSONOutput) {
        writer.raw("[")
        for index in range.indices {
            let slot = table[index]
            writer.raw(index == range.indices.lowerBound ? #"{"key":"# : #",{"key":"#)
            writer.rawString(utf8: bytes(slot.key))
            writer.raw(#","value":"#)
            anyValue(slot.value, into: &writer)
            writer.raw("}")
        }
        writer.raw("]")
    }

    /// An `AnyValue`: the one set field is written even at its default (`""`, `0`,
    /// `false`), since which field is set is the value's type; `.empty` is `{}`.
    func anyValue(_ slot: ValueSlot, into writer: inout JSONOutput) {
        switch slot.kind {
        case .string:
            writer.raw(#"{"stringValue":"#)
            writer.rawString(utf8: bytes(slot.byteRef))
        case .bool:
            writer.raw(slot.boolValue ? #"{"boolValue":true"# : #"{"boolValue":false"#)
        case .int:
            writer.raw(#"{"intValue":""#)
            writer.rawDecimal(slot.intValue)
            writer.raw(#"""#)
        case .double:
            writer.raw(#"{"doubleValue":"#)
            writer.rawDouble(slot.doubleValue)
        case .bytes:
            writer.raw(#"{"bytesValue":"#)
            writer.rawBase64(bytes(slot.byteRef))
        case .array:
            writer.raw(#"{"arrayValue":{"#)
            let range = slot.tableRange
            if range.count != 0 {
                writer.raw(#""values":["#)
                for index in range.indices {
                    if index != range.indices.lowerBound { writer.raw(",") }
                    anyValue(tables.nestedValues[index], into: &writer)
                }
                writer.raw("]")
            }
            writer.raw("}")
        case .keyValueList:
            writer.raw(#"{"kvlistValue":{"#)
            let range = slot.tableRange
            if range.count != 0 {
                writer.raw(#""values":"#)
                keyValues(range, in: tables.nestedAttributes, into: &writer)
            }
            writer.raw("}")
        case .empty:
            writer.raw("{")
        }
        writer.raw("}")
    }

    // MARK: Scalars

    func string(_ key: StaticString, _ ref: ByteRef, into writer: inout JSONOutput) {
        guard ref.count != 0 else { return }
        writer.key(key)
        writer.string(utf8: bytes(ref))
    }

    func count(_ key: StaticString, _ value: UInt32, into writer: inout JSONOutput) {
        guard value != 0 else { return }
        writer.key(key)
        writer.uint(UInt64(value))
    }

    /// Writes `member` (`,"key":`) and the count unless it is zero, in a record written raw.
    func rawCount(_ member: StaticString, _ value: UInt32, into writer: inout JSONOutput) {
        guard value != 0 else { return }
        writer.raw(member)
        writer.rawDecimal(UInt64(value))
    }
}
