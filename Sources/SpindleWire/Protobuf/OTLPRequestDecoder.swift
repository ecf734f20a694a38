import SpindleModel

/// Decodes an `ExportTraceServiceRequest` into ``SpanTables`` whose arena is the request.
///
/// Hot path: one pass over the bytes, no intermediate objects. Rows are appended to the
/// flat tables as their messages are read; a parent row records the range of child rows
/// it produced. Only nested `AnyValue` containers gather children in a temporary array,
/// so that each container's children stay contiguous whatever their depth.
struct OTLPRequestDecoder {
    var tables: SpanTables
    let malformedIDs: OTLPProtobuf.MalformedIDPolicy

    init(bytes: [UInt8], malformedIDs: OTLPProtobuf.MalformedIDPolicy) {
        self.malformedIDs = malformedIDs
        tables = SpanTables(arena: bytes)
        // Capacity guesses from the size of the request avoid most regrowth: a span with
        // ten attributes and two events takes about 600 bytes. Large reservations cost
        // address space, not memory, until rows are written.
        let size = bytes.count
        tables.spans.reserveCapacity(size / 512 + 1)
        tables.spanAttributes.reserveCapacity(size / 48 + 1)
        tables.events.reserveCapacity(size / 256 + 1)
        tables.eventAttributes.reserveCapacity(size / 128 + 1)
    }

    mutating func decodeRequest(_ reader: ProtoReader) throws(WireError) {
        var position = 0
        let end = reader.count
        var index = 0
        while position < end {
            let tagOffset = position
            let tag = try reader.readVarint(&position, end, "tag")
            if tag == 1 << 3 | 2 {
                let range = try reader.readLengthDelimited(&position, end, "resource_spans")
                do throws(WireError) {
                    try decodeResourceSpans(reader, range)
                } catch {
                    throw error.within("resource_spans", index: index)
                }
                index += 1
            } else if let error = try reader.skipUnknown(tag: tag, schema: ProtoSchema.exportRequest, &position, end, tagOffset: tagOffset) {
                throw error
            }
        }
    }

    private mutating func decodeResourceSpans(_ reader: ProtoReader, _ range: Range<Int>) throws(WireError) {
        let resourceIndex = tables.resources.count
        let firstScope = UInt32(tables.scopes.count)
        tables.resources.append(ResourceRow(scopes: TableRange(start: firstScope, count: 0)))
        var position = range.lowerBound
        let end = range.upperBound
        var scopeIndex = 0
        while position < end {
            let tagOffset = position
            let tag = try reader.readVarint(&position, end, "tag")
            switch tag {
            case 1 << 3 | 2:
                let inner = try reader.readLengthDelimited(&position, end, "resource")
                do throws(WireError) {
                    try decodeResource(reader, inner, into: resourceIndex)
                } catch {
                    throw error.within("resource")
                }
            case 2 << 3 | 2:
                let inner = try reader.readLengthDelimited(&position, end, "scope_spans")
                do throws(WireError) {
                    try decodeScopeSpans(reader, inner, resourceIndex: UInt32(resourceIndex))
                } catch {
                    throw error.within("scope_spans", index: scopeIndex)
                }
                scopeIndex += 1
            case 3 << 3 | 2:
                tables.resources[resourceIndex].schemaURL = try reader.readString(&position, end, "schema_url")
            default:
                if let error = try reader.skipUnknown(tag: tag, schema: ProtoSchema.resourceSpans, &position, end, tagOffset: tagOffset) {
                    throw error
                }
            }
        }
        tables.resources[resourceIndex].scopes.count = UInt32(tables.scopes.count) - firstScope
    }

    private mutating func decodeResource(_ reader: ProtoReader, _ range: Range<Int>, into resourceIndex: Int) throws(WireError) {
        var position = range.lowerBound
        let end = range.upperBound
        let firstAttribute = UInt32(tables.resourceAttributes.count)
        var index = 0
        while position < end {
            let tagOffset = position
            let tag = try reader.readVarint(&position, end, "tag")
            switch tag {
            case 1 << 3 | 2:
                let slot = try decodeKeyValueField(reader, &position, end, "attributes", index)
                tables.resourceAttributes.append(slot)
                index += 1
            case 2 << 3 | 0:
                tables.resources[resourceIndex].droppedAttributesCount = try readUInt32(reader, &position, end, "dropped_attributes_count")
            default:
                if let error = try reader.skipUnknown(tag: tag, schema: ProtoSchema.resource, &position, end, tagOffset: tagOffset) {
                    throw error
                }
            }
        }
        // A repeated `resource` field merges, as protobuf says: attributes accumulate.
        let existing = tables.resources[resourceIndex].attributes
        let start = existing.count == 0 ? firstAttribute : existing.start
        if existing.count == 0 || existing.start + existing.count == firstAttribute {
            tables.resources[resourceIndex].attributes = TableRange(start: start, count: UInt32(tables.resourceAttributes.count) - start)
        }
    }

    private mutating func decodeScopeSpans(_ reader: ProtoReader, _ range: Range<Int>, resourceIndex: UInt32) throws(WireError) {
        let scopeIndex = tables.scopes.count
        let firstSpan = UInt32(tables.spans.count)
        tables.scopes.append(ScopeRow(resourceIndex: resourceIndex, spans: TableRange(start: firstSpan, count: 0)))
        var position = range.lowerBound
        let end = range.upperBound
        var spanIndex = 0
        while position < end {
            let tagOffset = position
            let tag = try reader.readVarint(&position, end, "tag")
            switch tag {
            case 2 << 3 | 2:
                let inner = try reader.readLengthDelimited(&position, end, "spans")
                do throws(WireError) {
                    try decodeSpan(reader, inner, scopeIndex: UInt32(scopeIndex))
                } catch {
                    throw error.within("spans", index: spanIndex)
                }
                spanIndex += 1
            case 1 << 3 | 2:
                let inner = try reader.readLengthDelimited(&position, end, "scope")
                do throws(WireError) {
                    try decodeScope(reader, inner, into: scopeIndex)
                } catch {
                    throw error.within("scope")
                }
            case 3 << 3 | 2:
                tables.scopes[scopeIndex].schemaURL = try reader.readString(&position, end, "schema_url")
            default:
                if let error = try reader.skipUnknown(tag: tag, schema: ProtoSchema.scopeSpans, &position, end, tagOffset: tagOffset) {
                    throw error
                }
            }
        }
        tables.scopes[scopeIndex].spans.count = UInt32(tables.spans.count) - firstSpan
    }

    private mutating func decodeScope(_ reader: ProtoReader, _ range: Range<Int>, into scopeIndex: Int) throws(WireError) {
        var position = range.lowerBound
        let end = range.upperBound
        let firstAttribute = UInt32(tables.scopeAttributes.count)
        var index = 0
        while position < end {
            let tagOffset = position
            let tag = try reader.readVarint(&position, end, "tag")
            switch tag {
            case 1 << 3 | 2:
                tables.scopes[scopeIndex].name = try reader.readString(&position, end, "name")
            case 2 << 3 | 2:
                tables.scopes[scopeIndex].version = try reader.readString(&position, end, "version")
            case 3 << 3 | 2:
                let slot = try decodeKeyValueField(reader, &position, end, "attributes", index)
                tables.scopeAttributes.append(slot)
                index += 1
            case 4 << 3 | 0:
                tables.scopes[scopeIndex].droppedAttributesCount = try readUInt32(reader, &position, end, "dropped_attributes_count")
            default:
                if let error = try reader.skipUnknown(tag: tag, schema: ProtoSchema.scope, &position, end, tagOffset: tagOffset) {
                    throw error
                }
            }
        }
        let existing = tables.scopes[scopeIndex].attributes
        if existing.count == 0 || existing.start + existing.count == firstAttribute {
            let start = existing.count == 0 ? firstAttribute : existing.start
            tables.scopes[scopeIndex].attributes = TableRange(start: start, count: UInt32(tables.scopeAttributes.count) - start)
        }
    }

    private mutating func decodeSpan(_ reader: ProtoReader, _ range: Range<Int>, scopeIndex: UInt32) throws(WireError) {
        var row = SpanRow(scopeIndex: scopeIndex)
        var parentMalformed = false
        let firstAttribute = UInt32(tables.spanAttributes.count)
        let firstEvent = UInt32(tables.events.count)
        let firstLink = UInt32(tables.links.count)
        var position = range.lowerBound
        let end = range.upperBound
        var attributeIndex = 0
        while position < end {
            let tagOffset = position
            let tag = try reader.readVarint(&position, end, "tag")
            switch tag {
            case 9 << 3 | 2:
                let slot = try decodeKeyValueField(reader, &position, end, "attributes", attributeIndex)
                tables.spanAttributes.append(slot)
                attributeIndex += 1
            case 1 << 3 | 2: row.traceID = try readTraceID(reader, &position, end, "trace_id")
            case 2 << 3 | 2: row.spanID = try readSpanID(reader, &position, end, "span_id")
            case 3 << 3 | 2: row.traceState = try reader.readString(&position, end, "trace_state")
            case 4 << 3 | 2:
                if let parent = try readSpanIDUnlessMalformed(reader, &position, end, "parent_span_id") { row.parentSpanID = parent } else { parentMalformed = true }
            case 5 << 3 | 2: row.name = try reader.readString(&position, end, "name")
            case 6 << 3 | 0: row.kind = SpanKind(rawValue: Int32(truncatingIfNeeded: try reader.readVarint(&position, end, "kind")))
            case 7 << 3 | 1: row.startTimeUnixNano = try reader.readFixed64(&position, end, "start_time_unix_nano")
            case 8 << 3 | 1: row.endTimeUnixNano = try reader.readFixed64(&position, end, "end_time_unix_nano")
            case 10 << 3 | 0: row.droppedAttributesCount = try readUInt32(reader, &position, end, "dropped_attributes_count")
            case 11 << 3 | 2:
                let inner = try reader.readLengthDelimited(&position, end, "events")
                do throws(WireError) {
                    try decodeEvent(reader, inner)
                } catch {
                    throw error.within("events", index: tables.events.count - Int(firstEvent))
                }
            case 12 << 3 | 0: row.droppedEventsCount = try readUInt32(reader, &position, end, "dropped_events_count")
            case 13 << 3 | 2:
                let inner = try reader.readLengthDelimited(&position, end, "links")
                do throws(WireError) {
                    try decodeLink(reader, inner)
                } catch {
                    throw error.within("links", index: tables.links.count - Int(firstLink))
                }
            case 14 << 3 | 0: row.droppedLinksCount = try readUInt32(reader, &position, end, "dropped_links_count")
            case 15 << 3 | 2:
                let inner = try reader.readLengthDelimited(&position, end, "status")
                do throws(WireError) {
                    try decodeStatus(reader, inner, into: &row)
                } catch {
                    throw error.within("status")
                }
            case 16 << 3 | 5: row.flags = try reader.readFixed32(&position, end, "flags")
            default:
                if let error = try reader.skipUnknown(tag: tag, schema: ProtoSchema.span, &position, end, tagOffset: tagOffset) {
                    throw error
                }
            }
        }
        row.attributes = TableRange(start: firstAttribute, count: UInt32(tables.spanAttributes.count) - firstAttribute)
        row.events = TableRange(start: firstEvent, count: UInt32(tables.events.count) - firstEvent)
        row.links = TableRange(start: firstLink, count: UInt32(tables.links.count) - firstLink)
        // Under `.decodeAsZero`, a span whose parent cannot be known is as invalid as one
        // without an ID: it is marked the same way, so the collector rejects it alone
        // rather than storing it as a root.
        if parentMalformed { row.spanID = .zero }
        tables.spans.append(row)
    }

    private mutating func decodeEvent(_ reader: ProtoReader, _ range: Range<Int>) throws(WireError) {
        var row = EventRow()
        let firstAttribute = UInt32(tables.eventAttributes.count)
        var position = range.lowerBound
        let end = range.upperBound
        var index = 0
        while position < end {
            let tagOffset = position
            let tag = try reader.readVarint(&position, end, "tag")
            switch tag {
            case 1 << 3 | 1: row.timeUnixNano = try reader.readFixed64(&position, end, "time_unix_nano")
            case 2 << 3 | 2: row.name = try reader.readString(&position, end, "name")
            case 3 << 3 | 2:
                let slot = try decodeKeyValueField(reader, &position, end, "attributes", index)
                tables.eventAttributes.append(slot)
                index += 1
            case 4 << 3 | 0: row.droppedAttributesCount = try readUInt32(reader, &position, end, "dropped_attributes_count")
            default:
                if let error = try reader.skipUnknown(tag: tag, schema: ProtoSchema.event, &position, end, tagOffset: tagOffset) {
                    throw error
                }
            }
        }
        row.attributes = TableRange(start: firstAttribute, count: UInt32(tables.eventAttributes.count) - firstAttribute)
        tables.events.append(row)
    }

    private mutating func decodeLink(_ reader: ProtoReader, _ range: Range<Int>) throws(WireError) {
        var row = LinkRow()
        let firstAttribute = UInt32(tables.linkAttributes.count)
        var position = range.lowerBound
        let end = range.upperBound
        var index = 0
        while position < end {
            let tagOffset = position
            let tag = try reader.readVarint(&position, end, "tag")
            switch tag {
            case 1 << 3 | 2: row.traceID = try readTraceID(reader, &position, end, "trace_id")
            case 2 << 3 | 2: row.spanID = try readSpanID(reader, &position, end, "span_id")
            case 3 << 3 | 2: row.traceState = try reader.readString(&position, end, "trace_state")
            case 4 << 3 | 2:
                let slot = try decodeKeyValueField(reader, &position, end, "attributes", index)
                tables.linkAttributes.append(slot)
                index += 1
            case 5 << 3 | 0: row.droppedAttributesCount = try readUInt32(reader, &position, end, "dropped_attributes_count")
            case 6 << 3 | 5: row.flags = try reader.readFixed32(&position, end, "flags")
            default:
                if let error = try reader.skipUnknown(tag: tag, schema: ProtoSchema.link, &position, end, tagOffset: tagOffset) {
                    throw error
                }
            }
        }
        row.attributes = TableRange(start: firstAttribute, count: UInt32(tables.linkAttributes.count) - firstAttribute)
        tables.links.append(row)
    }

    private func decodeStatus(_ reader: ProtoReader, _ range: Range<Int>, into row: inout SpanRow) throws(WireError) {
        var position = range.lowerBound
        let end = range.upperBound
        while position < end {
            let tagOffset = position
            let tag = try reader.readVarint(&position, end, "tag")
            switch tag {
            case 2 << 3 | 2: row.statusMessage = try reader.readString(&position, end, "message")
            case 3 << 3 | 0: row.statusCode = StatusCode(rawValue: Int32(truncatingIfNeeded: try reader.readVarint(&position, end, "code")))
            default:
                if let error = try reader.skipUnknown(tag: tag, schema: ProtoSchema.status, &position, end, tagOffset: tagOffset) {
                    throw error
                }
            }
        }
    }

    @inline(__always)
    private func readTraceID(_ reader: ProtoReader, _ position: inout Int, _ end: Int, _ field: StaticString) throws(WireError) -> TraceID {
        do throws(WireError) {
            return try reader.readTraceID(&position, end, field)
        } catch where error.code == .invalidID && malformedIDs == .decodeAsZero {
            return .zero
        }
    }

    @inline(__always)
    private func readSpanID(_ reader: ProtoReader, _ position: inout Int, _ end: Int, _ field: StaticString) throws(WireError) -> SpanID {
        try readSpanIDUnlessMalformed(reader, &position, end, field) ?? .zero
    }

    /// A span ID; nil when it is malformed and the policy is `.decodeAsZero` (the
    /// parent's case, which must tell malformed from absent).
    @inline(__always)
    private func readSpanIDUnlessMalformed(_ reader: ProtoReader, _ position: inout Int, _ end: Int, _ field: StaticString) throws(WireError) -> SpanID? {
        do throws(WireError) {
            return try reader.readSpanID(&position, end, field)
        } catch where error.code == .invalidID && malformedIDs == .decodeAsZero {
            return nil
        }
    }

    /// uint32 fields are varints whose value must fit 32 bits.
    @inline(__always)
    private func readUInt32(_ reader: ProtoReader, _ position: inout Int, _ end: Int, _ field: StaticString) throws(WireError) -> UInt32 {
        let offset = position
        let value = try reader.readVarint(&position, end, field)
        guard let narrow = UInt32(exactly: value) else {
            throw WireError(.invalidValue, field: "\(field)", offset: offset, "\(value) does not fit a uint32")
        }
        return narrow
    }

    // MARK: Attributes

    /// Reads one length-delimited `KeyValue` field and returns its slot; nested children
    /// go to the nested tables.
    @inline(__always)
    private mutating func decodeKeyValueField(
        _ reader: ProtoReader, _ position: inout Int, _ end: Int, _ field: StaticString, _ index: Int
    ) throws(WireError) -> AttributeSlot {
        let range = try reader.readLengthDelimited(&position, end, field)
        if let slot = decodeCanonicalScalarKeyValue(reader, range) { return slot }
        do throws(WireError) {
            return try decodeKeyValue(reader, range, depth: 0)
        } catch {
            throw error.within("\(field)", index: index)
        }
    }

    private mutating func decodeKeyValue(_ reader: ProtoReader, _ range: Range<Int>, depth: Int) throws(WireError) -> AttributeSlot {
        if let slot = decodeCanonicalScalarKeyValue(reader, range) { return slot }
        var slot = AttributeSlot(key: ByteRef(offset: 0, count: 0), value: ValueSlot(kind: .empty, payload: 0))
        var position = range.lowerBound
        let end = range.upperBound
        while position < end {
            let tagOffset = position
            let tag = try reader.readVarint(&position, end, "tag")
            switch tag {
            case 1 << 3 | 2: slot.key = try reader.readString(&position, end, "key")
            case 2 << 3 | 2:
                let inner = try reader.readLengthDelimited(&position, end, "value")
                do throws(WireError) {
                    slot.value = try decodeAnyValue(reader, inner, depth: depth)
                } catch {
                    throw error.within("value")
                }
            default:
                if let error = try reader.skipUnknown(tag: tag, schema: ProtoSchema.keyValue, &position, end, tagOffset: tagOffset) {
                    throw error
                }
            }
        }
        return slot
    }

    /// Hot path: nearly every attribute on the wire is `0A len key 12 len (scalar)` with
    /// one-byte lengths. Recognize exactly that shape without the general field loop;
    /// anything else (or any doubt) returns nil and takes the general path, which also
    /// produces the errors.
    @inline(__always)
    private func decodeCanonicalScalarKeyValue(_ reader: ProtoReader, _ range: Range<Int>) -> AttributeSlot? {
        let start = range.lowerBound
        let end = range.upperBound
        guard end - start >= 4, reader.byte(at: start) == 0x0A else { return nil }
        let keyLength = Int(reader.byte(at: start + 1))
        let valueTag = start + 2 + keyLength
        guard keyLength < 0x80, valueTag + 2 <= end, reader.byte(at: valueTag) == 0x12 else { return nil }
        let valueLength = Int(reader.byte(at: valueTag + 1))
        let valueStart = valueTag + 2
        guard valueLength < 0x80, valueStart + valueLength == end, valueLength >= 2 else { return nil }
        guard UTF8Validation.firstInvalidOffset(UnsafeRawBufferPointer(start: reader.base + start + 2, count: keyLength)) == nil else { return nil }
        let key = ByteRef(offset: UInt32(truncatingIfNeeded: start + 2), count: UInt32(truncatingIfNeeded: keyLength))
        let valueKind = reader.byte(at: valueStart)
        switch valueKind {
        case 1 << 3 | 2, 7 << 3 | 2:
            let length = Int(reader.byte(at: valueStart + 1))
            guard length < 0x80, valueStart + 2 + length == end else { return nil }
            let ref = ByteRef(offset: UInt32(truncatingIfNeeded: valueStart + 2), count: UInt32(truncatingIfNeeded: length))
            if valueKind == 7 << 3 | 2 { return AttributeSlot(key: key, value: .bytes(ref)) }
            guard UTF8Validation.firstInvalidOffset(UnsafeRawBufferPointer(start: reader.base + valueStart + 2, count: length)) == nil else { return nil }
            return AttributeSlot(key: key, value: .string(ref))
        case 3 << 3 | 0, 2 << 3 | 0:
            // A varint that ends exactly at the end of the value.
            var position = valueStart + 1
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while position < end, shift < 63 {
                let byte = reader.byte(at: position)
                result |= UInt64(byte & 0x7F) << shift
                position += 1
                if byte < 0x80 { break }
                shift += 7
            }
            guard position == end, reader.byte(at: end - 1) < 0x80 else { return nil }
            return AttributeSlot(key: key, value: valueKind == 3 << 3 ? .int(Int64(bitPattern: result)) : .bool(result != 0))
        case 4 << 3 | 1:
            guard valueLength == 9 else { return nil }
            let bits = UInt64(littleEndian: reader.base.loadUnaligned(fromByteOffset: valueStart + 1, as: UInt64.self))
            return AttributeSlot(key: key, value: .double(Double(bitPattern: bits)))
        default:
            return nil
        }
    }

    private mutating func decodeAnyValue(_ reader: ProtoReader, _ range: Range<Int>, depth: Int) throws(WireError) -> ValueSlot {
        var value = ValueSlot(kind: .empty, payload: 0)
        var position = range.lowerBound
        let end = range.upperBound
        while position < end {
            let tagOffset = position
            let tag = try reader.readVarint(&position, end, "tag")
            switch tag {
            case 1 << 3 | 2: value = .string(try reader.readString(&position, end, "string_value"))
            case 2 << 3 | 0: value = .bool(try reader.readVarint(&position, end, "bool_value") != 0)
            case 3 << 3 | 0: value = .int(Int64(bitPattern: try reader.readVarint(&position, end, "int_value")))
            case 4 << 3 | 1: value = .double(Double(bitPattern: try reader.readFixed64(&position, end, "double_value")))
            case 7 << 3 | 2: value = .bytes(try reader.readBytes(&position, end, "bytes_value"))
            case 5 << 3 | 2, 6 << 3 | 2:
                let isArray = tag == 5 << 3 | 2
                let name: StaticString = isArray ? "array_value" : "kvlist_value"
                let inner = try reader.readLengthDelimited(&position, end, name)
                guard depth < OTLPProtobuf.maxNestingDepth else {
                    throw WireError(.nestingTooDeep, field: "\(name)", offset: inner.lowerBound, "values nest deeper than \(OTLPProtobuf.maxNestingDepth) levels")
                }
                do throws(WireError) {
                    value = isArray
                        ? try decodeArrayValue(reader, inner, depth: depth + 1)
                        : try decodeKeyValueList(reader, inner, depth: depth + 1)
                } catch {
                    throw error.within("\(name)")
                }
            default:
                if let error = try reader.skipUnknown(tag: tag, schema: ProtoSchema.anyValue, &position, end, tagOffset: tagOffset) {
                    throw error
                }
            }
        }
        return value
    }

    private mutating func decodeArrayValue(_ reader: ProtoReader, _ range: Range<Int>, depth: Int) throws(WireError) -> ValueSlot {
        var children: [ValueSlot] = []
        var position = range.lowerBound
        let end = range.upperBound
        while position < end {
            let tagOffset = position
            let tag = try reader.readVarint(&position, end, "tag")
            if tag == 1 << 3 | 2 {
                let inner = try reader.readLengthDelimited(&position, end, "values")
                do throws(WireError) {
                    children.append(try decodeAnyValue(reader, inner, depth: depth))
                } catch {
                    throw error.within("values", index: children.count)
                }
            } else if let error = try reader.skipUnknown(tag: tag, schema: ProtoSchema.valueList, &position, end, tagOffset: tagOffset) {
                throw error
            }
        }
        let start = UInt32(tables.nestedValues.count)
        tables.nestedValues.append(contentsOf: children)
        return .array(TableRange(start: start, count: UInt32(children.count)))
    }

    private mutating func decodeKeyValueList(_ reader: ProtoReader, _ range: Range<Int>, depth: Int) throws(WireError) -> ValueSlot {
        var children: [AttributeSlot] = []
        var position = range.lowerBound
        let end = range.upperBound
        while position < end {
            let tagOffset = position
            let tag = try reader.readVarint(&position, end, "tag")
            if tag == 1 << 3 | 2 {
                let inner = try reader.readLengthDelimited(&position, end, "values")
                do throws(WireError) {
                    children.append(try decodeKeyValue(reader, inner, depth: depth))
                } catch {
                    throw error.within("values", index: children.count)
                }
            } else if let error = try reader.skipUnknown(tag: tag, schema: ProtoSchema.valueList, &position, end, tagOffset: tagOffset) {
                throw error
            }
        }
        let start = UInt32(tables.nestedAttributes.count)
        tables.nestedAttributes.append(contentsOf: children)
        return .keyValueList(TableRange(start: start, count: UInt32(children.count)))
    }
}
