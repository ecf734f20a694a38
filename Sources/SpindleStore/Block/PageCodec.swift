import SpindleModel

/// One span on its way into a page: which batch and row it is, and the index of its
/// (resource, scope) group in the block's group table.
struct PageSpan {
    var batch: Int
    var row: Int
    var group: Int
}

/// What a page's spans hold, gathered while encoding, for the block's meta.
struct PageStats {
    var names = Set<UInt32>()
    var spanKeys = Set<UInt32>()
    /// ``KeyFilter`` keys of the spans' (attribute key, string value) pairs.
    var filterKeys = Set<UInt64>()
    var operations = Set<BlockOperation>()
    var maxDuration: UInt64 = 0
}

/// A resource and scope pair, shared by the spans under it.
struct SpanGroup: Hashable {
    var resource: Resource
    var scope: InstrumentationScope
}

/// Encodes and decodes one page: a run of whole traces, rows sorted by trace ID then start
/// time, stored column by column (docs/format/block.md, "Page").
///
/// Each column is its own stream so that like sits with like when the page is
/// compressed: all span IDs together, all attribute keys together, and so on.
enum PageCodec {
    /// The streams of a page, in the order they are stored.
    enum Stream: Int, CaseIterable {
        case traces, spanIDs, parents, parentIDs, starts, durations, names, kinds, status
        case groups, misc, attributeCounts, attributeKeys, attributeValues, events, links, groupTable
        /// The page's own string table: every string of the page once, referred to by
        /// index from the other streams. A page decodes without anything else from its
        /// block, so reading one costs only that page.
        case strings
    }

    /// Deeper than anything a store accepts (``SpanTables/maxStoredNesting``).
    static let maxDepth = 64

    // MARK: Encoding

    /// Encodes pages straight from the batches' tables: strings go from the arena to the
    /// dictionary as bytes, and no span value is built (block writing's hot path).
    struct Encoder {
        var streams = [ByteWriter](repeating: ByteWriter(), count: Stream.allCases.count)
        /// The page being encoded's strings.
        var dictionary = StringDictionaryBuilder()
        /// The block's catalog: span names and attribute keys, for its meta.
        var catalog = StringDictionaryBuilder()

        init() {}

        subscript(stream: Stream) -> ByteWriter {
            get { streams[stream.rawValue] }
            _modify { yield &streams[stream.rawValue] }
        }

        mutating func id(_ ref: ByteRef, _ tables: SpanTables) -> UInt32 {
            tables.arena.withUnsafeBytes { dictionary.id(bytes: UnsafeRawBufferPointer(rebasing: $0[ref.range])) }
        }

        mutating func catalogID(_ ref: ByteRef, _ tables: SpanTables) -> UInt32 {
            tables.arena.withUnsafeBytes { catalog.id(bytes: UnsafeRawBufferPointer(rebasing: $0[ref.range])) }
        }

        /// Encodes `spans` (whole traces, sorted) whose groups index `groups`, whose
        /// services are `serviceOfGroup`; adds what they hold to `stats`.
        mutating func encode(_ spans: [PageSpan], batches: [SpanBatch], groups: [SpanGroup], serviceOfGroup: [Int?], stats: inout PageStats) -> [UInt8] {
            for index in streams.indices { streams[index].bytes.removeAll(keepingCapacity: true) }
            dictionary = StringDictionaryBuilder()
            // Page-local group numbers, in order of first use.
            var local: [Int: Int] = [:]
            var used: [Int] = []
            var previousTraceStart: UInt64 = 0
            var index = 0
            while index < spans.count {
                let first = batches[spans[index].batch].tables.spans[spans[index].row]
                let traceID = first.traceID
                var end = index + 1
                while end < spans.count, batches[spans[end].batch].tables.spans[spans[end].row].traceID == traceID { end += 1 }
                self[.traces].traceID(traceID)
                self[.traces].varint(end - index)
                let traceStart = first.startTimeUnixNano
                self[.starts].zigzag(Int64(bitPattern: traceStart &- previousTraceStart))
                previousTraceStart = traceStart
                // Parents point at a row of the same trace when they can (one small
                // varint instead of eight random bytes).
                var rowOfSpan: [SpanID: Int] = [:]
                for position in index..<end {
                    rowOfSpan[batches[spans[position].batch].tables.spans[spans[position].row].spanID] = position - index
                }
                for position in index..<end {
                    let tables = batches[spans[position].batch].tables
                    let span = tables.spans[spans[position].row]
                    if position > index { self[.starts].zigzag(Int64(bitPattern: span.startTimeUnixNano &- traceStart)) }
                    self[.spanIDs].spanID(span.spanID)
                    if span.parentSpanID == .zero {
                        self[.parents].varint(UInt64(0))
                    } else if let parentRow = rowOfSpan[span.parentSpanID] {
                        self[.parents].varint(UInt64(parentRow + 2))
                    } else {
                        self[.parents].varint(UInt64(1))
                        self[.parentIDs].spanID(span.parentSpanID)
                    }
                    let duration = span.endTimeUnixNano &- span.startTimeUnixNano
                    self[.durations].zigzag(Int64(bitPattern: duration))
                    if span.endTimeUnixNano >= span.startTimeUnixNano { stats.maxDuration = max(stats.maxDuration, duration) }
                    let name = catalogID(span.name, tables)
                    stats.names.insert(name)
                    self[.names].varint(id(span.name, tables))
                    self[.kinds].zigzag(Int64(span.kind.rawValue))
                    self[.status].zigzag(Int64(span.statusCode.rawValue))
                    self[.status].varint(id(span.statusMessage, tables))
                    let group = spans[position].group
                    if let service = serviceOfGroup[group] {
                        stats.operations.insert(BlockOperation(service: service, name: name, kind: span.kind.rawValue))
                    }
                    if local[group] == nil {
                        local[group] = used.count
                        used.append(group)
                    }
                    self[.groups].varint(local[group]!)
                    self[.misc].varint(id(span.traceState, tables))
                    self[.misc].varint(span.flags)
                    self[.misc].varint(span.droppedAttributesCount)
                    self[.misc].varint(span.droppedEventsCount)
                    self[.misc].varint(span.droppedLinksCount)
                    attributes(span.attributes, tables.spanAttributes, tables, collect: true, stats: &stats)
                    self[.events].varint(Int(span.events.count))
                    for event in span.events.indices.map({ tables.events[$0] }) {
                        self[.events].zigzag(Int64(bitPattern: event.timeUnixNano &- span.startTimeUnixNano))
                        self[.events].varint(id(event.name, tables))
                        self[.events].varint(event.droppedAttributesCount)
                        attributes(event.attributes, tables.eventAttributes, tables, collect: false, stats: &stats)
                    }
                    self[.links].varint(Int(span.links.count))
                    for link in span.links.indices.map({ tables.links[$0] }) {
                        self[.links].traceID(link.traceID)
                        self[.links].spanID(link.spanID)
                        self[.links].varint(id(link.traceState, tables))
                        self[.links].varint(link.flags)
                        self[.links].varint(link.droppedAttributesCount)
                        attributes(link.attributes, tables.linkAttributes, tables, collect: false, stats: &stats)
                    }
                }
                index = end
            }
            // The page's group table: resources and scopes written out in full.
            var table = ByteWriter()
            table.varint(used.count)
            for group in used {
                let resource = groups[group].resource
                let scope = groups[group].scope
                inlineAttributes(resource.attributes, into: &table)
                table.varint(resource.droppedAttributesCount)
                table.varint(dictionary.id(resource.schemaURL))
                table.varint(dictionary.id(scope.name))
                table.varint(dictionary.id(scope.version))
                inlineAttributes(scope.attributes, into: &table)
                table.varint(scope.droppedAttributesCount)
                table.varint(dictionary.id(scope.schemaURL))
            }
            self[.groupTable] = table
            self[.strings].bytes = dictionary.encoded()
            var page = ByteWriter(capacity: streams.reduce(16) { $0 + $1.count + 5 })
            page.varint(streams.count)
            for stream in streams { page.varint(stream.count) }
            for stream in streams { page.raw(stream.bytes) }
            return page.bytes
        }

        /// Attributes of a span (`collect`: their keys and string pairs go to `stats`), an
        /// event or a link.
        private mutating func attributes(_ range: TableRange, _ table: [AttributeSlot], _ tables: SpanTables, collect: Bool, stats: inout PageStats) {
            self[.attributeCounts].varint(Int(range.count))
            for index in range.indices {
                let slot = table[index]
                self[.attributeKeys].varint(id(slot.key, tables))
                let valueHash = Self.value(slot.value, tables, into: &streams[Stream.attributeValues.rawValue], dictionary: &dictionary)
                guard collect else { continue }
                let key = catalogID(slot.key, tables)
                stats.spanKeys.insert(key)
                if let valueHash { stats.filterKeys.insert(KeyFilter.key(attribute: key, valueHash: valueHash, resource: false)) }
            }
        }

        private mutating func inlineAttributes(_ attributes: [Attribute], into writer: inout ByteWriter) {
            writer.varint(attributes.count)
            for attribute in attributes {
                writer.varint(dictionary.id(attribute.key))
                Self.value(attribute.value, into: &writer, dictionary: &dictionary)
            }
        }

        /// A tag byte, then the value (see ``ValueTag``), read from the tables. Returns the
        /// ``KeyFilter`` hash of a string value.
        @discardableResult
        static func value(_ slot: ValueSlot, _ tables: SpanTables, into writer: inout ByteWriter, dictionary: inout StringDictionaryBuilder, depth: Int = 0) -> UInt32? {
            switch slot.kind {
            case .empty: writer.u8(ValueTag.empty.rawValue)
            case .string:
                writer.u8(ValueTag.string.rawValue)
                return tables.arena.withUnsafeBytes { arena in
                    let bytes = UnsafeRawBufferPointer(rebasing: arena[slot.byteRef.range])
                    writer.varint(dictionary.id(bytes: bytes))
                    return KeyFilter.valueHash(bytes)
                }
            case .bool: writer.u8(slot.boolValue ? ValueTag.true.rawValue : ValueTag.false.rawValue)
            case .int:
                writer.u8(ValueTag.int.rawValue)
                writer.zigzag(slot.intValue)
            case .double:
                writer.u8(ValueTag.double.rawValue)
                writer.u64(slot.payload)
            case .bytes:
                writer.u8(ValueTag.bytes.rawValue)
                writer.lengthPrefixed(tables.arena[slot.byteRef.range])
            case .array:
                writer.u8(ValueTag.array.rawValue)
                let range = slot.tableRange
                writer.varint(Int(range.count))
                for index in range.indices {
                    value(tables.nestedValues[index], tables, into: &writer, dictionary: &dictionary, depth: depth + 1)
                }
            case .keyValueList:
                writer.u8(ValueTag.keyValueList.rawValue)
                let range = slot.tableRange
                writer.varint(Int(range.count))
                for index in range.indices {
                    let attribute = tables.nestedAttributes[index]
                    writer.varint(tables.arena.withUnsafeBytes { dictionary.id(bytes: UnsafeRawBufferPointer(rebasing: $0[attribute.key.range])) })
                    value(attribute.value, tables, into: &writer, dictionary: &dictionary, depth: depth + 1)
                }
            }
            return nil
        }

        /// The same encoding from a plain value (resources and scopes in the group table).
        static func value(_ value: AttributeValue, into writer: inout ByteWriter, dictionary: inout StringDictionaryBuilder) {
            switch value {
            case .empty: writer.u8(ValueTag.empty.rawValue)
            case .string(let string):
                writer.u8(ValueTag.string.rawValue)
                writer.varint(dictionary.id(string))
            case .bool(let bool): writer.u8(bool ? ValueTag.true.rawValue : ValueTag.false.rawValue)
            case .int(let int):
                writer.u8(ValueTag.int.rawValue)
                writer.zigzag(int)
            case .double(let double):
                writer.u8(ValueTag.double.rawValue)
                writer.u64(double.bitPattern)
            case .bytes(let bytes):
                writer.u8(ValueTag.bytes.rawValue)
                writer.lengthPrefixed(bytes)
            case .array(let values):
                writer.u8(ValueTag.array.rawValue)
                writer.varint(values.count)
                for element in values { Self.value(element, into: &writer, dictionary: &dictionary) }
            case .keyValueList(let attributes):
                writer.u8(ValueTag.keyValueList.rawValue)
                writer.varint(attributes.count)
                for attribute in attributes {
                    writer.varint(dictionary.id(attribute.key))
                    Self.value(attribute.value, into: &writer, dictionary: &dictionary)
                }
            }
        }
    }

    enum ValueTag: UInt8 {
        case empty = 0, string = 1, `false` = 2, `true` = 3, int = 4, double = 5, bytes = 6, array = 7, keyValueList = 8
    }

    // MARK: Decoding

    /// Decodes a page into a batch: every trace, or only those `wanted` accepts (the
    /// others are skimmed: read and checked like the rest, nothing built).
    /// Total: any bytes either decode or throw ``FormatError``.
    static func decode(_ page: [UInt8], wanted: ((TraceID) -> Bool)? = nil) throws(FormatError) -> SpanBatch {
        var decoder = try Decoder(page)
        return try decoder.decode(wanted: wanted)
    }

    /// Reads a page's streams in step, one trace at a time: each trace is either decoded
    /// into the page's ``SpanTables`` (``PageTableBuilder``) or skimmed
    /// (``skimTrace(count:_:)``), and skimming checks exactly what decoding does, so
    /// whether a page throws does not depend on which traces are built.
    struct Decoder {
        var readers: [ByteReader]
        /// The page's string table as byte ranges; a string's bytes are copied into the
        /// tables once a decoded row uses it.
        let strings: PageStrings
        /// Per group of the page's group table (checked when the decoder is made), the
        /// string index of its resource's `service.name` when that is a string.
        let serviceOfGroup: [UInt32?]
        /// The start of the last trace read: the next trace's start is relative to it.
        var previousTraceStart: UInt64 = 0
        /// The tables decoded traces go to.
        private var output: PageTableBuilder

        /// Where every stream is, to come back to (``mark(_:)``, ``rewind(to:)``).
        struct Mark {
            var offsets: [Int] = []
            var previousTraceStart: UInt64 = 0
        }

        /// Reads the page's header, string table and group table.
        init(_ page: [UInt8]) throws(FormatError) {
            var header = ByteReader(page)
            let streamCount = try header.count(atMost: 64, "the page's stream count")
            guard streamCount >= Stream.allCases.count else { throw header.error("a page needs \(Stream.allCases.count) streams, has \(streamCount)") }
            var lengths: [Int] = []
            for _ in 0..<streamCount { lengths.append(try header.count(atMost: page.count, "a stream length")) }
            var readers: [ByteReader] = []
            var offset = header.offset
            for length in lengths {
                guard offset + length <= page.count else { throw FormatError(message: "stream of \(length) bytes runs past the page's end", offset: offset) }
                readers.append(ByteReader(page, offset: offset, end: offset + length))
                offset += length
            }
            let stringStream = readers[Stream.strings.rawValue]
            strings = try PageStrings(decoding: Array(page[stringStream.offset..<stringStream.end]))
            let groupTable = readers[Stream.groupTable.rawValue]
            let groups = try PageCodec.skimGroupTable(groupTable, strings)
            serviceOfGroup = groups.services
            output = PageTableBuilder(strings: strings, groupTable: groupTable, groupOffsets: groups.offsets)
            self.readers = readers
        }

        subscript(stream: Stream) -> ByteReader {
            get { readers[stream.rawValue] }
            _modify { yield &readers[stream.rawValue] }
        }

        mutating func decode(wanted: ((TraceID) -> Bool)?) throws(FormatError) -> SpanBatch {
            while !self[.traces].isAtEnd {
                let (traceID, count) = try traceHeader()
                if wanted?(traceID) ?? true {
                    try decodeTrace(traceID, count: count)
                } else {
                    try skimTrace(count: count) { _ in }
                }
            }
            return try batch()
        }

        /// The spans decoded so far, one resource and scope per page group. Call once.
        mutating func batch() throws(FormatError) -> SpanBatch {
            try output.finish()
        }

        /// The next trace's ID and span count.
        mutating func traceHeader() throws(FormatError) -> (id: TraceID, count: Int) {
            let traceID = try self[.traces].traceID()
            let count = try self[.traces].count(atMost: 1 << 24, "a trace's span count")
            guard count > 0 else { throw self[.traces].error("a trace with no spans") }
            return (traceID, count)
        }

        func mark(_ mark: inout Mark) {
            if mark.offsets.count != readers.count { mark.offsets = [Int](repeating: 0, count: readers.count) }
            for index in readers.indices { mark.offsets[index] = readers[index].offset }
            mark.previousTraceStart = previousTraceStart
        }

        mutating func rewind(to mark: Mark) {
            for index in readers.indices where index < mark.offsets.count {
                readers[index] = ByteReader(readers[index].bytes, offset: mark.offsets[index], end: readers[index].end)
            }
            previousTraceStart = mark.previousTraceStart
        }

        /// Decodes the `count` rows of the trace whose header was just read.
        mutating func decodeTrace(_ traceID: TraceID, count: Int) throws(FormatError) {
            var streams = rowStreams()
            try output.decodeTrace(traceID, count: count, &streams, previousTraceStart: &previousTraceStart)
            streams.store(into: &readers)
        }
    }

    /// Reads a tagged value as a plain value: the reference reading that
    /// ``PageTableBuilder/value(_:depth:)`` and ``skipValue(_:stringCount:depth:)`` keep
    /// to (same checks, same order, same errors).
    static func value(_ reader: inout ByteReader, dictionary: StringDictionary, depth: Int) throws(FormatError) -> AttributeValue {
        guard depth < maxDepth else { throw reader.error("attribute values nested deeper than \(maxDepth)") }
        let tagOffset = reader.offset
        guard let tag = ValueTag(rawValue: try reader.u8()) else {
            throw FormatError(message: "unknown attribute value tag", offset: tagOffset)
        }
        switch tag {
        case .empty: return .empty
        case .string: return .string(try dictionary.string(try reader.u32Varint("a string index"), at: reader))
        case .false: return .bool(false)
        case .true: return .bool(true)
        case .int: return .int(try reader.zigzag())
        case .double: return .double(Double(bitPattern: try reader.u64()))
        case .bytes: return .bytes(Array(try reader.lengthPrefixed()))
        case .array:
            let count = try reader.count(atMost: reader.remaining, "an array's length")
            var values: [AttributeValue] = []
            for _ in 0..<count { values.append(try value(&reader, dictionary: dictionary, depth: depth + 1)) }
            return .array(values)
        case .keyValueList:
            let count = try reader.count(atMost: reader.remaining, "a list's length")
            var attributes: [Attribute] = []
            for _ in 0..<count {
                let key = try dictionary.string(try reader.u32Varint("a string index"), at: reader)
                attributes.append(Attribute(key, try value(&reader, dictionary: dictionary, depth: depth + 1)))
            }
            return .keyValueList(attributes)
        }
    }
}
