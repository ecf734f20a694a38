public import SpindleModel

/// Encodes ``SpanTables`` as an `ExportTraceServiceRequest`.
///
/// Two passes: the first computes the size of every span, scope and resource message
/// (kept in one scratch array), the second writes into an output of exactly that size.
/// Fields at their proto3 default are left out, as every protobuf encoder does, except
/// inside `AnyValue`'s oneof, where a set field is always written.
struct OTLPRequestEncoder {
    let tables: SpanTables
    let arena: UnsafeRawPointer
    /// Sizes of span messages (indices 0..<spans), then scope messages, then resources.
    var sizes: [Int] = []
    /// Sizes of event messages, by row, filled by the size pass for the write pass.
    var eventSizes: [Int] = []

    init(tables: SpanTables, arena: UnsafeRawPointer) {
        self.tables = tables
        self.arena = arena
    }

    // MARK: Sizes

    mutating func computeSizes() -> Int {
        let spanCount = tables.spans.count
        sizes.reserveCapacity(spanCount + tables.scopes.count + tables.resources.count)
        eventSizes = [Int](repeating: 0, count: tables.events.count)
        for index in 0..<spanCount { sizes.append(spanSize(tables.spans[index])) }
        for scope in tables.scopes {
            var size = 0
            let scopeMessage = scopeMessageSize(scope)
            if scopeMessage > 0 { size += ProtoSize.lengthDelimited(scopeMessage) }
            for spanIndex in scope.spans.indices { size += ProtoSize.lengthDelimited(sizes[spanIndex]) }
            if scope.schemaURL.count > 0 { size += ProtoSize.lengthDelimited(Int(scope.schemaURL.count)) }
            sizes.append(size)
        }
        var total = 0
        for resource in tables.resources {
            var size = 0
            let resourceMessage = resourceMessageSize(resource)
            if resourceMessage > 0 { size += ProtoSize.lengthDelimited(resourceMessage) }
            for scopeIndex in resource.scopes.indices { size += ProtoSize.lengthDelimited(sizes[spanCount + scopeIndex]) }
            if resource.schemaURL.count > 0 { size += ProtoSize.lengthDelimited(Int(resource.schemaURL.count)) }
            sizes.append(size)
            total += ProtoSize.lengthDelimited(size)
        }
        return total
    }

    @inline(__always)
    func stringFieldSize(_ ref: ByteRef) -> Int {
        ref.count == 0 ? 0 : ProtoSize.lengthDelimited(Int(ref.count))
    }

    @inline(__always)
    func uint32FieldSize(_ value: UInt32) -> Int {
        value == 0 ? 0 : 1 + ProtoSize.varint(UInt64(value))
    }

    @inline(__always)
    func enumFieldSize(_ value: Int32) -> Int {
        value == 0 ? 0 : 1 + ProtoSize.varint(UInt64(bitPattern: Int64(value)))
    }

    func resourceMessageSize(_ resource: ResourceRow) -> Int {
        attributesSize(resource.attributes, tables.resourceAttributes) + uint32FieldSize(resource.droppedAttributesCount)
    }

    func scopeMessageSize(_ scope: ScopeRow) -> Int {
        stringFieldSize(scope.name) + stringFieldSize(scope.version)
            + attributesSize(scope.attributes, tables.scopeAttributes)
            + uint32FieldSize(scope.droppedAttributesCount)
    }

    mutating func spanSize(_ span: SpanRow) -> Int {
        var size = 0
        if span.traceID.isValid { size += 18 }
        if span.spanID.isValid { size += 10 }
        size += stringFieldSize(span.traceState)
        if span.parentSpanID.isValid { size += 10 }
        size += stringFieldSize(span.name)
        size += enumFieldSize(span.kind.rawValue)
        if span.startTimeUnixNano != 0 { size += 9 }
        if span.endTimeUnixNano != 0 { size += 9 }
        size += attributesSize(span.attributes, tables.spanAttributes)
        size += uint32FieldSize(span.droppedAttributesCount)
        for index in span.events.indices {
            let eventSize = eventSize(tables.events[index])
            eventSizes[index] = eventSize
            size += ProtoSize.lengthDelimited(eventSize)
        }
        size += uint32FieldSize(span.droppedEventsCount)
        for index in span.links.indices { size += ProtoSize.lengthDelimited(linkSize(tables.links[index])) }
        size += uint32FieldSize(span.droppedLinksCount)
        let status = statusSize(span)
        if status > 0 { size += ProtoSize.lengthDelimited(status) }
        if span.flags != 0 { size += 6 }  // two-byte tag for field 16, then fixed32
        return size
    }

    @inline(__always)
    func statusSize(_ span: SpanRow) -> Int {
        stringFieldSize(span.statusMessage) + enumFieldSize(span.statusCode.rawValue)
    }

    func eventSize(_ event: EventRow) -> Int {
        (event.timeUnixNano != 0 ? 9 : 0) + stringFieldSize(event.name)
            + attributesSize(event.attributes, tables.eventAttributes)
            + uint32FieldSize(event.droppedAttributesCount)
    }

    func linkSize(_ link: LinkRow) -> Int {
        (link.traceID.isValid ? 18 : 0) + (link.spanID.isValid ? 10 : 0)
            + stringFieldSize(link.traceState)
            + attributesSize(link.attributes, tables.linkAttributes)
            + uint32FieldSize(link.droppedAttributesCount)
            + (link.flags != 0 ? 5 : 0)
    }

    @inline(__always)
    func attributesSize(_ range: TableRange, _ table: [AttributeSlot]) -> Int {
        var size = 0
        for index in range.indices { size += ProtoSize.lengthDelimited(keyValueSize(table[index])) }
        return size
    }

    @inline(__always)
    func keyValueSize(_ slot: AttributeSlot) -> Int {
        stringFieldSize(slot.key) + ProtoSize.lengthDelimited(anyValueSize(slot.value))
    }

    @inline(__always)
    func anyValueSize(_ value: ValueSlot) -> Int {
        switch value.kind {
        case .empty: return 0
        case .string, .bytes: return ProtoSize.lengthDelimited(Int(value.byteRef.count))
        case .bool: return 2
        case .int: return 1 + ProtoSize.varint(value.payload)
        case .double: return 9
        case .array, .keyValueList: return nestedValueSize(value)
        }
    }

    func nestedValueSize(_ value: ValueSlot) -> Int {
        switch value.kind {
        case .empty, .string, .bytes, .bool, .int, .double: return anyValueSize(value)
        case .array:
            var size = 0
            for index in value.tableRange.indices {
                size += ProtoSize.lengthDelimited(anyValueSize(tables.nestedValues[index]))
            }
            return ProtoSize.lengthDelimited(size)
        case .keyValueList:
            var size = 0
            for index in value.tableRange.indices {
                size += ProtoSize.lengthDelimited(keyValueSize(tables.nestedAttributes[index]))
            }
            return ProtoSize.lengthDelimited(size)
        }
    }

    // MARK: Writing

    func write(into writer: inout ProtoWriter) {
        let spanCount = tables.spans.count
        let scopeBase = spanCount
        let resourceBase = spanCount + tables.scopes.count
        for (resourceIndex, resource) in tables.resources.enumerated() {
            writer.byte(1 << 3 | 2)
            writer.varint(UInt64(sizes[resourceBase + resourceIndex]))
            let resourceMessage = resourceMessageSize(resource)
            if resourceMessage > 0 {
                writer.byte(1 << 3 | 2)
                writer.varint(UInt64(resourceMessage))
                writeAttributes(resource.attributes, tables.resourceAttributes, tag: 1 << 3 | 2, &writer)
                writeUInt32(resource.droppedAttributesCount, tag: 2 << 3 | 0, &writer)
            }
            for scopeIndex in resource.scopes.indices {
                let scope = tables.scopes[scopeIndex]
                writer.byte(2 << 3 | 2)
                writer.varint(UInt64(sizes[scopeBase + scopeIndex]))
                let scopeMessage = scopeMessageSize(scope)
                if scopeMessage > 0 {
                    writer.byte(1 << 3 | 2)
                    writer.varint(UInt64(scopeMessage))
                    writeString(scope.name, tag: 1 << 3 | 2, &writer)
                    writeString(scope.version, tag: 2 << 3 | 2, &writer)
                    writeAttributes(scope.attributes, tables.scopeAttributes, tag: 3 << 3 | 2, &writer)
                    writeUInt32(scope.droppedAttributesCount, tag: 4 << 3 | 0, &writer)
                }
                for spanIndex in scope.spans.indices {
                    writer.byte(2 << 3 | 2)
                    writer.varint(UInt64(sizes[spanIndex]))
                    writeSpan(tables.spans[spanIndex], &writer)
                }
                writeString(scope.schemaURL, tag: 3 << 3 | 2, &writer)
            }
            writeString(resource.schemaURL, tag: 3 << 3 | 2, &writer)
        }
    }

    func writeSpan(_ span: SpanRow, _ writer: inout ProtoWriter) {
        if span.traceID.isValid {
            writer.byte(1 << 3 | 2)
            writer.byte(16)
            writer.fixed64(span.traceID.high.bigEndian)
            writer.fixed64(span.traceID.low.bigEndian)
        }
        if span.spanID.isValid {
            writer.byte(2 << 3 | 2)
            writer.byte(8)
            writer.fixed64(span.spanID.value.bigEndian)
        }
        writeString(span.traceState, tag: 3 << 3 | 2, &writer)
        if span.parentSpanID.isValid {
            writer.byte(4 << 3 | 2)
            writer.byte(8)
            writer.fixed64(span.parentSpanID.value.bigEndian)
        }
        writeString(span.name, tag: 5 << 3 | 2, &writer)
        writeEnum(span.kind.rawValue, tag: 6 << 3 | 0, &writer)
        if span.startTimeUnixNano != 0 {
            writer.byte(7 << 3 | 1)
            writer.fixed64(span.startTimeUnixNano)
        }
        if span.endTimeUnixNano != 0 {
            writer.byte(8 << 3 | 1)
            writer.fixed64(span.endTimeUnixNano)
        }
        writeAttributes(span.attributes, tables.spanAttributes, tag: 9 << 3 | 2, &writer)
        writeUInt32(span.droppedAttributesCount, tag: 10 << 3 | 0, &writer)
        for index in span.events.indices {
            let event = tables.events[index]
            writer.byte(11 << 3 | 2)
            writer.varint(UInt64(eventSizes[index]))
            if event.timeUnixNano != 0 {
                writer.byte(1 << 3 | 1)
                writer.fixed64(event.timeUnixNano)
            }
            writeString(event.name, tag: 2 << 3 | 2, &writer)
            writeAttributes(event.attributes, tables.eventAttributes, tag: 3 << 3 | 2, &writer)
            writeUInt32(event.droppedAttributesCount, tag: 4 << 3 | 0, &writer)
        }
        writeUInt32(span.droppedEventsCount, tag: 12 << 3 | 0, &writer)
        for index in span.links.indices {
            let link = tables.links[index]
            writer.byte(13 << 3 | 2)
            writer.varint(UInt64(linkSize(link)))
            if link.traceID.isValid {
                writer.byte(1 << 3 | 2)
                writer.byte(16)
                writer.fixed64(link.traceID.high.bigEndian)
                writer.fixed64(link.traceID.low.bigEndian)
            }
            if link.spanID.isValid {
                writer.byte(2 << 3 | 2)
                writer.byte(8)
                writer.fixed64(link.spanID.value.bigEndian)
            }
            writeString(link.traceState, tag: 3 << 3 | 2, &writer)
            writeAttributes(link.attributes, tables.linkAttributes, tag: 4 << 3 | 2, &writer)
            writeUInt32(link.droppedAttributesCount, tag: 5 << 3 | 0, &writer)
            if link.flags != 0 {
                writer.byte(6 << 3 | 5)
                writer.fixed32(link.flags)
            }
        }
        writeUInt32(span.droppedLinksCount, tag: 14 << 3 | 0, &writer)
        let status = statusSize(span)
        if status > 0 {
            writer.byte(15 << 3 | 2)
            writer.varint(UInt64(status))
            writeString(span.statusMessage, tag: 2 << 3 | 2, &writer)
            writeEnum(span.statusCode.rawValue, tag: 3 << 3 | 0, &writer)
        }
        if span.flags != 0 {
            // Field 16, wire type 5: the tag 133 takes two varint bytes.
            writer.byte(0x85)
            writer.byte(0x01)
            writer.fixed32(span.flags)
        }
    }

    @inline(__always)
    func writeString(_ ref: ByteRef, tag: UInt8, _ writer: inout ProtoWriter) {
        if ref.count > 0 { writer.lengthDelimited(tag: tag, arena + Int(ref.offset), count: Int(ref.count)) }
    }

    @inline(__always)
    func writeUInt32(_ value: UInt32, tag: UInt8, _ writer: inout ProtoWriter) {
        if value != 0 {
            writer.byte(tag)
            writer.varint(UInt64(value))
        }
    }

    @inline(__always)
    func writeEnum(_ value: Int32, tag: UInt8, _ writer: inout ProtoWriter) {
        if value != 0 {
            writer.byte(tag)
            writer.varint(UInt64(bitPattern: Int64(value)))
        }
    }

    @inline(__always)
    func writeAttributes(_ range: TableRange, _ table: [AttributeSlot], tag: UInt8, _ writer: inout ProtoWriter) {
        for index in range.indices {
            let slot = table[index]
            let valueSize = anyValueSize(slot.value)
            writer.byte(tag)
            writer.varint(UInt64(stringFieldSize(slot.key) + ProtoSize.lengthDelimited(valueSize)))
            writeKeyValue(slot, valueSize: valueSize, &writer)
        }
    }

    @inline(__always)
    func writeKeyValue(_ slot: AttributeSlot, valueSize: Int, _ writer: inout ProtoWriter) {
        writeString(slot.key, tag: 1 << 3 | 2, &writer)
        writer.byte(2 << 3 | 2)
        writer.varint(UInt64(valueSize))
        writeAnyValue(slot.value, &writer)
    }

    func writeAnyValue(_ value: ValueSlot, _ writer: inout ProtoWriter) {
        switch value.kind {
        case .empty: break
        case .string:
            let ref = value.byteRef
            writer.lengthDelimited(tag: 1 << 3 | 2, arena + Int(ref.offset), count: Int(ref.count))
        case .bytes:
            let ref = value.byteRef
            writer.lengthDelimited(tag: 7 << 3 | 2, arena + Int(ref.offset), count: Int(ref.count))
        case .bool:
            writer.byte(2 << 3 | 0)
            writer.byte(value.boolValue ? 1 : 0)
        case .int:
            writer.byte(3 << 3 | 0)
            writer.varint(value.payload)
        case .double:
            writer.byte(4 << 3 | 1)
            writer.fixed64(value.payload)
        case .array:
            writer.byte(5 << 3 | 2)
            var size = 0
            for index in value.tableRange.indices {
                size += ProtoSize.lengthDelimited(anyValueSize(tables.nestedValues[index]))
            }
            writer.varint(UInt64(size))
            for index in value.tableRange.indices {
                let element = tables.nestedValues[index]
                writer.byte(1 << 3 | 2)
                writer.varint(UInt64(anyValueSize(element)))
                writeAnyValue(element, &writer)
            }
        case .keyValueList:
            writer.byte(6 << 3 | 2)
            var size = 0
            for index in value.tableRange.indices {
                size += ProtoSize.lengthDelimited(keyValueSize(tables.nestedAttributes[index]))
            }
            writer.varint(UInt64(size))
            for index in value.tableRange.indices {
                let entry = tables.nestedAttributes[index]
                let valueSize = anyValueSize(entry.value)
                writer.byte(1 << 3 | 2)
                writer.varint(UInt64(stringFieldSize(entry.key) + ProtoSize.lengthDelimited(valueSize)))
                writeKeyValue(entry, valueSize: valueSize, &writer)
            }
        }
    }
}

extension OTLPProtobuf {
    /// Encodes a batch as an `ExportTraceServiceRequest`, keeping its resource and scope
    /// grouping and every field; `decodeExportRequest(encodeExportRequest(b)) == b`.
    public static func encodeExportRequest(_ batch: SpanBatch) -> [UInt8] {
        let tables = batch.tables
        return tables.arena.withUnsafeBytes { arenaBuffer in
            var encoder = OTLPRequestEncoder(
                tables: tables,
                arena: arenaBuffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
            )
            let total = encoder.computeSizes()
            return [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
                if total > 0 {
                    var writer = ProtoWriter(buffer)
                    encoder.write(into: &writer)
                    assert(writer.position == total, "size pass said \(total) bytes, writer wrote \(writer.position)")
                }
                initialized = total
            }
        }
    }

    /// Encodes an `ExportTraceServiceResponse`; `partial_success` is left unset for a
    /// fully accepted request.
    public static func encodeExportResponse(_ response: ExportTraceResponse) -> [UInt8] {
        guard response.isPartialSuccess else { return [] }
        var inner: [UInt8] = []
        if response.rejectedSpans != 0 {
            inner.append(1 << 3 | 0)
            appendVarint(UInt64(bitPattern: response.rejectedSpans), to: &inner)
        }
        if !response.errorMessage.isEmpty {
            let message = Array(response.errorMessage.utf8)
            inner.append(2 << 3 | 2)
            appendVarint(UInt64(message.count), to: &inner)
            inner.append(contentsOf: message)
        }
        var out: [UInt8] = [1 << 3 | 2]
        appendVarint(UInt64(inner.count), to: &out)
        out.append(contentsOf: inner)
        return out
    }

    static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: value))
    }
}
